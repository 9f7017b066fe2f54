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
#include "qins/format.h"
#include "qins/gemv.h"
#include "qins/targets.h"
#include "tests/tools/runner/reference_llama.h"
#include "tools/runner/llama2c_source.h"
#include "tools/runner/tokenizer.h"

namespace qins::runner {
namespace {

const std::string kStories = QINS_MODELS_DIR "/stories260K.bin";
const std::string kKjv = QINS_MODELS_DIR "/kjv1M.bin";

// -log softmax(logits)[target], in double.
double Nll(const std::vector<double>& logits, int target) {
  double mx = logits[0], sum = 0;
  for (double l : logits) mx = std::max(mx, l);
  for (double l : logits) sum += std::exp(l - mx);
  return mx + std::log(sum) - logits[target];
}

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
      nll += Nll(logits, seq[pos + 1]);
    }
  }
  nll /= 6 * 255;
  std::printf("slice NLL: runner %.6f, double reference %.6f\n",
              r->reference.nll, nll);
  EXPECT_NEAR(r->reference.nll, nll, 1e-5);
  EXPECT_NEAR(r->reference.nll, 1.1461, 0.1);
}

std::vector<int> KjvIds(size_t n) {
  auto tok = Tokenizer::Load(QINS_MODELS_DIR "/kjv1M_tok.bin", 259);
  EXPECT_TRUE(tok.ok());
  std::ifstream f(QINS_MODELS_DIR "/kjv_heldout.txt", std::ios::binary);
  const std::string text(std::istreambuf_iterator<char>(f), {});
  auto ids = tok->Encode(text.substr(0, n), false, false,
                         /*dummy_prefix=*/false);
  EXPECT_TRUE(ids.ok());
  return *ids;
}

FormatPolicy Policy(const char* item) {
  auto p = ParsePolicyListItem(item);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return *p;
}

// A policy with the dot strategy runs through the prefill where every dot
// format also has the dot GEMM (q8_0: GemmStrategy::kDot equals Gemv(kDot)
// row for row), and token by token through Forward (GEMV) where one does
// not (qins8); the dot strategy's rounding of x moves the distribution a
// little.
TEST(EvalTest, DotStrategyRunsThePrefillWhereGemmHasItWithSmallNonZeroKl) {
  for (const std::string& model : {kStories, kKjv}) {
    SCOPED_TRACE(model);
    auto src = OpenLlama2cSource(model);
    ASSERT_TRUE(src.ok());
    EvalOptions opt;
    opt.policies = {Policy("q8_0"), Policy("q8_0@dot"), Policy("f32"),
                    Policy("qins8@dot")};
    opt.tokens = KjvIds(300);
    if (model == kStories)
      for (int& t : opt.tokens) t %= 512;
    opt.ctx = 64;  // 5 windows: 4 x 63 + 48 scored tokens
    opt.greedy_tokens = 8;
    opt.progress = false;
    auto r = RunEval(MakeContext(2), **src, opt);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->rows.size(), 4u);
    const EvalRow &q8 = r->rows[0], &dot = r->rows[1], &f32 = r->rows[2];
    EXPECT_EQ(dot.name, "q8_0@dot");
    EXPECT_FALSE(q8.token_by_token);
    EXPECT_FALSE(dot.token_by_token);
    EXPECT_FALSE(f32.token_by_token);
    EXPECT_TRUE(r->rows[3].token_by_token);  // qins8: no dot GEMM
    std::printf("%s: q8_0 KL %.3g nll %.6f, q8_0@dot KL %.3g nll %.6f\n",
                model.c_str(), q8.kl_mean, q8.nll, dot.kl_mean, dot.nll);
    EXPECT_GT(dot.kl_mean, 0.0);
    EXPECT_NE(dot.nll, q8.nll);
    // Small: the same order as q8_0's own KL against f32, far below 0.01
    // nats.
    EXPECT_LT(dot.kl_mean, 10 * q8.kl_mean + 1e-4);
    EXPECT_LT(dot.kl_mean, 0.01);
    EXPECT_NEAR(dot.nll, q8.nll, 0.01);
    EXPECT_NE(EvalMarkdown(*r).find("| q8_0@dot |"), std::string::npos);
    EXPECT_NE(EvalMarkdown(*r).find("| qins8@dot (t) |"), std::string::npos);
    EXPECT_NE(EvalJson(*r).find("\"token_by_token\": true"), std::string::npos);
    // Independent of the thread count.
    auto r1 = RunEval(MakeContext(1), **src, opt);
    ASSERT_TRUE(r1.ok()) << r1.status().ToString();
    EXPECT_EQ(r1->rows[1].nll, dot.nll);
    EXPECT_EQ(r1->rows[1].kl_mean, dot.kl_mean);
    EXPECT_EQ(r1->rows[0].nll, q8.nll);
    EXPECT_EQ(r1->rows[3].nll, r->rows[3].nll);
    // Token by token, q8_0@dot gives the prefill's figures up to the
    // summation order of the parts other than the products (attention,
    // norms), as f32 does (TokenByTokenMatchesThePrefillPath).
    EvalOptions tbt_opt = opt;
    tbt_opt.policies = {Policy("q8_0@dot")};
    tbt_opt.token_by_token = true;
    auto tbt = RunEval(MakeContext(2), **src, tbt_opt);
    ASSERT_TRUE(tbt.ok()) << tbt.status().ToString();
    EXPECT_TRUE(tbt->rows[0].token_by_token);
    EXPECT_NEAR(tbt->rows[0].nll, dot.nll, 1e-5);
    EXPECT_NEAR(tbt->rows[0].kl_mean, dot.kl_mean, 1e-5);
  }
}

