#include "qins/targets.h"

#include <cstdlib>
#include <string>

#include "dispatch/f32_kernels.h"
#include "gtest/gtest.h"
#include "qins/context.h"

namespace qins {
namespace {

TEST(TargetsTest, SupportedIsANonEmptyBestFirstSubsetOfCompiled) {
  const auto compiled = CompiledTargets();
  const auto supported = SupportedTargets();
  ASSERT_FALSE(supported.empty());
  for (size_t i = 0; i < supported.size(); ++i) {
    EXPECT_TRUE(IsCompiled(supported[i]));
    EXPECT_TRUE(IsSupported(supported[i]));
    if (i > 0) {
      EXPECT_LT(supported[i - 1].bit, supported[i].bit);  // best first
    }
  }
  EXPECT_EQ(BestTarget(), supported.front());
  // The portable fallback is always there.
  const std::string last = TargetName(compiled.back());
  EXPECT_TRUE(last == "scalar" || last == "emu128") << last;
  EXPECT_EQ(TargetName(supported.back()), last);
}

TEST(TargetsTest, ExpectedTargetsAreCompiled) {
  std::string names;
  for (Target t : CompiledTargets()) names += TargetName(t) + ",";
#if defined(__x86_64__)
  for (const char* want : {"avx3_dl,", "avx3,", "avx2,", "sse4,", "ssse3,"}) {
    EXPECT_NE(names.find(want), std::string::npos) << want << " in " << names;
  }
#elif defined(__aarch64__)
  for (const char* want : {"neon,", "sve,", "sve2,"}) {
    EXPECT_NE(names.find(want), std::string::npos) << want << " in " << names;
  }
#endif
}

TEST(TargetsTest, ParseRoundTripsEverySupportedTarget) {
  for (Target t : SupportedTargets()) {
    StatusOr<Target> p = ParseTarget(TargetName(t));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(*p, t);
    std::string upper = TargetName(t);
    for (char& c : upper) c = static_cast<char>(std::toupper(c));
    EXPECT_TRUE(ParseTarget(upper).ok()) << upper;
  }
}

TEST(TargetsTest, UnknownTargetErrorListsValidTargets) {
  StatusOr<Target> p = ParseTarget("bogus");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  for (Target t : SupportedTargets()) {
    EXPECT_NE(p.status().message().find(TargetName(t)), std::string::npos)
        << p.status().message();
  }
}

TEST(TargetsTest, OtherArchitectureTargetIsUnsupported) {
#if defined(__x86_64__)
  StatusOr<Target> p = ParseTarget("neon");
#else
  StatusOr<Target> p = ParseTarget("avx2");
#endif
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kUnsupported);
}

TEST(TargetsTest, ForcingEachTargetDispatchesToIt) {
  for (Target t : SupportedTargets()) {
    ContextOptions o;
    o.target = TargetName(t);
    o.num_threads = 1;
    StatusOr<Context> ctx = Context::Create(o);
    ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
    EXPECT_EQ(ctx->target(), t);
    EXPECT_EQ(GetF32Kernels(ctx->target()).target_bit, t.bit) << TargetName(t);
  }
}

TEST(TargetsTest, QinsTargetEnvironmentVariable) {
  const Target fallback = SupportedTargets().back();
  ASSERT_EQ(setenv("QINS_TARGET", TargetName(fallback).c_str(), 1), 0);
  StatusOr<Context> ctx = Context::Create();
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->target(), fallback);
  // An explicit option wins over the environment.
  ContextOptions o;
  o.target = TargetName(BestTarget());
  StatusOr<Context> explicit_ctx = Context::Create(o);
  ASSERT_TRUE(explicit_ctx.ok());
  EXPECT_EQ(explicit_ctx->target(), BestTarget());
  ASSERT_EQ(setenv("QINS_TARGET", "bogus", 1), 0);
  StatusOr<Context> bad = Context::Create();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("QINS_TARGET"), std::string::npos);
  unsetenv("QINS_TARGET");
  StatusOr<Context> def = Context::Create();
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->target(), BestTarget());
}

}  // namespace
}  // namespace qins
