// The GGUF loader and the library's decoders against llama.cpp's own gguf-py
// (tools/make_gguf_oracle_fixtures.py, run by the test setup into the build
// tree): every tensor of every ggml type decodes to exactly the floats of
// gguf.quants.dequantize, on every SIMD target, and a model with one tensor
// class stored in a type gives, teacher-forced, the logits of the same
// weights dequantized by gguf-py and stored as F32.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "qins/context.h"
#include "qins/quantize.h"
#include "tests/support/per_target.h"
#include "tools/runner/convert.h"
#include "tools/runner/forward.h"
#include "tools/runner/gguf_file.h"
#include "tools/runner/gguf_source.h"

namespace qins::runner {
namespace {

// The ggml types the fixtures hold (tools/make_gguf_oracle_fixtures.py).
const char* const kTypes[] = {"F32",  "F16",  "BF16", "Q8_0",   "Q4_0",
                              "Q4_1", "Q5_0", "Q5_1", "Q2_K",   "Q3_K",
                              "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"};

std::string OracleDir() {
  const char* d = std::getenv("QINS_GGUF_ORACLE_DIR");
  return d ? d : "";
}

#define SKIP_WITHOUT_ORACLE()                                               \
  if (OracleDir().empty() ||                                                \
      !GgufFile::Open(OracleDir() + "/types/F32.gguf").ok())                \
  GTEST_SKIP() << "no gguf-py fixtures: QINS_GGUF_ORACLE_DIR unset or the " \
                  "fixture setup (tools/python-env.sh, needs PyPI) failed"

std::unique_ptr<GgufFile> OpenOrDie(const std::string& path) {
  StatusOr<std::unique_ptr<GgufFile>> f = GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(*f) : nullptr;
}

class GgufOracleTypesTest : public qins::testing::PerTargetTest {};

TEST_P(GgufOracleTypesTest, EveryTensorDecodesToGgufPysFloatsBitForBit) {
  SKIP_WITHOUT_ORACLE();
  const Context ctx = qins::testing::MakeContext(target(), 1);
  for (const char* type : kTypes) {
    SCOPED_TRACE(type);
    const std::string base = OracleDir() + "/types/" + type;
    std::unique_ptr<GgufFile> q = OpenOrDie(base + ".gguf");
    std::unique_ptr<GgufFile> deq = OpenOrDie(base + "_deq.gguf");
    ASSERT_TRUE(q && deq);
    ASSERT_EQ(q->tensors().size(), deq->tensors().size());
    for (const GgufTensorInfo& t : q->tensors()) {
      SCOPED_TRACE(t.name);
      EXPECT_EQ(GgmlTypeName(t.type), type);
      const GgufTensorInfo* d = deq->FindTensor(t.name);
      ASSERT_NE(d, nullptr);
      ASSERT_EQ(d->n_elements, t.n_elements);
      std::vector<float> want(t.n_elements), got(t.n_elements, -1.0f);
      ASSERT_TRUE(deq->ReadRowsF32(*d, 0, d->n_rows(), want.data()).ok());
      StatusOr<QuantizedMatrix> m = q->Matrix(t, nullptr);
      ASSERT_TRUE(m.ok()) << m.status().ToString();
      EXPECT_EQ(GetFormatInfo(m->format()).ggml_type, static_cast<int>(t.type));
      ASSERT_TRUE(Dequantize(ctx, *m, got.data()).ok());
      EXPECT_EQ(0, std::memcmp(want.data(), got.data(), 4 * want.size()))
          << "SIMD decode differs from gguf.quants.dequantize";
      std::fill(got.begin(), got.end(), -1.0f);
      ASSERT_TRUE(DequantizeReference(*m, got.data()).ok());
      EXPECT_EQ(0, std::memcmp(want.data(), got.data(), 4 * want.size()))
          << "scalar decode differs from gguf.quants.dequantize";
      // The last row alone, through the loader's row reader.
      std::fill(got.begin(), got.end(), -1.0f);
      const uint64_t last = t.n_rows() - 1;
      ASSERT_TRUE(q->ReadRowsF32(t, last, 1, got.data()).ok());
      EXPECT_EQ(0, std::memcmp(want.data() + last * t.row_length(), got.data(),
                               4 * t.row_length()));
    }
  }
}

QINS_INSTANTIATE_PER_TARGET(GgufOracleTypesTest);

// Where gguf-py has a quantizer (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0,
// Q5_1), the library's Quantize of the same F32 weights writes the same
// bytes as gguf.quants.quantize.
TEST(GgufOracleQuantizeTest, QuantizeGivesGgufPysBytes) {
  SKIP_WITHOUT_ORACLE();
  int compared = 0;
  for (const char* type : kTypes) {
    const std::string base = OracleDir() + "/types/" + type;
    if (!GgufFile::Open(base + "_src.gguf").ok()) continue;  // no quantizer
    SCOPED_TRACE(type);
    std::unique_ptr<GgufFile> q = OpenOrDie(base + ".gguf");
    std::unique_ptr<GgufFile> src = OpenOrDie(base + "_src.gguf");
    ASSERT_TRUE(q && src);
    for (const GgufTensorInfo& t : q->tensors()) {
      SCOPED_TRACE(t.name);
      const GgufTensorInfo* s = src->FindTensor(t.name);
      ASSERT_NE(s, nullptr);
      std::vector<float> w(s->n_elements);
      ASSERT_TRUE(src->ReadRowsF32(*s, 0, s->n_rows(), w.data()).ok());
      StatusOr<Format> f = FormatForGgmlType(t.type);
      ASSERT_TRUE(f.ok());
      StatusOr<QuantizedMatrix> mine =
          Quantize(*f, w.data(), t.n_rows(), t.row_length());
      ASSERT_TRUE(mine.ok()) << mine.status().ToString();
      StatusOr<QuantizedMatrix> theirs = q->Matrix(t, nullptr);
      ASSERT_TRUE(theirs.ok());
      ASSERT_EQ(mine->row_payload_bytes(), theirs->row_payload_bytes());
      for (size_t r = 0; r < t.n_rows(); ++r) {
        ASSERT_EQ(0, std::memcmp(mine->row(r), theirs->row(r),
                                 mine->row_payload_bytes()))
            << "row " << r;
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, 0);
}

// The classes of the fixture model's linear weights and where they live.
struct ClassSlot {
  const char* name;
  QuantizedMatrix* (*get)(ModelWeights&);
};
const ClassSlot kSlots[] = {
    {"embedding", [](ModelWeights& w) { return &w.token_embedding; }},
    {"output", [](ModelWeights& w) { return &w.output; }},
    {"attn_q", [](ModelWeights& w) { return &w.layers[0].wq; }},
    {"attn_k", [](ModelWeights& w) { return &w.layers[0].wk; }},
    {"attn_v", [](ModelWeights& w) { return &w.layers[0].wv; }},
    {"attn_o", [](ModelWeights& w) { return &w.layers[0].wo; }},
    {"ffn_gate", [](ModelWeights& w) { return &w.layers[0].w_gate; }},
    {"ffn_up", [](ModelWeights& w) { return &w.layers[0].w_up; }},
    {"ffn_down", [](ModelWeights& w) { return &w.layers[0].w_down; }},
};

// Teacher-forced logits of `w` over fixed token ids, one Forward per token,
// with f32 activations: the reference (the dequantized weights, f32) has no
// `dot`, and auto's `dot` (q4_0, q4_1 on x86) would add x's int8 rounding
// to the difference this test bounds by summation order alone.
std::vector<float> Logits(const Context& ctx, const ModelWeights& w) {
  StatusOr<Transformer> t = Transformer::Create(ctx, &w, 16);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  t->set_f32_activations(true);
  std::vector<float> out;
  const int vocab = w.config.vocab_size;
  for (int pos = 0; pos < 16; ++pos) {
    StatusOr<const float*> l = t->Forward((pos * 7 + 1) % vocab, pos);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    if (!l.ok()) return {};
    out.insert(out.end(), *l, *l + vocab);
  }
  return out;
}

TEST(GgufOracleModelTest, EachClassInEachTypeGivesTheDequantizedF32Logits) {
  SKIP_WITHOUT_ORACLE();
  const Context ctx = qins::testing::MakeContext(BestTarget(), 2);
  for (const char* type : kTypes) {
    SCOPED_TRACE(type);
    const std::string base = OracleDir() + "/models/" + type;
    StatusOr<std::unique_ptr<ModelSource>> q = OpenGgufSource(base + ".gguf");
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    StatusOr<std::unique_ptr<ModelSource>> deq =
        OpenGgufSource(base + "_deq.gguf");
    ASSERT_TRUE(deq.ok()) << deq.status().ToString();
    FormatPolicy stored;
    stored.stored = true;
    StatusOr<ModelWeights> wq = ConvertModel(ctx, **q, stored);
    StatusOr<ModelWeights> wd = ConvertModel(ctx, **deq, stored);
    ASSERT_TRUE(wq.ok() && wd.ok());
    const std::vector<float> ref = Logits(ctx, *wd);
    ASSERT_FALSE(ref.empty());
    float ref_max = 0;
    for (float v : ref) ref_max = std::max(ref_max, std::fabs(v));
    for (const ClassSlot& slot : kSlots) {
      SCOPED_TRACE(slot.name);
      ModelWeights mixed = *wd;
      *slot.get(mixed) = *slot.get(*wq);
      EXPECT_NE(FormatName(slot.get(mixed)->format()),
                FormatName(slot.get(*wd)->format()) == "f32" &&
                        std::string(type) != "F32"
                    ? "f32"
                    : "");
      const std::vector<float> got = Logits(ctx, mixed);
      ASSERT_EQ(got.size(), ref.size());
      // The same weights: only the order of the GEMV's additions may
      // differ (fused kernels scale per block or row), ~1e-6 relative.
      float diff = 0;
      for (size_t i = 0; i < ref.size(); ++i)
        diff = std::max(diff, std::fabs(got[i] - ref[i]));
      EXPECT_LE(diff, 1e-4f * ref_max) << "max |logit| " << ref_max;
    }
  }
}

TEST(GgufOracleModelTest, ReadTensorGivesGgufPysFloats) {
  SKIP_WITHOUT_ORACLE();
  for (const char* type : kTypes) {
    SCOPED_TRACE(type);
    const std::string base = OracleDir() + "/models/" + type;
    StatusOr<std::unique_ptr<ModelSource>> q = OpenGgufSource(base + ".gguf");
    StatusOr<std::unique_ptr<ModelSource>> deq =
        OpenGgufSource(base + "_deq.gguf");
    ASSERT_TRUE(q.ok() && deq.ok());
    const ModelConfig& c = (*q)->config();
    for (TensorClass t :
         {TensorClass::kEmbedding, TensorClass::kAttnQ, TensorClass::kAttnK,
          TensorClass::kAttnV, TensorClass::kAttnO, TensorClass::kFfnGate,
          TensorClass::kFfnUp, TensorClass::kFfnDown, TensorClass::kOutput}) {
      SCOPED_TRACE(TensorClassName(t));
      size_t rows = 0, cols = 0;
      TensorShape(c, t, &rows, &cols);
      std::vector<float> a(rows * cols), b(rows * cols);
      ASSERT_TRUE((*q)->ReadTensor(t, 0, a.data()).ok());
      ASSERT_TRUE((*deq)->ReadTensor(t, 0, b.data()).ok());
      EXPECT_EQ(0, std::memcmp(a.data(), b.data(), 4 * a.size()));
    }
  }
}

}  // namespace
}  // namespace qins::runner
