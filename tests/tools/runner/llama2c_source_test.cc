// The llama2.c checkpoint loader on the bundled models and on malformed
// copies of them: every defect must be a clear DataLoss, never a crash or a
// large allocation.
#include "tools/runner/llama2c_source.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tools/runner/convert.h"

namespace qins::runner {
namespace {

const std::string kStories = QINS_MODELS_DIR "/stories260K.bin";
const std::string kKjv = QINS_MODELS_DIR "/kjv1M.bin";

std::vector<char> ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(f), {});
}

std::string WriteTemp(const std::string& name, const std::vector<char>& b) {
  const std::string path = ::qins::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary).write(b.data(), b.size());
  return path;
}

// Opens `bytes` as a checkpoint; expects DataLoss whose message contains
// `expect`.
void ExpectDataLoss(const std::vector<char>& bytes, const std::string& expect) {
  const std::string path = WriteTemp("malformed.bin", bytes);
  auto src = OpenLlama2cSource(path);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), StatusCode::kDataLoss)
      << src.status().ToString();
  EXPECT_NE(src.status().message().find(expect), std::string::npos)
      << src.status().message();
}

TEST(Llama2cSourceTest, ReadsTheBundledModelsHeaders) {
  auto s = OpenLlama2cSource(kStories);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const ModelConfig& c = (*s)->config();
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.seq_len, 512);
  EXPECT_TRUE(c.tied_classifier);
  auto k = OpenLlama2cSource(kKjv);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ((*k)->config().vocab_size, 259);
  EXPECT_FALSE((*k)->config().tied_classifier);
  EXPECT_EQ((*k)->config().kv_dim(), 64);
}

TEST(Llama2cSourceTest, TensorsComeFromTheirFileOffsets) {
  // kjv1M: wcls is the last 259 x 128 floats of the file; rms_final sits
  // before the two freq_cis tables.
  const std::vector<char> bytes = ReadAll(kKjv);
  auto k = OpenLlama2cSource(kKjv);
  ASSERT_TRUE(k.ok());
  std::vector<float> w(259 * 128);
  ASSERT_TRUE((*k)->ReadTensor(TensorClass::kOutput, 0, w.data()).ok());
  EXPECT_EQ(0, std::memcmp(w.data(), bytes.data() + bytes.size() - w.size() * 4,
                           w.size() * 4));
  std::vector<float> n(128);
  ASSERT_TRUE((*k)->ReadTensor(TensorClass::kFinalNorm, 0, n.data()).ok());
  const size_t freq = 2 * 256 * 16 * 4;
  EXPECT_EQ(0, std::memcmp(
                   n.data(),
                   bytes.data() + bytes.size() - w.size() * 4 - freq - 128 * 4,
                   128 * 4));
  // Out-of-range layer and absent classifier are errors.
  EXPECT_FALSE((*k)->ReadTensor(TensorClass::kAttnQ, 6, w.data()).ok());
  auto s = OpenLlama2cSource(kStories);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE((*s)->ReadTensor(TensorClass::kOutput, 0, w.data()).ok());
}

// Rewrites a version-0 checkpoint in export.py's version-1 layout, from
// the byte offsets of the version-0 sections.
std::vector<char> ToVersion1(const std::vector<char>& v0) {
  int32_t h[7];
  std::memcpy(h, v0.data(), 28);
  const size_t dim = h[0], hidden = h[1], L = h[2], heads = h[3],
               kv = h[4] * (dim / heads), vocab = std::abs(h[5]), seq = h[6];
  const bool shared = h[5] > 0;
  // Section sizes in floats, in version-0 order.
  enum {
    kEmb,
    kRmsAtt,
    kWq,
    kWk,
    kWv,
    kWo,
    kRmsFfn,
    kW1,
    kW2,
    kW3,
    kRmsFin,
    kFreq,
    kCls,
    kN
  };
  const size_t sizes[kN] = {vocab * dim,
                            L * dim,
                            L * dim * dim,
                            L * kv * dim,
                            L * kv * dim,
                            L * dim * dim,
                            L * dim,
                            L * hidden * dim,
                            L * dim * hidden,
                            L * hidden * dim,
                            dim,
                            seq * (dim / heads),
                            shared ? 0 : vocab * dim};
  size_t off[kN];
  size_t o = 28;
  for (int i = 0; i < kN; ++i) off[i] = o, o += 4 * sizes[i];
  std::vector<char> v1(256, 0);
  const uint32_t magic = 0x616b3432;
  const int32_t version = 1;
  int32_t h1[7];
  std::memcpy(h1, h, sizeof(h));
  h1[5] = static_cast<int32_t>(vocab);
  std::memcpy(v1.data(), &magic, 4);
  std::memcpy(v1.data() + 4, &version, 4);
  std::memcpy(v1.data() + 8, h1, 28);
  v1[36] = shared ? 1 : 0;
  for (int i : {kRmsAtt, kRmsFfn, kRmsFin, kEmb, kWq, kWk, kWv, kWo, kW1, kW2,
                kW3, kCls}) {
    v1.insert(v1.end(), v0.begin() + off[i],
              v0.begin() + off[i] + 4 * sizes[i]);
  }
  return v1;
}

