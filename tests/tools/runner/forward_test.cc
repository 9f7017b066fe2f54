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
#include "qins/format.h"
#include "qins/gemv.h"
#include "qins/targets.h"
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
// positions of a fixed token sequence (measured worst: 4.6e-5 over 80
// positions of stories260K, 1.0e-5 over 16 of kjv1M). Tolerance: f32 rounding
// of ~1e3 multiply-adds per output over 5-6 layers, relative ~1e-6 per layer on
// activations of order 1-10, grows to a few 1e-6 of logits up to ~20; 1e-4
// absolute leaves a margin and still catches any real error (a wrong
// RoPE pair, head mapping or norm changes logits by >1e-2).
void CompareWithReference(const std::string& path, std::vector<int> tokens) {
  const Context ctx = MakeContext(2);
  ModelWeights w = LoadF32(path, ctx);
  auto t = Transformer::Create(ctx, &w, 128);
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
  for (int i = 1; i < 80; ++i) tokens.push_back((i * 37 + 11) % 512);
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

// Prefill (GEMM over batches of up to kMaxBatch tokens) against the same
// double reference: a first prefill of 5 tokens, then one of the rest
// starting at position 5 that crosses a batch boundary, every position's
// logits compared. Measured worst: 7.8e-5 on stories260K (80 positions,
// logits up to ~15), 1.3e-5 on kjv1M: Gemm sums each output in one chain
// over k, Gemv in several partial sums, so prefill's f32 error is a little
// larger; the bound is 1e-4 relative to max(1, |logit|).
void ComparePrefillWithReference(const std::string& path, int n) {
  const Context ctx = MakeContext(2);
  ModelWeights w = LoadF32(path, ctx);
  auto t = Transformer::Create(ctx, &w, n);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const int vocab = w.config.vocab_size;
  std::vector<int> tokens = {1};
  for (int i = 1; i < n; ++i) tokens.push_back((i * 37 + 11) % vocab);
  ASSERT_GT(n - 5, Transformer::kMaxBatch);
  std::vector<float> got;
  auto a = t->Prefill(tokens.data(), 5, 0, /*all_logits=*/true);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  got.assign(*a, *a + 5 * vocab);
  auto b = t->Prefill(tokens.data() + 5, n - 5, 5, /*all_logits=*/true);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  got.insert(got.end(), *b, *b + size_t(n - 5) * vocab);
  testing::ReferenceModel ref(path);
  double worst = 0;
  for (int pos = 0; pos < n; ++pos) {
    const std::vector<double> want = ref.Forward(tokens[pos], pos);
    for (int i = 0; i < vocab; ++i) {
      const float g = got[size_t(pos) * vocab + i];
      worst = std::max(worst, std::abs(g - want[i]));
      ASSERT_NEAR(g, want[i], 1e-4 * std::max(1.0, std::abs(want[i])))
          << "pos " << pos << " logit " << i;
    }
  }
  std::printf("prefill: max |logit - double reference| = %.3g\n", worst);
}

TEST(ForwardTest, Stories260KPrefillMatchesDoubleReference) {
  ComparePrefillWithReference(kStories, 80);
}

TEST(ForwardTest, Kjv1MPrefillMatchesDoubleReference) {
  ComparePrefillWithReference(kKjv, 72);
}

// Prefill's logits do not depend on the thread count (bit for bit), in
// every format family; the last-token-only result agrees with the all-rows
// one (GEMV vs GEMM for the classifier: equal up to summation order, since
// Prefill's GEMV keeps x in f32 also where auto's GEMV is `dot`, as for
// q4_0 on x86: the bound below is for summation order only, not for x's
// int8 rounding).
TEST(ForwardTest, PrefillIsTheSameOnOneAndTwoThreads) {
  for (const std::string& path : {kStories, kKjv}) {
    for (const char* format : {"f32", "qins8", "q4_0", "fpins2-seed"}) {
      SCOPED_TRACE(path + " " + format);
      std::vector<std::vector<float>> runs;
      for (int threads : {1, 2}) {
        const Context ctx = MakeContext(threads);
        auto src = OpenLlama2cSource(path);
        ASSERT_TRUE(src.ok());
        auto conv = ConvertModel(ctx, **src, *ParseFormatPolicy(format, "", ""),
                                 {.progress = false});
        ASSERT_TRUE(conv.ok());
        auto t = Transformer::Create(ctx, &*conv, 100);
        ASSERT_TRUE(t.ok());
        const int vocab = conv->config.vocab_size;
        std::vector<int> tokens = {1};
        for (int i = 1; i < 100; ++i) tokens.push_back((i * 13 + 5) % vocab);
        auto all = t->Prefill(tokens.data(), 100, 0, true);
        ASSERT_TRUE(all.ok());
        runs.emplace_back(*all, *all + 100 * vocab);
        auto last = t->Prefill(tokens.data(), 100, 0, false);
        ASSERT_TRUE(last.ok());
        for (int i = 0; i < vocab; ++i) {
          const float want = runs.back()[99 * vocab + i];
          ASSERT_NEAR((*last)[i], want, 1e-4 * (1 + std::abs(want)));
        }
      }
      EXPECT_EQ(runs[0], runs[1]);
    }
  }
}

// Decode (Forward) runs auto's GEMV, which is `dot` for q4_0 on the x86
// targets (GemvAutoStrategy; its effect on quality qualified, docs/gemv.md):
// bit for bit what set_gemv_strategy(kDot) gives, and not what
// set_f32_activations gives. Prefill keeps x in f32 even for one token
// (n == 1 goes through Forward): bit for bit the f32-activation Forward.
TEST(ForwardTest, DecodeRunsAutosGemvAndPrefillKeepsF32Activations) {
  const Context ctx = MakeContext(2);
  auto src = OpenLlama2cSource(kKjv);
  ASSERT_TRUE(src.ok());
  auto conv = ConvertModel(ctx, **src, *ParseFormatPolicy("q4_0", "", ""),
                           {.progress = false});
  ASSERT_TRUE(conv.ok());
  const int vocab = conv->config.vocab_size;
  const std::vector<int> tokens = {1, 35, 76, 116, 3 + 'e', 3 + ' ', 3 + 'b'};
  // mode 0: auto; 1: dot; 2: f32 activations.
  auto run = [&](int mode) {
    auto t = Transformer::Create(ctx, &*conv, 16);
    EXPECT_TRUE(t.ok());
    if (mode == 1) t->set_gemv_strategy(GemvStrategy::kDot);
    if (mode == 2) t->set_f32_activations(true);
    std::vector<float> out;
    for (int pos = 0; pos < static_cast<int>(tokens.size()); ++pos) {
      auto l = t->Forward(tokens[pos], pos);
      EXPECT_TRUE(l.ok());
      if (!l.ok()) return out;
      out.insert(out.end(), *l, *l + vocab);
    }
    return out;
  };
  const std::vector<float> autos = run(0), dot = run(1), f32 = run(2);
  ASSERT_EQ(autos.size(), tokens.size() * vocab);
  const bool auto_is_dot = GemvAutoStrategy(*ParseFormat("q4_0"),
                                            ctx.target()) == GemvStrategy::kDot;
  EXPECT_EQ(autos, auto_is_dot ? dot : f32) << TargetName(ctx.target());
  EXPECT_NE(dot, f32);  // x's rounding shows in the logits
  auto t = Transformer::Create(ctx, &*conv, 16);
  ASSERT_TRUE(t.ok());
  auto p = t->Prefill(tokens.data(), 1, 0);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(std::vector<float>(*p, *p + vocab),
            std::vector<float>(f32.begin(), f32.begin() + vocab));
  EXPECT_FALSE(t->f32_activations());  // Prefill's f32 is for its call only
}

TEST(ForwardTest, BadPrefillArgumentsAreErrors) {
  const Context ctx = MakeContext(1);
  ModelWeights w = LoadF32(kStories, ctx);
  auto t = Transformer::Create(ctx, &w, 8);
  ASSERT_TRUE(t.ok());
  const int ok[4] = {1, 2, 3, 4}, bad[3] = {1, 512, 3};
  EXPECT_FALSE(t->Prefill(ok, 0, 0).ok());
  EXPECT_FALSE(t->Prefill(nullptr, 2, 0).ok());
  EXPECT_FALSE(t->Prefill(ok, 4, 5).ok());  // positions 5..8 > 8
  EXPECT_FALSE(t->Prefill(ok, 4, -1).ok());
  EXPECT_FALSE(t->Prefill(bad, 3, 0).ok());
  EXPECT_TRUE(t->Prefill(ok, 4, 4).ok());  // positions 4..7
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

// Issue 19: finite weights that overflow float32 (here layer 1's FFN norm
// scaled to 1e30: SwiGLU squares it past FLT_MAX) gave NaN logits, which
// greedy decoding turned into token 0 and eval into perplexity -nan. Now the
// forward pass stops at the first layer whose output is not finite.
TEST(ForwardTest, NonFiniteActivationsNameThePositionAndLayer) {
  const Context ctx = MakeContext(1);
  ModelWeights w = LoadF32(kStories, ctx);
  const std::string of = " (of " + std::to_string(w.config.n_layers) + ")";
  for (float& g : w.layers[1].ffn_norm) g = 1e30f;
  auto t = Transformer::Create(ctx, &w, 8);
  ASSERT_TRUE(t.ok());
  auto f = t->Forward(1, 0);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(f.status().message().find("position 0: non-finite value (NaN or "
                                      "Inf) after layer 1" +
                                      of),
            std::string::npos)
      << f.status().message();
  const int toks[3] = {1, 40, 41};
  auto p = t->Prefill(toks, 3, 0, /*all_logits=*/true);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("after layer 1" + of), std::string::npos)
      << p.status().message();
  // Generation (greedy and sampled) stops with the error, never token 0.
  for (float temp : {0.0f, 1.0f}) {
    Sampler s(w.config.vocab_size, temp, 0.9f, 42);
    GenerateOptions g;
    g.max_new_tokens = 4;
    auto out = Generate(*t, {1, 40}, s, g);
    ASSERT_FALSE(out.ok()) << temp;
    EXPECT_NE(out.status().message().find("non-finite"), std::string::npos);
  }
  // The classifier's own overflow is caught on the logits.
  ModelWeights w2 = LoadF32(kStories, ctx);
  for (float& g : w2.final_norm) g = 1e38f;
  auto t2 = Transformer::Create(ctx, &w2, 8);
  ASSERT_TRUE(t2.ok());
  auto f2 = t2->Forward(1, 0);
  ASSERT_FALSE(f2.ok());
  EXPECT_NE(f2.status().message().find("after the final norm and the "
                                       "classifier"),
            std::string::npos)
      << f2.status().message();
}

}  // namespace
}  // namespace qins::runner
