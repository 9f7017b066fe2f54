#include "dispatch/parallel.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

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

}  // namespace
}  // namespace qins
