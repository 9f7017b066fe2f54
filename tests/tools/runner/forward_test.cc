// The FP32 forward pass against an independent double-precision reference
// that parses the llama2.c file itself and runs the textbook loops; greedy
// generation across thread counts; kjv1M's known greedy text.
#include "tools/runner/forward.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/tools/runner/reference_llama.h"
#include "tools/runner/convert.h"
#include "tools/runner/generate.h"
#include "tools/runner/llama2c_source.h"
#include "tools/runner/tokenizer.h"

namespace qins::runner {
namespace {

const std::string kStories = QINS_MODELS_DIR "/stories260K.bin";
const std::string kKjv = QINS_MODELS_DIR "/kjv1M.bin";
const std::string kKjvTok = QINS_MODELS_DIR "/kjv1M_tok.bin";

ModelWeights LoadF32(const std::string& path, const Context& ctx) {
  auto src = OpenLlama2cSource(path);
  EXPECT_TRUE(src.ok()) << src.status().ToString();
  auto m = ConvertModel(ctx, **src, FormatPolicy{}, {.progress = false});
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(*m);
}

Context MakeContext(int threads) {
  ContextOptions o;
  o.num_threads = threads;
  auto ctx = Context::Create(o);
  EXPECT_TRUE(ctx.ok());
  return *ctx;
}

// Logits of the FP32 forward pass vs the double reference over the first
// 16 positions of a fixed token sequence (measured worst: 2.7e-5 on
// stories260K, 1.0e-5 on kjv1M). Tolerance: f32 rounding of ~1e3
// multiply-adds per output over 5-6 layers, relative ~1e-6 per layer on
// activations of order 1-10, grows to a few 1e-6 of logits up to ~20; 1e-4
// absolute leaves a margin and still catches any real error (a wrong
// RoPE pair, head mapping or norm changes logits by >1e-2).
void CompareWithReference(const std::string& path, std::vector<int> tokens) {
  const Context ctx = MakeContext(2);
  ModelWeights w = LoadF32(path, ctx);
  auto t = Transformer::Create(ctx, &w, 64);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  testing::ReferenceModel ref(path);
  double worst = 0;
  for (int pos = 0; pos < static_cast<int>(tokens.size()); ++pos) {
    auto got = t->Forward(tokens[pos], pos);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const std::vector<double> want = ref.Forward(tokens[pos], pos);
    for (int i = 0; i < ref.vocab; ++i) {
      worst = std::max(worst, std::abs((*got)[i] - want[i]));
      ASSERT_NEAR((*got)[i], want[i], 1e-4) << "pos " << pos << " logit " << i;
    }
  }
  std::printf("max |logit - double reference| = %.3g\n", worst);
}

TEST(ForwardTest, Stories260KMatchesDoubleReference) {
  std::vector<int> tokens = {1};
  for (int i = 1; i < 16; ++i) tokens.push_back((i * 37 + 11) % 512);
  CompareWithReference(kStories, tokens);
}

TEST(ForwardTest, Kjv1MMatchesDoubleReference) {
  std::vector<int> tokens = {1, 35};
  for (char ch : std::string("In the beginning")) tokens.push_back(ch + 3);
  tokens.resize(16);
  CompareWithReference(kKjv, tokens);
}

std::vector<int> Greedy(const std::string& path, int threads,
                        const std::vector<int>& prompt, int n,
                        const char* format = "f32") {
  const Context ctx = MakeContext(threads);
  auto src = OpenLlama2cSource(path);
  EXPECT_TRUE(src.ok());
  auto policy = ParseFormatPolicy(format, "", "");
  EXPECT_TRUE(policy.ok());
  ConvertOptions co;
  co.progress = false;
  auto conv = ConvertModel(ctx, **src, *policy, co);
  EXPECT_TRUE(conv.ok()) << conv.status().ToString();
  ModelWeights w = std::move(*conv);
  auto t = Transformer::Create(ctx, &w);
  EXPECT_TRUE(t.ok());
  Sampler greedy(w.config.vocab_size, 0.0f, 0.0f, 1);
  GenerateOptions opt;
  opt.max_new_tokens = n;
  auto out = Generate(*t, prompt, greedy, opt);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return *out;
}

TEST(ForwardTest, GreedyIsTheSameOnOneAndTwoThreads) {
  for (const std::string& path : {kStories, kKjv}) {
    for (const char* format : {"f32", "qins8", "q4_0"}) {
      const std::vector<int> one = Greedy(path, 1, {1}, 200, format);
      const std::vector<int> two = Greedy(path, 2, {1}, 200, format);
      EXPECT_FALSE(one.empty());
      EXPECT_EQ(one, two) << path << " " << format;
    }
  }
}

TEST(ForwardTest, KjvGreedyTextIsRunCs) {
  auto tok = Tokenizer::Load(kKjvTok, 259);
  ASSERT_TRUE(tok.ok());
  auto prompt = tok->Encode("In the beginning", true, false);
  ASSERT_TRUE(prompt.ok());
  const std::vector<int> out = Greedy(kKjv, 2, *prompt, 120);
  // run.c prints the prompt's pieces after BOS, then the generated ones.
  std::string text;
  for (size_t i = 1; i < prompt->size(); ++i)
    text += tok->Decode((*prompt)[i - 1], (*prompt)[i]);
  int prev = prompt->back();
  for (int id : out) {
    text += tok->Decode(prev, id);
    prev = id;
  }
  const std::string want =
      "In the beginning of the LORD thy God with thee that thou shalt be a "
      "man to do the word of the LORD,";
  EXPECT_EQ(text.substr(0, want.size()), want) << text;
}

TEST(ForwardTest, BadTokenAndPositionAreErrors) {
  const Context ctx = MakeContext(1);
  ModelWeights w = LoadF32(kStories, ctx);
  auto t = Transformer::Create(ctx, &w, 8);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->Forward(512, 0).ok());
  EXPECT_FALSE(t->Forward(-1, 0).ok());
  EXPECT_FALSE(t->Forward(1, 8).ok());
  EXPECT_TRUE(t->Forward(1, 0).ok());
}

}  // namespace
}  // namespace qins::runner
