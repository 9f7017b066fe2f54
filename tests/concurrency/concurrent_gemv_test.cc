// Concurrent use: 8 caller threads running GEMV on the same quantized
// matrices at once, through one shared Context and through one Context each,
// must get results bit-identical to a single caller. Run under ThreadSanitizer
// by the tsan preset (tools/run-tests.sh --tsan).
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "qins/context.h"
#include "qins/gemv.h"
#include "qins/quantize.h"
#include "tests/support/concurrent_callers.h"
#include "tests/support/reference.h"
#include "tests/support/tsan_skip.h"

namespace qins {
namespace {

struct Case {
  QuantizedMatrix w;
  GemvStrategy strategy;
  std::vector<float> x;
  std::vector<float> expected;  // one caller, one thread
};

std::vector<Case> MakeCases() {
  const size_t rows = 203, cols = 333;
  const std::vector<float> w = testing::RandomFloats(rows * cols, 5, 0.02f);
  std::vector<Case> cases;
  StatusOr<Context> one = testing::ContextWithThreads(1);
  EXPECT_TRUE(one.ok());
  for (const char* name : {"f32", "bf16", "q8_0", "q4_0", "iq4_nl", "i8row",
                           "qins8", "qins4", "qins8-seed", "fpins1-seed"}) {
    StatusOr<QuantizedMatrix> q =
        Quantize(*ParseFormat(name), w.data(), rows, cols);
    EXPECT_TRUE(q.ok()) << name;
    if (!q.ok()) continue;
    for (GemvStrategy s : GemvStrategies(q->format())) {
      Case c{*q, s, testing::RandomFloats(cols, 6 + cases.size()), {}};
      c.expected.resize(rows);
      GemvOptions o;
      o.strategy = s;
      EXPECT_TRUE(Gemv(*one, c.w, c.x.data(), c.expected.data(), o).ok());
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

// Each caller runs every case `reps` times in its own order.
void RunCallers(const std::vector<Case>& cases, bool shared_context,
                int ctx_threads) {
  testing::RunOnCallers(
      shared_context, ctx_threads,
      [&](const Context& ctx, int t, testing::CallerTally& tally) {
        for (int rep = 0; rep < 3; ++rep) {
          for (size_t i = 0; i < cases.size(); ++i) {
            const Case& c = cases[(i * 7 + t * 3 + rep) % cases.size()];
            std::vector<float> y(c.expected.size());
            GemvOptions o;
            o.strategy = c.strategy;
            if (!Gemv(ctx, c.w, c.x.data(), y.data(), o).ok()) {
              ++tally.errors;
              continue;
            }
            if (std::memcmp(y.data(), c.expected.data(), y.size() * 4) != 0)
              ++tally.mismatches;
          }
        }
      });
}

// One-thread contexts run every call on the caller's thread, so all the
// sharing is between the 8 callers (matrices, contexts, the dispatch tables
// and the kernels' static tables): what ThreadSanitizer can check.
TEST(ConcurrentGemvTest, EightCallersShareOneSingleThreadContext) {
  const std::vector<Case> cases = MakeCases();
  ASSERT_GT(cases.size(), 20u);
  RunCallers(cases, /*shared_context=*/true, 1);
}

TEST(ConcurrentGemvTest, EightCallersWithOwnSingleThreadContexts) {
  RunCallers(MakeCases(), /*shared_context=*/false, 1);
}

// Two-thread arenas add oneTBB's worker hand-off (not under TSan:
// tests/support/tsan_skip.h).

TEST(ConcurrentGemvTest, EightCallersShareOneTwoThreadContext) {
  QINS_SKIP_UNDER_TSAN();
  RunCallers(MakeCases(), /*shared_context=*/true, 2);
}

TEST(ConcurrentGemvTest, EightCallersWithOwnTwoThreadContexts) {
  QINS_SKIP_UNDER_TSAN();
  RunCallers(MakeCases(), /*shared_context=*/false, 2);
}

}  // namespace
}  // namespace qins