// Token by token with auto's strategies gives the prefill's figures up to
// summation order (GEMV and GEMM add in different orders) for a format
// whose auto GEMV keeps x in f32: q8_0 (its `dot` did not qualify on
// quality, kernels/gemv/gemv.cc). q4_0's auto is `dot`:
// TokenByTokenRunsAutosDot.
TEST(EvalTest, TokenByTokenMatchesThePrefillPath) {
  auto src = OpenLlama2cSource(kKjv);
  ASSERT_TRUE(src.ok());
  ASSERT_NE(GemvAutoStrategy(*ParseFormat("q8_0"), MakeContext(2).target()),
            GemvStrategy::kDot);
  EvalOptions opt;
  opt.policies = {Policy("q8_0"), Policy("f32")};
  opt.tokens = KjvIds(300);
  opt.ctx = 128;
  opt.greedy_tokens = 4;
  opt.progress = false;
  auto prefill = RunEval(MakeContext(2), **src, opt);
  ASSERT_TRUE(prefill.ok()) << prefill.status().ToString();
  opt.token_by_token = true;
  auto tbt = RunEval(MakeContext(2), **src, opt);
  ASSERT_TRUE(tbt.ok()) << tbt.status().ToString();
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(tbt->rows[i].name);
    EXPECT_TRUE(tbt->rows[i].token_by_token);
    EXPECT_NEAR(tbt->rows[i].nll, prefill->rows[i].nll, 1e-5);
    EXPECT_NEAR(tbt->rows[i].kl_mean, prefill->rows[i].kl_mean, 1e-5);
  }
  EXPECT_LT(tbt->rows[1].kl_mean, 1e-6);  // f32 token by token vs prefill
  EXPECT_EQ(tbt->reference.nll, prefill->reference.nll);
}

// Token by token, auto's GEMV is `dot` where it qualified (q4_0 on the x86
// targets): the q4_0 row then gives q4_0@dot's figures exactly, and differs
// from the prefill's q4_0 row (f32 activations) by x's int8 rounding.
TEST(EvalTest, TokenByTokenRunsAutosDot) {
  const Context ctx = MakeContext(2);
  if (GemvAutoStrategy(*ParseFormat("q4_0"), ctx.target()) !=
      GemvStrategy::kDot)
    GTEST_SKIP() << "auto is not dot for q4_0 on " << TargetName(ctx.target());
  auto src = OpenLlama2cSource(kKjv);
  ASSERT_TRUE(src.ok());
  EvalOptions opt;
  opt.policies = {Policy("q4_0"), Policy("q4_0@dot")};
  opt.tokens = KjvIds(300);
  opt.ctx = 128;
  opt.greedy_tokens = 4;
  opt.progress = false;
  auto prefill = RunEval(ctx, **src, opt);
  ASSERT_TRUE(prefill.ok()) << prefill.status().ToString();
  opt.token_by_token = true;
  auto tbt = RunEval(ctx, **src, opt);
  ASSERT_TRUE(tbt.ok()) << tbt.status().ToString();
  EXPECT_FALSE(prefill->rows[0].token_by_token);
  EXPECT_TRUE(tbt->rows[0].token_by_token);
  EXPECT_EQ(tbt->rows[0].nll, prefill->rows[1].nll);
  EXPECT_EQ(tbt->rows[0].kl_mean, prefill->rows[1].kl_mean);
  EXPECT_NE(tbt->rows[0].nll, prefill->rows[0].nll);
}

// --repack (qins::Repack on every q4_0, q4_1, iq4_nl, qins4 matrix) changes no
// figure: `dot` reads the interleaved copy on AVX3_DL with the same bits as
// the rows (elsewhere it is ignored). Token by token, so that every product
// is a GEMV.
TEST(EvalTest, RepackGivesTheSameFigures) {
  auto src = OpenLlama2cSource(kKjv);
  ASSERT_TRUE(src.ok());
  EvalOptions opt;
  opt.policies = {Policy("q4_0@dot"), Policy("q4_1@dot"), Policy("iq4_nl@dot"),
                  Policy("qins4@dot")};
  opt.tokens = KjvIds(200);
  opt.ctx = 64;
  opt.greedy_tokens = 4;
  opt.progress = false;
  opt.token_by_token = true;
  auto plain = RunEval(MakeContext(2), **src, opt);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  opt.repack = true;
  auto repacked = RunEval(MakeContext(2), **src, opt);
  ASSERT_TRUE(repacked.ok()) << repacked.status().ToString();
  ASSERT_EQ(plain->rows.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(plain->rows[i].name);
    EXPECT_EQ(repacked->rows[i].nll, plain->rows[i].nll);
    EXPECT_EQ(repacked->rows[i].kl_mean, plain->rows[i].kl_mean);
    EXPECT_EQ(repacked->rows[i].greedy_match, plain->rows[i].greedy_match);
  }
}

// A stored policy whose matrices lack the strategy is an error (the list
// parser catches the others, format_policy_test).
TEST(EvalTest, StrategyNoMatrixHasIsAnError) {
  auto src = OpenLlama2cSource(kStories);
  ASSERT_TRUE(src.ok());
  EvalOptions opt;
  FormatPolicy p = Policy("qins8-seed");
  p.gemv_strategy = GemvStrategy::kDot;  // bypassing SetGemvStrategy's check
  p.name = "qins8-seed@dot";
  opt.policies = {p};
  opt.tokens = {5, 6, 7, 8};
  opt.ctx = 4;
  opt.greedy_tokens = 1;
  opt.progress = false;
  auto r = RunEval(MakeContext(1), **src, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("qins8-seed@dot"), std::string::npos)
      << r.status().message();
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
        nll += Nll(logits, seq[pos + 1]);
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
