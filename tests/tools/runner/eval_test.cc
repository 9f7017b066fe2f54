// eval mode: every format runs; FP32 against itself is exact; kjv1M's
// perplexity on held-out text matches the value its producer measured.
#include "tools/runner/eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/tools/runner/reference_llama.h"
#include "tools/runner/llama2c_source.h"
#include "tools/runner/tokenizer.h"

namespace qins::runner {
namespace {

const std::string kStories = QINS_MODELS_DIR "/stories260K.bin";
const std::string kKjv = QINS_MODELS_DIR "/kjv1M.bin";

Context MakeContext(int threads) {
  ContextOptions o;
  o.num_threads = threads;
  auto ctx = Context::Create(o);
  EXPECT_TRUE(ctx.ok());
  return *ctx;
}

TEST(EvalTest, EveryFormatRunsAndF32AgainstF32IsExact) {
  auto src = OpenLlama2cSource(kStories);
  ASSERT_TRUE(src.ok());
  EvalOptions opt;
  for (Format f : AllFormats()) {
    auto p = ParseFormatPolicy(FormatName(f), "", "");
    ASSERT_TRUE(p.ok());
    opt.policies.push_back(*p);
  }
  opt.policies.push_back(SeedAdaptivePolicy());
  for (int i = 0; i < 20; ++i) opt.tokens.push_back((i * 131 + 7) % 512);
  opt.ctx = 8;  // 3 windows: 7 + 7 + 6 scored tokens
  opt.greedy_tokens = 6;
  opt.progress = false;
  auto r = RunEval(MakeContext(2), **src, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->windows, 3);
  EXPECT_EQ(r->scored_tokens, 20u);
  ASSERT_EQ(r->rows.size(), opt.policies.size());
  for (const EvalRow& row : r->rows) {
    SCOPED_TRACE(row.name);
    EXPECT_TRUE(std::isfinite(row.perplexity));
    EXPECT_GE(row.kl_mean, 0.0);
    EXPECT_GE(row.kl_p99, 0.0);
    EXPECT_GE(row.top1_agreement, 0.0);
    EXPECT_LE(row.top1_agreement, 1.0);
    EXPECT_GT(row.weight_bytes, 0u);
  }
  const EvalRow& f32 = r->rows[0];
  ASSERT_EQ(f32.name, "f32");
  EXPECT_EQ(f32.kl_mean, 0.0);
  EXPECT_EQ(f32.kl_p99, 0.0);
  EXPECT_EQ(f32.top1_agreement, 1.0);
  EXPECT_EQ(f32.greedy_match, r->greedy_tokens);
  EXPECT_EQ(f32.perplexity, r->reference.perplexity);
  // Markdown and JSON name every row.
  const std::string md = EvalMarkdown(*r), js = EvalJson(*r);
  for (const EvalRow& row : r->rows) {
    EXPECT_NE(md.find("| " + row.name + " |"), std::string::npos);
    EXPECT_NE(js.find("\"" + row.name + "\""), std::string::npos);
  }
}

TEST(EvalTest, BadOptionsAreErrors) {
  auto src = OpenLlama2cSource(kStories);
  ASSERT_TRUE(src.ok());
  EvalOptions opt;
  opt.tokens = {5, 6, 7};
  opt.ctx = 1;
  EXPECT_FALSE(RunEval(MakeContext(1), **src, opt).ok());
  opt.ctx = 513;
  EXPECT_FALSE(RunEval(MakeContext(1), **src, opt).ok());
  opt.ctx = 8;
  opt.tokens = {5, 512};
  EXPECT_FALSE(RunEval(MakeContext(1), **src, opt).ok());
  opt.tokens.clear();
  EXPECT_FALSE(RunEval(MakeContext(1), **src, opt).ok());
}

TEST(EvalTest, KjvHeldOutSlicePerplexityMatchesTheDoubleReference) {
  // The first 6 windows (BOS + 255 bytes) of the held-out text: the eval's
  // mean NLL against the independent double-precision model, and near the
  // producer's PyTorch figure for the whole text (1.1461 nats per byte;
  // docs/runner.md has the whole-text run).
  auto src = OpenLlama2cSource(kKjv);
  ASSERT_TRUE(src.ok());
  auto tok = Tokenizer::Load(QINS_MODELS_DIR "/kjv1M_tok.bin", 259);
  ASSERT_TRUE(tok.ok());
  std::ifstream f(QINS_MODELS_DIR "/kjv_heldout.txt", std::ios::binary);
  const std::string text(std::istreambuf_iterator<char>(f), {});
  ASSERT_EQ(text.size(), 68744u);
  auto ids = tok->Encode(text, false, false, /*dummy_prefix=*/false);
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), text.size());  // byte-level: one id per byte
  EvalOptions opt;
  opt.tokens.assign(ids->begin(), ids->begin() + 6 * 255);
  opt.ctx = 256;
  opt.greedy_tokens = 1;
  opt.progress = false;
  auto r = RunEval(MakeContext(2), **src, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->windows, 6);
  ASSERT_EQ(r->scored_tokens, 6u * 255);

