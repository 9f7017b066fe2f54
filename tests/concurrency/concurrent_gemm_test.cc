// Concurrent use of GEMM: 8 caller threads running Gemm on the same quantized
// matrices at once, through one shared Context and through one Context each,
// must get results bit-identical to a single caller on one thread (Gemm's
// result does not depend on the thread count or the blocking: qins/gemm.h).
// Run under ThreadSanitizer by the tsan preset.
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "qins/context.h"
#include "qins/gemm.h"
#include "qins/quantize.h"
#include "tests/support/concurrent_callers.h"
#include "tests/support/reference.h"
#include "tests/support/tsan_skip.h"

namespace qins {
namespace {

struct Case {
  QuantizedMatrix w;
  size_t m;
  std::vector<float> x;         // m x cols
  std::vector<float> expected;  // m x rows: one caller, one thread
};

std::vector<Case> MakeCases() {
  // Odd shapes: rows and cols not multiples of any vector or block length.
  const size_t rows = 75, cols = 131;
  const std::vector<float> w = testing::RandomFloats(rows * cols, 11, 0.02f);
  std::vector<Case> cases;
  StatusOr<Context> one = testing::ContextWithThreads(1);
  EXPECT_TRUE(one.ok());
  for (const char* name :
       {"f32", "bf16", "f16", "q8_0", "q4_0", "iq4_nl", "i8row", "qins8",
        "qins4", "qins8-seed", "fpins2-seed"}) {
    StatusOr<QuantizedMatrix> q =
        Quantize(*ParseFormat(name), w.data(), rows, cols);
    EXPECT_TRUE(q.ok()) << name;
    if (!q.ok()) continue;
    for (size_t m : {size_t{2}, size_t{13}}) {
      Case c{*q, m, testing::RandomFloats(m * cols, 20 + cases.size()), {}};
      c.expected.resize(m * rows);
      EXPECT_TRUE(
          Gemm(*one, c.w, c.x.data(), m, cols, c.expected.data(), rows).ok());
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

void RunCallers(const std::vector<Case>& cases, bool shared_context,
                int ctx_threads) {
  testing::RunOnCallers(
      shared_context, ctx_threads,
      [&](const Context& ctx, int t, testing::CallerTally& tally) {
        for (int rep = 0; rep < 2; ++rep) {
          for (size_t i = 0; i < cases.size(); ++i) {
            const Case& c = cases[(i * 5 + t * 3 + rep) % cases.size()];
            std::vector<float> y(c.expected.size());
            if (!Gemm(ctx, c.w, c.x.data(), c.m, c.w.cols(), y.data(),
                      c.w.rows())
                     .ok()) {
              ++tally.errors;
              continue;
            }
            if (std::memcmp(y.data(), c.expected.data(), y.size() * 4) != 0)
              ++tally.mismatches;
          }
        }
      });
}

TEST(ConcurrentGemmTest, EightCallersShareOneSingleThreadContext) {
  const std::vector<Case> cases = MakeCases();
  ASSERT_EQ(cases.size(), 22u);
  RunCallers(cases, /*shared_context=*/true, 1);
}

TEST(ConcurrentGemmTest, EightCallersWithOwnSingleThreadContexts) {
  RunCallers(MakeCases(), /*shared_context=*/false, 1);
}

TEST(ConcurrentGemmTest, EightCallersShareOneTwoThreadContext) {
  QINS_SKIP_UNDER_TSAN();
  RunCallers(MakeCases(), /*shared_context=*/true, 2);
}

TEST(ConcurrentGemmTest, EightCallersWithOwnTwoThreadContexts) {
  QINS_SKIP_UNDER_TSAN();
  RunCallers(MakeCases(), /*shared_context=*/false, 2);
}

}  // namespace
}  // namespace qins
