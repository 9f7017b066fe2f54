// Generate: the prompt is forced, the budget and context are respected, and
// the logits of every position run are returned.
#include "tools/runner/generate.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "tools/runner/convert.h"
#include "tools/runner/llama2c_source.h"

namespace qins::runner {
namespace {

class GenerateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ContextOptions o;
    o.num_threads = 1;
    auto c = Context::Create(o);
    ASSERT_TRUE(c.ok());
    ctx_ = std::make_unique<Context>(*c);
    auto src = OpenLlama2cSource(QINS_MODELS_DIR "/stories260K.bin");
    ASSERT_TRUE(src.ok());
    ConvertOptions co;
    co.progress = false;
    auto m = ConvertModel(*ctx_, **src, FormatPolicy{}, co);
    ASSERT_TRUE(m.ok());
    weights_ = std::move(*m);
  }
  std::unique_ptr<Context> ctx_;
  ModelWeights weights_;
};

TEST_F(GenerateTest, BudgetPromptAndLogits) {
  auto t = Transformer::Create(*ctx_, &weights_);
  ASSERT_TRUE(t.ok());
  Sampler greedy(512, 0.0f, 0.0f, 1);
  std::vector<float> logits;
  GenerateOptions g;
  g.max_new_tokens = 7;
  g.logits_out = &logits;
  int calls = 0;
  g.on_token = [&](int, int) { ++calls; };
  const std::vector<int> prompt = {1, 40, 41};
  auto out = Generate(*t, prompt, greedy, g);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->size(), 7u);
  EXPECT_EQ(calls, 7);
  // Positions run: the 3 prompt tokens and the first 6 generated ones (the
  // 7th is sampled from the last position's logits, never fed back).
  EXPECT_EQ(logits.size(), (3 + 6) * 512u);
  // The first generated token is the argmax of the last prompt position.
  EXPECT_EQ((*out)[0], Argmax(&logits[2 * 512], 512));
}

TEST_F(GenerateTest, StopsAtTheEndOfTheContextAndRejectsBadPrompts) {
  auto t = Transformer::Create(*ctx_, &weights_, 5);
  ASSERT_TRUE(t.ok());
  Sampler greedy(512, 0.0f, 0.0f, 1);
  GenerateOptions g;
  g.max_new_tokens = 100;
  auto out = Generate(*t, {1, 40}, greedy, g);
  ASSERT_TRUE(out.ok());
  EXPECT_LE(out->size(), 4u);  // 5 positions: prompt token 2 at pos 1, ...
  EXPECT_FALSE(Generate(*t, {}, greedy, g).ok());
  EXPECT_FALSE(Generate(*t, {1, 9999}, greedy, g).ok());
}

}  // namespace
}  // namespace qins::runner