  testing::ReferenceModel ref(kKjv);
  double nll = 0;
  for (int w = 0; w < 6; ++w) {
    std::vector<int> seq = {1};
    seq.insert(seq.end(), opt.tokens.begin() + w * 255,
               opt.tokens.begin() + (w + 1) * 255);
    for (int pos = 0; pos < 255; ++pos) {
      const std::vector<double> logits = ref.Forward(seq[pos], pos);
      double mx = logits[0], sum = 0;
      for (double l : logits) mx = std::max(mx, l);
      for (double l : logits) sum += std::exp(l - mx);
      nll -= logits[seq[pos + 1]] - mx - std::log(sum);
    }
  }
  nll /= 6 * 255;
  std::printf("slice NLL: runner %.6f, double reference %.6f\n",
              r->reference.nll, nll);
  EXPECT_NEAR(r->reference.nll, nll, 1e-5);
  EXPECT_NEAR(r->reference.nll, 1.1461, 0.1);
}

// llama-perplexity's protocol (tools/perplexity/perplexity.cpp): chunks of
// ctx tokens of the stream, the first made BOS when the model adds one, the
// second half scored. Checked against the double-precision model scoring
// exactly those positions, with and without the BOS replacement.
TEST(EvalTest, LlamaPerplexityScoringMatchesTheDoubleReference) {
  auto src = OpenLlama2cSource(kKjv);
  ASSERT_TRUE(src.ok());
  auto tok = Tokenizer::Load(QINS_MODELS_DIR "/kjv1M_tok.bin", 259);
  ASSERT_TRUE(tok.ok());
  std::ifstream f(QINS_MODELS_DIR "/kjv_heldout.txt", std::ios::binary);
  const std::string text(std::istreambuf_iterator<char>(f), {});
  auto ids = tok->Encode(text.substr(0, 300), true, false,
                         /*dummy_prefix=*/false);
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ((*ids)[0], 1);  // BOS
  const int n_ctx = 64;
  testing::ReferenceModel ref(kKjv);
  for (bool add_bos : {true, false}) {
    SCOPED_TRACE(add_bos ? "add_bos" : "no BOS replacement");
    EvalOptions opt;
    opt.scoring = EvalScoring::kLlamaPerplexity;
    opt.tokens = *ids;  // 301 ids: 4 chunks of 64, 45 ids dropped
    opt.ctx = n_ctx;
    opt.add_bos = add_bos;
    opt.greedy_tokens = 1;
    opt.progress = false;
    auto r = RunEval(MakeContext(2), **src, opt);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->windows, 4);
    // Positions 32 .. 62 of each chunk predict ids 33 .. 63.
    ASSERT_EQ(r->scored_tokens, 4u * 31);
    double nll = 0;
    for (int c = 0; c < 4; ++c) {
      std::vector<int> seq(ids->begin() + c * n_ctx,
                           ids->begin() + (c + 1) * n_ctx);
      if (add_bos) seq[0] = 1;
      for (int pos = 0; pos < n_ctx - 1; ++pos) {
        const std::vector<double> logits = ref.Forward(seq[pos], pos);
        if (pos < n_ctx / 2) continue;
        double mx = logits[0], sum = 0;
        for (double l : logits) mx = std::max(mx, l);
        for (double l : logits) sum += std::exp(l - mx);
        nll -= logits[seq[pos + 1]] - mx - std::log(sum);
      }
    }
    nll /= 4 * 31;
    EXPECT_NEAR(r->reference.nll, nll, 1e-5);
    EXPECT_NE(EvalMarkdown(*r).find("llama-perplexity"), std::string::npos);
    EXPECT_NE(EvalJson(*r).find("\"scoring\": \"llama-perplexity\""),
              std::string::npos);
  }
  // --chunks caps the chunks; fewer than 2 * ctx ids is an error, as in
  // llama-perplexity; chunks 0 or below -1 is an error.
  EvalOptions opt;
  opt.scoring = EvalScoring::kLlamaPerplexity;
  opt.tokens = *ids;
  opt.ctx = n_ctx;
  opt.chunks = 1;
  opt.greedy_tokens = 1;
  opt.progress = false;
  auto one = RunEval(MakeContext(1), **src, opt);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->windows, 1);
  opt.chunks = 0;
  EXPECT_FALSE(RunEval(MakeContext(1), **src, opt).ok());
  opt.chunks = -1;
  opt.tokens.resize(2 * n_ctx - 1);
  auto short_text = RunEval(MakeContext(1), **src, opt);
  ASSERT_FALSE(short_text.ok());
  EXPECT_NE(short_text.status().ToString().find("2 * ctx"), std::string::npos)
      << short_text.status().ToString();
}

}  // namespace
}  // namespace qins::runner
