// OpenGgufSource on stories260K written to GGUF by the PyPI gguf package
// (tools/make_test_gguf.py) gives the tensors of stories260K.bin read
// directly: exactly for F32, within each format's rounding otherwise.
#include "tools/runner/gguf_source.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/runner/gguf_file.h"

namespace qins::runner {
namespace {

const std::string kDir = QINS_TEST_DATA_DIR "/gguf/";
const std::string kStories = QINS_SHARED_MODELS_DIR "/stories260K.bin";

// llama2.c checkpoint, read the obvious way: 7 int32 then float arrays.
struct Llama2c {
  int dim, hidden, layers, heads, kv_heads, vocab, seq;
  std::vector<float> f;
  size_t Offset(TensorClass t, int l) const {
    const size_t d = dim, h = hidden, L = layers;
    const size_t kv = d * kv_heads / heads;
    const size_t emb = size_t(vocab) * d, att = L * d, wq = L * d * d,
                 wk = L * kv * d, wv = wk, wo = wq, ffn = L * d, w1 = L * h * d,
                 w2 = w1;
    switch (t) {
      case TensorClass::kEmbedding:
        return 0;
      case TensorClass::kAttnNorm:
        return emb + l * d;
      case TensorClass::kAttnQ:
        return emb + att + l * d * d;
      case TensorClass::kAttnK:
        return emb + att + wq + l * kv * d;
      case TensorClass::kAttnV:
        return emb + att + wq + wk + l * kv * d;
      case TensorClass::kAttnO:
        return emb + att + wq + wk + wv + l * d * d;
      case TensorClass::kFfnNorm:
        return emb + att + wq + wk + wv + wo + l * d;
      case TensorClass::kFfnGate:
        return emb + att + wq + wk + wv + wo + ffn + l * h * d;
      case TensorClass::kFfnDown:
        return emb + att + wq + wk + wv + wo + ffn + w1 + l * d * h;
      case TensorClass::kFfnUp:
        return emb + att + wq + wk + wv + wo + ffn + w1 + w2 + l * h * d;
      case TensorClass::kFinalNorm:
        return emb + att + wq + wk + wv + wo + ffn + w1 + w2 + w1;
      default:
        return 0;
    }
  }
};

bool LoadLlama2c(const std::string& path, Llama2c* m) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::vector<char> b((std::istreambuf_iterator<char>(in)), {});
  int32_t h[7];
  std::memcpy(h, b.data(), 28);
  m->dim = h[0], m->hidden = h[1], m->layers = h[2], m->heads = h[3];
  m->kv_heads = h[4], m->vocab = std::abs(h[5]), m->seq = h[6];
  m->f.resize((b.size() - 28) / 4);
  std::memcpy(m->f.data(), b.data() + 28, m->f.size() * 4);
  return true;
}

const char* GgufName(TensorClass t) {
  switch (t) {
    case TensorClass::kEmbedding:
      return "token_embd.weight";
    case TensorClass::kFinalNorm:
      return "output_norm.weight";
    case TensorClass::kAttnNorm:
      return "attn_norm.weight";
    case TensorClass::kAttnQ:
      return "attn_q.weight";
    case TensorClass::kAttnK:
      return "attn_k.weight";
    case TensorClass::kAttnV:
      return "attn_v.weight";
    case TensorClass::kAttnO:
      return "attn_output.weight";
    case TensorClass::kFfnNorm:
      return "ffn_norm.weight";
    case TensorClass::kFfnGate:
      return "ffn_gate.weight";
    case TensorClass::kFfnUp:
      return "ffn_up.weight";
    case TensorClass::kFfnDown:
      return "ffn_down.weight";
    default:
      return "";
  }
}

// Compares every tensor; returns the set of ggml types seen.
std::set<uint32_t> CompareAll(const std::string& gguf_path,
                              const Llama2c& ref) {
  StatusOr<std::unique_ptr<ModelSource>> src = OpenGgufSource(gguf_path);
  EXPECT_TRUE(src.ok()) << src.status().ToString();
  StatusOr<std::unique_ptr<GgufFile>> file = GgufFile::Open(gguf_path);
  EXPECT_TRUE(file.ok());
  std::set<uint32_t> types;
  if (!src.ok() || !file.ok()) return types;
  const ModelConfig& c = (*src)->config();
  EXPECT_EQ(c.dim, ref.dim);
  EXPECT_EQ(c.hidden_dim, ref.hidden);
  EXPECT_EQ(c.n_layers, ref.layers);
  EXPECT_EQ(c.n_heads, ref.heads);
  EXPECT_EQ(c.n_kv_heads, ref.kv_heads);
  EXPECT_EQ(c.vocab_size, ref.vocab);
  EXPECT_EQ(c.seq_len, ref.seq);
  EXPECT_TRUE(c.tied_classifier);
  EXPECT_FLOAT_EQ(c.rope_theta, 10000.0f);
  EXPECT_FLOAT_EQ(c.norm_eps, 1e-5f);

  std::vector<std::pair<TensorClass, int>> all = {{TensorClass::kEmbedding, 0},
                                                  {TensorClass::kFinalNorm, 0}};
  for (int l = 0; l < c.n_layers; ++l) {
    for (TensorClass t :
         {TensorClass::kAttnNorm, TensorClass::kAttnQ, TensorClass::kAttnK,
          TensorClass::kAttnV, TensorClass::kAttnO, TensorClass::kFfnNorm,
          TensorClass::kFfnGate, TensorClass::kFfnUp, TensorClass::kFfnDown}) {
      all.emplace_back(t, l);
    }
  }
  for (auto [t, l] : all) {
    size_t rows = 0, cols = 0;
    TensorShape(c, t, &rows, &cols);
    const bool per_layer =
        t != TensorClass::kEmbedding && t != TensorClass::kFinalNorm;
    const std::string name =
        per_layer ? "blk." + std::to_string(l) + "." + GgufName(t)
                  : GgufName(t);
    SCOPED_TRACE(name);
    const GgufTensorInfo* info = (*file)->FindTensor(name);
    EXPECT_NE(info, nullptr);
    if (info == nullptr) continue;
    types.insert(info->type);
    std::vector<float> got(rows * cols);
    const Status s = (*src)->ReadTensor(t, l, got.data());
    EXPECT_TRUE(s.ok()) << s.ToString();
    const float* want = ref.f.data() + ref.Offset(t, l);
    size_t bad = 0;
    for (size_t r = 0; r < rows; ++r) {
      for (size_t k = 0; k < cols; ++k) {
        const float x = want[r * cols + k], y = got[r * cols + k];
        double tol = 0;
        switch (info->type) {
          case 0:  // F32: the same bits
            tol = 0;
            break;
          case 1:  // F16, round to nearest: half an ulp = 2^-11 relative for
                   // normals, 2^-25 absolute in the subnormal range
            tol = std::max(std::fabs(x) * std::ldexp(1.0, -11),
                           std::ldexp(1.0, -25));
            break;
          case 30:  // BF16, round to nearest: 8 significant bits, 2^-8 relative
            tol = std::fabs(x) * std::ldexp(1.0, -8);
            break;
          case 8: {  // Q8_0: d = amax/127 of the 32-block, q = round(x/d),
                     // d stored as f16: |x - q*d16| <= d/2 + 127 d 2^-11
            const size_t b0 = k / 32 * 32;
            float amax = 0;
            for (size_t j = b0; j < b0 + 32; ++j) {
              amax = std::max(amax, std::fabs(want[r * cols + j]));
            }
            const double d = amax / 127.0;
            tol = d * (0.5 + 127 * std::ldexp(1.0, -11)) + 1e-12;
            break;
          }
          default:
            ADD_FAILURE() << "unexpected type " << info->type;
        }
        if (!(std::fabs(static_cast<double>(x) - y) <= tol)) {
          if (++bad < 5) {
            ADD_FAILURE() << "row " << r << " col " << k << ": " << y << " vs "
                          << x << " (tolerance " << tol << ")";
          }
        }
      }
    }
    EXPECT_EQ(bad, 0u);
  }
  return types;
}

class GgufSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!LoadLlama2c(kStories, &ref_)) {
      GTEST_SKIP() << kStories << " not found (../shared/models)";
    }
  }
  Llama2c ref_;
};