TEST(Llama2cSourceTest, Version1HoldsTheSameTensorsAsVersion0) {
  for (const std::string& path : {kStories, kKjv}) {
    SCOPED_TRACE(path);
    const std::string v1_path = WriteTemp("v1.bin", ToVersion1(ReadAll(path)));
    auto a = OpenLlama2cSource(path);
    auto b = OpenLlama2cSource(v1_path);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    const ModelConfig& c = (*a)->config();
    EXPECT_EQ(c.tied_classifier, (*b)->config().tied_classifier);
    EXPECT_EQ(c.vocab_size, (*b)->config().vocab_size);
    for (int t = 0; t <= static_cast<int>(TensorClass::kFinalNorm); ++t) {
      const TensorClass tc = static_cast<TensorClass>(t);
      if (tc == TensorClass::kOutput && c.tied_classifier) continue;
      size_t rows, cols;
      TensorShape(c, tc, &rows, &cols);
      std::vector<float> x(rows * cols), y(rows * cols);
      for (int l = 0; l < c.n_layers; ++l) {
        ASSERT_TRUE((*a)->ReadTensor(tc, l, x.data()).ok());
        ASSERT_TRUE((*b)->ReadTensor(tc, l, y.data()).ok());
        ASSERT_EQ(x, y) << TensorClassName(tc) << " layer " << l;
      }
    }
  }
  // Truncated, and other versions.
  std::vector<char> v1 = ToVersion1(ReadAll(kStories));
  ExpectDataLoss(std::vector<char>(v1.begin(), v1.begin() + 200),
                 "too small for a version-1 header");
  ExpectDataLoss(std::vector<char>(v1.begin(), v1.end() - 4), "truncated");
  v1[4] = 2;
  auto s = OpenLlama2cSource(WriteTemp("v2.bin", v1));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
}

TEST(Llama2cSourceTest, MissingFileIsAClearError) {
  auto s = OpenLlama2cSource("/nonexistent/model.bin");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("/nonexistent/model.bin"),
            std::string::npos);
}

TEST(Llama2cSourceTest, TruncatedAnywhereIsDataLoss) {
  const std::vector<char> full = ReadAll(kKjv);
  for (size_t len : {size_t{0}, size_t{3}, size_t{27}, size_t{28}, size_t{1000},
                     full.size() / 2, full.size() - 4, full.size() - 1}) {
    SCOPED_TRACE(len);
    ExpectDataLoss(std::vector<char>(full.begin(), full.begin() + len),
                   len < 28 ? "too small" : "truncated");
  }
  std::vector<char> longer = full;
  longer.push_back(0);
  ExpectDataLoss(longer, "trailing");
}

TEST(Llama2cSourceTest, BadHeaderValuesAreDataLoss) {
  const std::vector<char> full = ReadAll(kStories);
  auto with = [&](int field, int32_t value) {
    std::vector<char> b = full;
    std::memcpy(b.data() + 4 * field, &value, 4);
    return b;
  };
  ExpectDataLoss(with(0, 0), "bad llama2.c header");
  ExpectDataLoss(with(0, -64), "bad llama2.c header");
  ExpectDataLoss(with(1, -1), "bad llama2.c header");
  ExpectDataLoss(with(5, 0), "bad llama2.c header");
  ExpectDataLoss(with(5, std::numeric_limits<int32_t>::min()),
                 "bad llama2.c header");
  ExpectDataLoss(with(6, std::numeric_limits<int32_t>::max()),
                 "bad llama2.c header");
  ExpectDataLoss(with(3, 7), "n_heads 7 does not divide dim 64");
  ExpectDataLoss(with(4, 3), "n_kv_heads 3 does not divide n_heads 8");
  ExpectDataLoss(with(3, 64), "head_dim 1 is odd");
}

TEST(Llama2cSourceTest, AbsurdSizesInASmallFileAreRejectedWithoutAllocating) {
  // A 1 KB file claiming a 65536-wide, 1024-layer model: the size check
  // fails before anything is allocated (the file is mapped, not read).
  std::vector<char> b(1024, 0);
  const int32_t h[7] = {1 << 16, 1 << 20,    1024,   4096,
                        4096,    -(1 << 22), 1 << 22};
  std::memcpy(b.data(), h, sizeof(h));
  ExpectDataLoss(b, "truncated");
}

TEST(Llama2cSourceTest, NaNWeightIsNamed) {
  std::vector<char> b = ReadAll(kStories);
  // stories260K: embedding 512 x 64, rms_att 5 x 64, then wq[5][64][64]:
  // layer 2's wq starts at float 512*64 + 5*64 + 2*64*64; poison row 3, col 5.
  const size_t idx = 512 * 64 + 5 * 64 + 2 * 64 * 64 + 3 * 64 + 5;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(b.data() + 28 + 4 * idx, &nan, 4);
  const std::string path = WriteTemp("nan.bin", b);
  auto src = OpenLlama2cSource(path);
  ASSERT_TRUE(src.ok());
  std::vector<float> w(64 * 64);
  Status st = (*src)->ReadTensor(TensorClass::kAttnQ, 2, w.data());
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("layer 2 attn_q has NaN at row 3, column 5"),
            std::string::npos)
      << st.message();
  ContextOptions o;
  o.num_threads = 1;
  auto ctx = Context::Create(o);
  ASSERT_TRUE(ctx.ok());
  auto m = ConvertModel(*ctx, **src, FormatPolicy{}, {.progress = false});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("layer 2 attn_q"), std::string::npos)
      << m.status().message();
}

}  // namespace
}  // namespace qins::runner
