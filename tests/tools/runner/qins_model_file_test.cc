// The converted-model file: a model with a different format per tensor
// round-trips bit for bit, and malformed files give clear errors.
#include "tools/runner/qins_model_file.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "qins/format.h"
#include "qins/quantize.h"
#include "tests/support/reference.h"
#include "tests/support/temp_dir.h"

namespace qins::runner {
namespace {

ModelConfig SmallConfig(bool tied) {
  ModelConfig c;
  c.dim = 64;
  c.hidden_dim = 96;
  // 7 L + 1 (tied) or + 2 matrices, one format each in registry order:
  // 7 L >= the number of formats puts every format in a counted tensor at
  // least once (the untied output's format comes round again at N + 1).
  c.n_layers = static_cast<int>((AllFormats().size() + 6) / 7);
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.vocab_size = 40;
  c.seq_len = 32;
  c.rope_theta = 50000.0f;
  c.norm_eps = 1e-6f;
  c.tied_classifier = tied;
  c.bos_id = 1;
  c.eos_id = -1;
  return c;
}

// The formats whose rows can hold both `dim` and `hidden_dim` weights (the
// K-quants need multiples of 256).
std::vector<Format> FittingFormats(const ModelConfig& c) {
  std::vector<Format> out;
  for (Format f : AllFormats()) {
    const size_t m = GetFormatInfo(f).col_multiple;
    if (c.dim % m == 0 && c.hidden_dim % m == 0) out.push_back(f);
  }
  return out;
}

// Every tensor in the next of `formats`, so one model covers each of them
// (several times).
ModelWeights MakeModel(const ModelConfig& config,
                       const std::vector<Format>& formats) {
  ModelWeights w;
  w.config = config;
  const ModelConfig& c = w.config;
  const bool tied = c.tied_classifier;
  size_t next = 0;
  uint32_t seed = 1;
  auto matrix = [&](TensorClass t) {
    size_t rows = 0, cols = 0;
    TensorShape(c, t, &rows, &cols);
    const std::vector<float> f =
        testing::RandomFloats(rows * cols, seed++, 0.02f);
    StatusOr<QuantizedMatrix> q =
        Quantize(formats[next++ % formats.size()], f.data(), rows, cols);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return std::move(*q);
  };
  auto norm = [&] {
    std::vector<float> v = testing::RandomFloats(c.dim, seed++, 0.1f);
    for (float& x : v) x += 1.0f;
    return v;
  };
  w.token_embedding = matrix(TensorClass::kEmbedding);
  if (!tied) w.output = matrix(TensorClass::kOutput);
  w.final_norm = norm();
  w.layers.resize(c.n_layers);
  for (LayerWeights& L : w.layers) {
    L.attn_norm = norm();
    L.ffn_norm = norm();
    L.wq = matrix(TensorClass::kAttnQ);
    L.wk = matrix(TensorClass::kAttnK);
    L.wv = matrix(TensorClass::kAttnV);
    L.wo = matrix(TensorClass::kAttnO);
    L.w_gate = matrix(TensorClass::kFfnGate);
    L.w_up = matrix(TensorClass::kFfnUp);
    L.w_down = matrix(TensorClass::kFfnDown);
  }
  for (int i = 0; i < c.vocab_size; ++i) {
    w.vocab.push_back(i == 5 ? std::string() : "piece" + std::to_string(i));
  }
  w.source = "test model";
  return w;
}

// dim 64: every format but the K-quants, whose rows must be multiples of
// 256 (RoundTripsKQuantFormats covers those).
ModelWeights MakeModel(bool tied) {
  return MakeModel(SmallConfig(tied), FittingFormats(SmallConfig(tied)));
}

void ExpectSameMatrix(const QuantizedMatrix& a, const QuantizedMatrix& b,
                      const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(a.format(), b.format());
  ASSERT_EQ(a.rows(), b.rows());
  ASSERT_EQ(a.cols(), b.cols());
  std::vector<float> x(a.rows() * a.cols()), y(x.size());
  ASSERT_TRUE(DequantizeReference(a, x.data()).ok());
  ASSERT_TRUE(DequantizeReference(b, y.data()).ok());
  EXPECT_EQ(0, std::memcmp(x.data(), y.data(), x.size() * 4));
  for (size_t r = 0; r < a.rows(); ++r) {
    ASSERT_EQ(0, std::memcmp(a.row(r), b.row(r), a.row_payload_bytes()));
  }
}

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

class ModelFileTest : public ::testing::TestWithParam<bool> {};

TEST_P(ModelFileTest, RoundTripsEveryFormatBitForBit) {
  const ModelWeights w = MakeModel(GetParam());
  const std::string path = ::qins::testing::TempDir() + "/roundtrip.qins";
  ASSERT_TRUE(WriteModelFile(w, path).ok());
  StatusOr<ModelWeights> r = ReadModelFile(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ModelConfig &a = w.config, &b = r->config;
  EXPECT_EQ(b.dim, a.dim);
  EXPECT_EQ(b.hidden_dim, a.hidden_dim);
  EXPECT_EQ(b.n_layers, a.n_layers);
  EXPECT_EQ(b.n_heads, a.n_heads);
  EXPECT_EQ(b.n_kv_heads, a.n_kv_heads);
  EXPECT_EQ(b.vocab_size, a.vocab_size);
  EXPECT_EQ(b.seq_len, a.seq_len);
  EXPECT_EQ(b.rope_theta, a.rope_theta);
  EXPECT_EQ(b.norm_eps, a.norm_eps);
  EXPECT_EQ(b.tied_classifier, a.tied_classifier);
  EXPECT_EQ(b.bos_id, a.bos_id);
  EXPECT_EQ(b.eos_id, a.eos_id);
  EXPECT_EQ(r->vocab, w.vocab);
  EXPECT_EQ(r->source, w.source);
  EXPECT_EQ(r->final_norm, w.final_norm);
  ExpectSameMatrix(w.token_embedding, r->token_embedding, "embedding");
  if (!a.tied_classifier) ExpectSameMatrix(w.output, r->output, "output");
  EXPECT_EQ(r->output.empty(), a.tied_classifier);
  for (int l = 0; l < a.n_layers; ++l) {
    const LayerWeights &x = w.layers[l], &y = r->layers[l];
    EXPECT_EQ(x.attn_norm, y.attn_norm);
    EXPECT_EQ(x.ffn_norm, y.ffn_norm);
    ExpectSameMatrix(x.wq, y.wq, "wq");
    ExpectSameMatrix(x.wk, y.wk, "wk");
    ExpectSameMatrix(x.wv, y.wv, "wv");
    ExpectSameMatrix(x.wo, y.wo, "wo");
    ExpectSameMatrix(x.w_gate, y.w_gate, "w_gate");
    ExpectSameMatrix(x.w_up, y.w_up, "w_up");
    ExpectSameMatrix(x.w_down, y.w_down, "w_down");
  }
  std::set<std::string> formats;
  formats.insert(FormatName(r->token_embedding.format()));
  for (const LayerWeights& L : r->layers) {
    for (const QuantizedMatrix* m :
         {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      formats.insert(FormatName(m->format()));
    }
  }
  EXPECT_EQ(formats.size(), FittingFormats(a).size());
  // Payloads sit on 64-byte boundaries in the file.
  const std::vector<uint8_t> bytes = ReadAll(path);
  uint64_t dir = 0;
  {
    size_t pos = 128 + w.source.size();
    for (const std::string& p : w.vocab) pos += 4 + p.size();
    dir = (pos + 7) / 8 * 8;
  }
  uint32_t n = 0;
  std::memcpy(&n, bytes.data() + 72, 4);
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t off = 0;
    std::memcpy(&off, bytes.data() + dir + 96 * i + 80, 8);
    EXPECT_EQ(off % 64, 0u);
  }
  std::remove(path.c_str());
}

// ggml's K-quants (rows of whole 256-weight super-blocks) in a model of
// dim 256: each format at least once, bit for bit.
TEST(ModelFileKQuantTest, RoundTripsKQuantFormats) {
  ModelConfig c = SmallConfig(false);
  c.dim = 256;
  c.hidden_dim = 512;
  c.n_layers = 1;  // 9 matrices
  std::vector<Format> kquants;
  for (Format f : AllFormats()) {
    if (GetFormatInfo(f).col_multiple == 256) kquants.push_back(f);
  }
  ASSERT_FALSE(kquants.empty());
  const ModelWeights w = MakeModel(c, kquants);
  const std::string path = ::qins::testing::TempDir() + "/kquant.qins";
  ASSERT_TRUE(WriteModelFile(w, path).ok());
  StatusOr<ModelWeights> r = ReadModelFile(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectSameMatrix(w.token_embedding, r->token_embedding, "embedding");
  ExpectSameMatrix(w.output, r->output, "output");
  std::set<std::string> formats = {FormatName(r->token_embedding.format()),
                                   FormatName(r->output.format())};
  const LayerWeights &x = w.layers[0], &y = r->layers[0];
  const QuantizedMatrix* xs[] = {&x.wq,     &x.wk,   &x.wv,    &x.wo,
                                 &x.w_gate, &x.w_up, &x.w_down};
  const QuantizedMatrix* ys[] = {&y.wq,     &y.wk,   &y.wv,    &y.wo,
                                 &y.w_gate, &y.w_up, &y.w_down};
  for (size_t i = 0; i < 7; ++i) {
    ExpectSameMatrix(*xs[i], *ys[i], "layer 0 matrix " + std::to_string(i));
    formats.insert(FormatName(ys[i]->format()));
  }
  EXPECT_EQ(formats.size(), kquants.size());
}

INSTANTIATE_TEST_SUITE_P(TiedAndUntied, ModelFileTest, ::testing::Bool());

TEST(ModelFileWriteTest, RejectsIncompleteWeights) {
  ModelWeights w = MakeModel(false);
  w.layers[1].wk = QuantizedMatrix();
  const Status s = WriteModelFile(w, ::qins::testing::TempDir() + "/bad.qins");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("attn_k of layer 1 is missing"), std::string::npos)
      << s.message();
  ModelWeights v = MakeModel(true);
  v.final_norm.pop_back();
  EXPECT_FALSE(
      WriteModelFile(v, ::qins::testing::TempDir() + "/bad.qins").ok());
}

// Malformed files made from a valid one: truncations and field corruptions.
class ModelFileMalformedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    w_ = MakeModel(false);
    path_ = ::qins::testing::TempDir() + "/valid.qins";
    ASSERT_TRUE(WriteModelFile(w_, path_).ok());
    good_ = ReadAll(path_);
    size_t pos = 128 + w_.source.size();
    for (const std::string& p : w_.vocab) pos += 4 + p.size();
    dir_ = (pos + 7) / 8 * 8;
  }
  void TearDown() override { std::remove(path_.c_str()); }