TEST_F(GgufSourceTest, F32FileEqualsTheCheckpointExactly) {
  const std::set<uint32_t> types =
      CompareAll(kDir + "stories260K_f32.gguf", ref_);
  EXPECT_EQ(types, std::set<uint32_t>{0});
}

TEST_F(GgufSourceTest, MixedFileIsWithinEachFormatsRounding) {
  const std::set<uint32_t> types =
      CompareAll(kDir + "stories260K_mixed.gguf", ref_);
  // The file really holds every readable type (else the test is vacuous).
  EXPECT_EQ(types, (std::set<uint32_t>{0, 1, 8, 30}));
}

TEST(GgufSourceVocabTest, PiecesHaveSpacesNotU2581) {
  StatusOr<std::unique_ptr<ModelSource>> src =
      OpenGgufSource(kDir + "stories260K_mixed.gguf");
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  const std::vector<std::string> v = (*src)->Vocab();
  ASSERT_EQ(v.size(), 512u);
  EXPECT_EQ(v[1], "<s>");
  EXPECT_EQ(v[3], " t3");
  EXPECT_EQ((*src)->config().bos_id, 1);
  EXPECT_EQ((*src)->config().eos_id, 2);
  EXPECT_EQ((*src)->Describe(), "gguf " + kDir + "stories260K_mixed.gguf");
  std::vector<float> buf(64);
  const Status s = (*src)->ReadTensor(TensorClass::kOutput, 0, buf.data());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tied"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace qins::runner
