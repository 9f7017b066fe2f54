// The public parallel-for of qins/context.h (dispatch/parallel.h is an alias).
#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "qins/context.h"

namespace qins {
namespace {

TEST(ParallelTest, CoversEveryIndexExactlyOnceWithGrain) {
  for (int threads : {1, 2, 3, 8}) {
    ContextOptions o;
    o.num_threads = threads;
    StatusOr<Context> ctx = Context::Create(o);
    ASSERT_TRUE(ctx.ok());
    for (size_t n : {0, 1, 2, 7, 64, 1000, 100003}) {
      for (size_t grain : {0, 1, 3, 64, 5000}) {
        std::vector<std::atomic<int>> hits(n);
        std::atomic<bool> short_range{false};
        ParallelFor(*ctx, n, grain, [&](size_t b, size_t e) {
          ASSERT_LT(b, e);
          if (e - b < grain && !(b == 0 && e == n)) short_range = true;
          for (size_t i = b; i < e; ++i) hits[i]++;
        });
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << i;
        EXPECT_FALSE(short_range) << "n=" << n << " grain=" << grain;
      }
    }
  }
}

TEST(ParallelTest, OneRangeRunsOnTheCallingThread) {
  for (int threads : {1, 4}) {
    ContextOptions o;
    o.num_threads = threads;
    StatusOr<Context> ctx = Context::Create(o);
    ASSERT_TRUE(ctx.ok());
    // threads == 1, or n < 2 * grain: one range, [0, n), on this thread.
    const size_t grain = threads == 1 ? 1 : 100;
    int calls = 0;
    std::thread::id where;
    size_t begin = 1, end = 0;
    auto f = [&](size_t b, size_t e) {  // an lvalue callable
      ++calls;
      where = std::this_thread::get_id();
      begin = b;
      end = e;
    };
    ParallelFor(*ctx, 150, grain, f);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(where, std::this_thread::get_id());
    EXPECT_EQ(begin, 0u);
    EXPECT_EQ(end, 150u);
  }
}

TEST(ParallelTest, RangesAreContiguousAndNearEqual) {
  ContextOptions o;
  o.num_threads = 3;
  StatusOr<Context> ctx = Context::Create(o);
  ASSERT_TRUE(ctx.ok());
  std::vector<std::atomic<size_t>> lengths(3);
  std::atomic<int> calls{0};
  ParallelFor(*ctx, 100, 1, [&](size_t b, size_t e) {
    calls++;
    // One range per thread: [0, 33), [33, 66), [66, 100).
    lengths[b < 33 ? 0 : b < 66 ? 1 : 2] = e - b;
  });
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(lengths[0].load(), 33u);
  EXPECT_EQ(lengths[1].load(), 33u);
  EXPECT_EQ(lengths[2].load(), 34u);
}

}  // namespace
}  // namespace qins