  template <typename T>
  std::vector<uint8_t> With(size_t at, T v) const {
    std::vector<uint8_t> b = good_;
    std::memcpy(b.data() + at, &v, sizeof(T));
    return b;
  }
  template <typename T>
  T At(size_t at) const {
    T v;
    std::memcpy(&v, good_.data() + at, sizeof(T));
    return v;
  }
  size_t Entry(int i) const { return dir_ + 96 * i; }
  void Expect(const std::vector<uint8_t>& b, const std::string& expected,
              const std::string& label) {
    SCOPED_TRACE(label);
    StatusOr<ModelWeights> r = ParseModelFile(b.data(), b.size(), "m.qins");
    ASSERT_FALSE(r.ok()) << "accepted";
    EXPECT_NE(r.status().message().find(expected), std::string::npos)
        << r.status().ToString() << "\nexpected: " << expected;
    EXPECT_EQ(r.status().message().rfind("m.qins", 0), 0u);
    ++cases_;
  }

  ModelWeights w_;
  std::string path_;
  std::vector<uint8_t> good_;
  size_t dir_ = 0;
  int cases_ = 0;
};

TEST_F(ModelFileMalformedTest, EveryCorruptionGivesItsError) {
  ASSERT_TRUE(ParseModelFile(good_.data(), good_.size(), "m.qins").ok());
  // Truncations: inside the header, then across the file. The recorded file
  // size catches every one of them before anything else is read.
  for (size_t cut : {size_t{0}, size_t{7}, size_t{60}, size_t{127}}) {
    Expect(std::vector<uint8_t>(good_.begin(), good_.begin() + cut),
           "the header needs 128 bytes", "truncated header");
  }
  for (int k = 1; k < 20; ++k) {
    const size_t cut = 128 + (good_.size() - 128) * k / 20;
    Expect(std::vector<uint8_t>(good_.begin(), good_.begin() + cut),
           "(truncated)", "truncated at " + std::to_string(cut));
  }
  std::vector<uint8_t> longer = good_;
  longer.push_back(0);
  Expect(longer, "the header records", "trailing byte");

  std::vector<uint8_t> b = good_;
  b[0] = 'X';
  Expect(b, "bad magic", "magic");
  Expect(With<uint32_t>(8, 2), "model file version 2", "version");
  Expect(With<uint32_t>(12, 64), "header size 64", "header size");
  Expect(With<uint64_t>(16, ~uint64_t{0}), "the header records", "file size");
  Expect(With<uint8_t>(100, 1), "reserved header byte", "reserved");
  Expect(With<int32_t>(24, 1 << 30), "exceeds 2^24", "dim huge");
  Expect(With<int32_t>(24, 0), "config", "dim zero");
  Expect(With<int32_t>(36, 3), "config", "heads do not divide dim");
  Expect(With<int32_t>(40, 3), "config", "kv heads do not divide heads");
  Expect(With<float>(52, NAN), "rope_theta", "rope NaN");
  Expect(With<float>(56, -1.0f), "norm_eps", "eps negative");
  Expect(With<uint32_t>(60, 2), "tied_classifier is 2", "tied flag");
  Expect(With<uint32_t>(60, 1), "tensor count", "tied with an output entry");
  Expect(With<int32_t>(64, 40), "bos_id", "bos outside vocab");
  Expect(With<uint32_t>(72, 0xffffffffu), "tensor count", "n_tensors huge");
  Expect(With<uint32_t>(76, 0xffffffffu), "vocab has", "vocab count");
  Expect(With<uint32_t>(80, 0xffffffffu), "source length", "source length");
  Expect(With<uint32_t>(128 + w_.source.size(), 0x7fffffffu),
         "vocab piece 0 length", "piece length");

  // Directory entries (entry 0 embedding, 1 output, 2 final_norm, 3
  // attn_norm of layer 0, 4 attn_q of layer 0, ...).
  size_t with_params = 0;
  for (int i = 0; i < 21; ++i) {
    if (At<uint32_t>(Entry(i) + 64) > 0) {
      with_params = Entry(i);
      break;
    }
  }
  ASSERT_NE(with_params, 0u) << "no format with row parameters in the mix";
  Expect(With<uint64_t>(with_params + 72, good_.size() - 4),
         "run past the end of the file", "params past end");
  Expect(With<uint64_t>(with_params + 72, ~uint64_t{0}),
         "run past the end of the file", "params offset overflow");
  Expect(With<uint32_t>(Entry(4), 99), "unknown tensor class 99", "class");
  Expect(With<int32_t>(Entry(4) + 4, 7), "has layer 7", "layer");
  Expect(With<int32_t>(Entry(0) + 4, 0), "embedding has layer 0",
         "global layer");
  Expect(With<uint32_t>(Entry(7), 1), "duplicate attn_q of layer 0",
         "duplicate");
  b = good_;
  std::memcpy(b.data() + Entry(4) + 8, "no-such-format\0", 15);
  Expect(b, "no-such-format", "format name");
  b = good_;
  std::memset(b.data() + Entry(4) + 8, 'a', 32);
  Expect(b, "not NUL-terminated", "unterminated name");
  Expect(With<uint64_t>(Entry(4) + 40, 65), "attn_q of layer 0 is 65 x 64",
         "rows");
  Expect(With<uint64_t>(Entry(4) + 48, 1u << 31), "the config says", "cols");
  Expect(With<uint64_t>(Entry(4) + 56, uint64_t{1} << 62),
         "payload size overflows", "row payload overflow");
  Expect(With<uint64_t>(Entry(4) + 56, At<uint64_t>(Entry(4) + 56) + 1),
         "attn_q of layer 0", "row payload off by one");
  Expect(With<uint64_t>(Entry(4) + 80, At<uint64_t>(Entry(4) + 80) + 4),
         "not a multiple of 64", "payload misaligned");
  Expect(With<uint64_t>(Entry(4) + 80, uint64_t{1} << 40),
         "runs past the end of the file", "payload past end");
  Expect(With<uint64_t>(Entry(4) + 80, ~uint64_t{63}),
         "runs past the end of the file", "payload offset overflow");
  Expect(With<uint32_t>(Entry(2) + 64, 1), "a norm must be format f32",
         "norm with params");
  // A NaN norm value and a NaN row parameter (FromParts checks those).
  Expect(With<float>(At<uint64_t>(Entry(2) + 80) + 8, NAN), "is not finite",
         "NaN norm");
  Expect(With<float>(At<uint64_t>(with_params + 72), INFINITY), "finite",
         "Inf row parameter");
  // Issue 19 items 5 and 10: payloads pointing into the header, the
  // directory or another tensor, and non-zero bytes where the format says
  // zero, were accepted.
  Expect(With<uint64_t>(Entry(4) + 80, 0),
         "attn_q of layer 0: payload at byte 0 lies inside the header or the "
         "directory",
         "payload in the header");
  Expect(With<uint64_t>(Entry(4) + 80, dir_ / 64 * 64),
         "lies inside the header or the directory", "payload in the directory");
  Expect(With<uint64_t>(Entry(5) + 80, At<uint64_t>(Entry(4) + 80)),
         "overlaps the payload of attn_q of layer 0", "payloads overlap");
  Expect(With<uint64_t>(with_params + 72, At<uint64_t>(Entry(0) + 80)),
         "overlaps the", "parameters inside a payload");
  Expect(With<uint64_t>(with_params + 72, 8), "parameters at byte 8 lie inside",
         "parameters in the header");
  b = good_;
  b[Entry(4) + 8 + 20] = 'x';  // after the NUL of a short format name
  Expect(b, "non-zero bytes after its NUL terminator", "name tail");
  Expect(With<uint8_t>(Entry(4) + 90, 1), "reserved directory byte",
         "reserved entry byte");
  EXPECT_GE(cases_, 50);
}

// Every prefix is an error (exact-size copies, so AddressSanitizer sees any
// over-read), and single-byte corruptions of the header, vocab and directory
// never crash.
TEST_F(ModelFileMalformedTest, EveryTruncationAndByteFlipIsSafe) {
  for (size_t cut = 0; cut < good_.size(); cut += 1 + cut / 64) {
    std::unique_ptr<uint8_t[]> b(new uint8_t[cut + 1]);
    std::memcpy(b.get(), good_.data(), cut);
    StatusOr<ModelWeights> r = ParseModelFile(b.get(), cut, "cut");
    ASSERT_FALSE(r.ok()) << cut;
  }
  const size_t end = dir_ + 96 * (9 * w_.config.n_layers + 3);
  int errors = 0;
  for (size_t at = 0; at < end; ++at) {
    if (good_[at] == 0xff) continue;
    std::vector<uint8_t> b = good_;
    b[at] = 0xff;
    StatusOr<ModelWeights> r = ParseModelFile(b.data(), b.size(), "flip");
    errors += !r.ok();
  }
  // Most bytes matter; vocab text and float fields may change silently.
  EXPECT_GT(errors, static_cast<int>(end / 4));
}

TEST(ModelFileOpenTest, NamesMissingAndEmptyFiles) {
  StatusOr<ModelWeights> r = ReadModelFile("/nonexistent/x.qins");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot open"), std::string::npos);
  const std::string empty = ::qins::testing::TempDir() + "/empty.qins";
  { std::ofstream f(empty); }
  r = ReadModelFile(empty);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("empty"), std::string::npos);
  std::remove(empty.c_str());
}

}  // namespace
}  // namespace qins::runner
