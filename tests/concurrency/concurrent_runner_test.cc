// Several runner contexts in one process: 8 threads, each with its own
// Transformer (own KV cache and activations) over one shared ModelWeights,
// run prefill and greedy generation at once; every thread's logits and
// tokens must be bit-identical to the same run alone on one thread. Run
// under ThreadSanitizer by the tsan preset.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "qins/context.h"
#include "tests/support/concurrent_callers.h"
#include "tests/support/tsan_skip.h"
#include "tools/runner/convert.h"
#include "tools/runner/forward.h"
#include "tools/runner/generate.h"
#include "tools/runner/llama2c_source.h"

namespace qins::runner {
namespace {

struct Run {
  std::vector<int> tokens;
  std::vector<float> logits;
};

// Prompt `p` of a few fixed prompts, then 24 greedy tokens.
StatusOr<Run> RunPrompt(const Context& ctx, const ModelWeights& w, int p) {
  auto t = Transformer::Create(ctx, &w, 64);
  if (!t.ok()) return t.status();
  std::vector<int> prompt = {1};
  for (int i = 1; i < 3 + 5 * p; ++i)
    prompt.push_back((i * 31 + 7 * p) % w.config.vocab_size);
  Sampler greedy(w.config.vocab_size, 0.0f, 0.0f, 1);
  Run r;
  GenerateOptions g;
  g.max_new_tokens = 24;
  g.logits_out = &r.logits;
  auto out = Generate(*t, prompt, greedy, g);
  if (!out.ok()) return out.status();
  r.tokens = *out;
  return r;
}

void RunCallers(const std::string& format, bool shared_context,
                int ctx_threads) {
  constexpr int kPrompts = 3;
  StatusOr<Context> one = testing::ContextWithThreads(1);
  ASSERT_TRUE(one.ok());
  auto src = OpenLlama2cSource(QINS_MODELS_DIR "/stories260K.bin");
  ASSERT_TRUE(src.ok());
  auto w = ConvertModel(*one, **src, *ParseFormatPolicy(format, "", ""),
                        {.progress = false});
  ASSERT_TRUE(w.ok());
  std::vector<Run> expected;
  for (int p = 0; p < kPrompts; ++p) {
    auto r = RunPrompt(*one, *w, p);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(r->logits.empty());
    expected.push_back(std::move(*r));
  }
  testing::RunOnCallers(
      shared_context, ctx_threads,
      [&](const Context& ctx, int t, testing::CallerTally& tally) {
        for (int i = 0; i < kPrompts; ++i) {
          const int p = (i + t) % kPrompts;
          auto r = RunPrompt(ctx, *w, p);
          if (!r.ok()) {
            ++tally.errors;
            continue;
          }
          if (r->tokens != expected[p].tokens ||
              r->logits != expected[p].logits)
            ++tally.mismatches;
        }
      });
}

TEST(ConcurrentRunnerTest, EightModelsOnOwnSingleThreadContexts) {
  for (const char* f : {"f32", "qins8", "q4_0"}) {
    SCOPED_TRACE(f);
    RunCallers(f, /*shared_context=*/false, 1);
  }
}

TEST(ConcurrentRunnerTest, EightModelsShareOneSingleThreadContext) {
  RunCallers("qins8", /*shared_context=*/true, 1);
}

// Bit-identical to the one-thread run as well: prefill, attention and every
// product are independent of the thread count.
TEST(ConcurrentRunnerTest, EightModelsOnOwnTwoThreadContexts) {
  QINS_SKIP_UNDER_TSAN();
  for (const char* f : {"f32", "qins8", "q4_0"}) {
    SCOPED_TRACE(f);
    RunCallers(f, /*shared_context=*/false, 2);
  }
}

TEST(ConcurrentRunnerTest, EightModelsShareOneTwoThreadContext) {
  QINS_SKIP_UNDER_TSAN();
  RunCallers("qins8", /*shared_context=*/true, 2);
}

}  // namespace
}  // namespace qins::runner
