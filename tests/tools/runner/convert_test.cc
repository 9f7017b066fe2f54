// ConvertModel: every tensor lands in its policy's format with the source's
// values; a tied classifier takes the output's format.
#include "tools/runner/convert.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/runner/llama2c_source.h"

namespace qins::runner {
namespace {

Context OneThread() {
  ContextOptions o;
  o.num_threads = 1;
  auto c = Context::Create(o);
  EXPECT_TRUE(c.ok());
  return *c;
}

TEST(ConvertTest, FormatsFollowThePolicyAndF32IsExact) {
  auto src = OpenLlama2cSource(QINS_MODELS_DIR "/kjv1M.bin");
  ASSERT_TRUE(src.ok());
  auto policy =
      ParseFormatPolicy("qins8", "output=f32,ffn_down=q4_0,attn_k=bf16", "");
  ASSERT_TRUE(policy.ok());
  ConvertOptions co;
  co.progress = false;
  const Context ctx = OneThread();
  auto m = ConvertModel(ctx, **src, *policy, co);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(FormatName(m->token_embedding.format()), "qins8");
  EXPECT_EQ(FormatName(m->output.format()), "f32");
  ASSERT_EQ(m->layers.size(), 6u);
  for (const LayerWeights& l : m->layers) {
    EXPECT_EQ(FormatName(l.wq.format()), "qins8");
    EXPECT_EQ(FormatName(l.wk.format()), "bf16");
    EXPECT_EQ(FormatName(l.w_down.format()), "q4_0");
    EXPECT_EQ(l.w_down.rows(), 128u);
    EXPECT_EQ(l.w_down.cols(), 384u);
    EXPECT_EQ(l.attn_norm.size(), 128u);
  }
  // The f32 classifier decodes to the file's bytes exactly.
  std::vector<float> want(259 * 128), got(259 * 128);
  ASSERT_TRUE((*src)->ReadTensor(TensorClass::kOutput, 0, want.data()).ok());
  ASSERT_TRUE(Dequantize(ctx, m->output, got.data()).ok());
  EXPECT_EQ(want, got);
  EXPECT_EQ(&m->classifier(), &m->output);
}

// kjv1M's rows (128 and 384 weights) are not whole 256-weight super-blocks:
// every K-quant tensor takes llama.cpp's fallback format (FallbackFormat).
TEST(ConvertTest, KQuantTensorsWhoseRowsDoNotFitFallBack) {
  auto src = OpenLlama2cSource(QINS_MODELS_DIR "/kjv1M.bin");
  ASSERT_TRUE(src.ok());
  auto policy =
      ParseFormatPolicy("q4_k", "attn_q=iq4_xs,ffn_up=q3_k,output=q6_k", "");
  ASSERT_TRUE(policy.ok());
  ConvertOptions co;
  co.progress = false;
  auto m = ConvertModel(OneThread(), **src, *policy, co);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(FormatName(m->token_embedding.format()), "q5_0");  // q4_k's
  EXPECT_EQ(FormatName(m->output.format()), "q8_0");           // q6_k's
  for (const LayerWeights& l : m->layers) {
    EXPECT_EQ(FormatName(l.wq.format()), "iq4_nl");
    EXPECT_EQ(FormatName(l.w_up.format()), "q4_0");
    EXPECT_EQ(FormatName(l.w_down.format()), "q5_0");
  }
}

TEST(ConvertTest, TiedEmbeddingTakesTheOutputFormat) {
  auto src = OpenLlama2cSource(QINS_MODELS_DIR "/stories260K.bin");
  ASSERT_TRUE(src.ok());
  ConvertOptions co;
  co.progress = false;
  auto m = ConvertModel(OneThread(), **src, SeedAdaptivePolicy(), co);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(FormatName(m->token_embedding.format()), "fpins3-seed");
  EXPECT_TRUE(m->output.empty());
  EXPECT_EQ(&m->classifier(), &m->token_embedding);
  EXPECT_EQ(FormatName(m->layers[0].wq.format()), "fpins2-seed");
  EXPECT_EQ(FormatName(m->layers[0].wo.format()), "fpins0-seed");
}

}  // namespace
}  // namespace qins::runner
