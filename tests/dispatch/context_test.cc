#include "qins/context.h"

#include <cstdlib>

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

}  // namespace
}  // namespace qins
