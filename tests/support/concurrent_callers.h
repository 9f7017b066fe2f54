// The harness of the concurrency tests: kCallers threads run the same work
// at once, through one shared Context or one Context each, and every result
// must equal the single-caller one. ctx_threads > 1 hands work to oneTBB
// (skip those variants under TSan: tests/support/tsan_skip.h).
#ifndef QINS_TESTS_SUPPORT_CONCURRENT_CALLERS_H_
#define QINS_TESTS_SUPPORT_CONCURRENT_CALLERS_H_

#include <functional>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "qins/context.h"

namespace qins::testing {

inline constexpr int kCallers = 8;

// What one caller saw: calls that failed, and results that differed from
// the single-caller ones.
struct CallerTally {
  int errors = 0;
  int mismatches = 0;
};

// Runs body(ctx, caller, tally) on kCallers threads at once and expects no
// errors and no mismatches from any of them.
inline StatusOr<Context> ContextWithThreads(int threads) {
  ContextOptions o;
  o.num_threads = threads;
  return Context::Create(o);
}

inline void RunOnCallers(
    bool shared_context, int ctx_threads,
    const std::function<void(const Context&, int, CallerTally&)>& body) {
  StatusOr<Context> shared = ContextWithThreads(ctx_threads);
  ASSERT_TRUE(shared.ok());
  std::vector<CallerTally> tally(kCallers);
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t) {
    callers.emplace_back([&, t] {
      StatusOr<Context> own = ContextWithThreads(ctx_threads);
      if (!own.ok()) {
        ++tally[t].errors;
        return;
      }
      body(shared_context ? *shared : *own, t, tally[t]);
    });
  }
  for (std::thread& th : callers) th.join();
  for (int t = 0; t < kCallers; ++t) {
    EXPECT_EQ(tally[t].errors, 0) << "caller " << t;
    EXPECT_EQ(tally[t].mismatches, 0) << "caller " << t;
  }
}

}  // namespace qins::testing

#endif  // QINS_TESTS_SUPPORT_CONCURRENT_CALLERS_H_
