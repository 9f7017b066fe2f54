#include "qins/context.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "gtest/gtest.h"

namespace qins {
namespace {

TEST(ContextTest, ThreadCountFromOptionsAndEnvironment) {
  unsetenv("QINS_THREADS");
  ContextOptions o;
  o.num_threads = 3;
  StatusOr<Context> c3 = Context::Create(o);
  ASSERT_TRUE(c3.ok());
  EXPECT_EQ(c3->num_threads(), 3);

  ASSERT_EQ(setenv("QINS_THREADS", "1", 1), 0);
  StatusOr<Context> c1 = Context::Create();
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(c1->num_threads(), 1);

  for (const char* bad : {"0", "-2", "two", "3x", ""}) {
    ASSERT_EQ(setenv("QINS_THREADS", bad, 1), 0);
    StatusOr<Context> c = Context::Create();
    if (*bad == '\0') {
      EXPECT_TRUE(c.ok());  // empty means unset
    } else {
      EXPECT_FALSE(c.ok()) << bad;
    }
  }
  unsetenv("QINS_THREADS");
  StatusOr<Context> def = Context::Create();
  ASSERT_TRUE(def.ok());
  EXPECT_GE(def->num_threads(), 1);
}

TEST(ContextTest, NegativeThreadsAndMissingNumaNodeAreErrors) {
  ContextOptions o;
  o.num_threads = -1;
  EXPECT_EQ(Context::Create(o).status().code(), StatusCode::kInvalidArgument);
  ContextOptions n;
  n.numa_node = 4095;
  StatusOr<Context> c = Context::Create(n);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("NUMA node 4095"), std::string::npos);
}

TEST(ContextTest, NumaNodeZeroBindsWhenItExists) {
  ContextOptions o;
  o.numa_node = 0;
  o.num_threads = 2;
  StatusOr<Context> c = Context::Create(o);
  // hwloc may report no NUMA information (then node ids are -1).
  if (c.ok()) {
    EXPECT_EQ(c->numa_node(), 0);
  } else {
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ContextTest, CopiesShareSettings) {
  ContextOptions o;
  o.num_threads = 2;
  StatusOr<Context> c = Context::Create(o);
  ASSERT_TRUE(c.ok());
  Context copy = *c;
  EXPECT_EQ(copy.num_threads(), 2);
  EXPECT_EQ(copy.target(), c->target());
}

// Issue 19 item 2: 16777216 and 2^31-1 crashed inside oneTBB, 2^31-2 threw
// std::bad_alloc, 100000 with another Context alive crashed at destruction.
TEST(ContextTest, ThreadCountsAboveTheLimitAreRefused) {
  unsetenv("QINS_THREADS");
  ContextOptions small;
  small.num_threads = 2;
  StatusOr<Context> alive = Context::Create(small);
  ASSERT_TRUE(alive.ok());
  for (int bad : {kMaxThreads + 1, 100000, 1 << 24, 2147483646, 2147483647}) {
    ContextOptions o;
    o.num_threads = bad;
    StatusOr<Context> c = Context::Create(o);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find("num_threads must be in [0, 4096]"),
              std::string::npos)
        << c.status().message();
  }
  ASSERT_EQ(setenv("QINS_THREADS", "4097", 1), 0);
  EXPECT_FALSE(Context::Create().ok());
  unsetenv("QINS_THREADS");
}

TEST(ContextTest, ConcurrencyIsWhatTheHardwareGrants) {
  ContextOptions o;
  o.num_threads = kMaxThreads;
  StatusOr<Context> c = Context::Create(o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->num_threads(), kMaxThreads);
  EXPECT_GE(c->concurrency(), 1);
  EXPECT_LE(c->concurrency(), static_cast<int>(std::max(
                                  1u, std::thread::hardware_concurrency())));
  o.num_threads = 1;
  StatusOr<Context> one = Context::Create(o);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->concurrency(), 1);
}

TEST(ContextTest, NegativeNumaNodesOtherThanMinusOneAreErrors) {
  ContextOptions o;
  o.numa_node = -5;
  StatusOr<Context> c = Context::Create(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("numa_node must be -1"),
            std::string::npos);
}

}  // namespace
}  // namespace qins
