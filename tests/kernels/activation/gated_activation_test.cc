// ApplyGatedActivation (qins/activation.h) on every target: against a double
// reference over magnitudes from 1e-30 to 1e30 and the special values, bit for
// bit the same under flush-to-zero, independent of n and of the position in
// the array (the tail path), in place with gate == up, and its errors.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "dispatch/flush_to_zero.h"
#include "gtest/gtest.h"
#include "qins/activation.h"
#include "tests/support/per_target.h"

namespace qins {
namespace {

constexpr GateActivation kActs[] = {GateActivation::kSilu,
                                    GateActivation::kGeluTanh};

class GatedActivationTest : public testing::PerTargetTest {};

// The input as the function reads it: subnormals as a zero of their sign.
double Flushed(float v) {
  return std::fabs(v) < FLT_MIN ? std::copysign(0.0, v) : double{v};
}

double ActD(GateActivation a, double g) {
  if (std::isinf(g)) return g > 0 ? g : -0.0;  // the limits
  if (a == GateActivation::kSilu) return g / (1.0 + std::exp(-g));
  return 0.5 * g *
         (1.0 +
          std::tanh(std::sqrt(2.0 / M_PI) * g * (1.0 + 0.044715 * g * g)));
}

// Gates over the signs and magnitudes 1e-30 .. 1e30 (most between 1e-3 and
// 30, where models live), and ups likewise with a narrower range.
void RandomInputs(size_t n, uint32_t seed, std::vector<float>* g,
                  std::vector<float>* u) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> wide(-30, 30), narrow(-3, 1.5),
      unit(0, 1);
  g->resize(n);
  u->resize(n);
  for (size_t i = 0; i < n; ++i) {
    const float sg = unit(rng) < 0.5f ? -1.0f : 1.0f;
    const float e = unit(rng) < 0.2f ? wide(rng) : narrow(rng);
    (*g)[i] = sg * std::pow(10.0f, e);
    (*u)[i] = (unit(rng) < 0.5f ? -1.0f : 1.0f) * std::pow(10.0f, narrow(rng));
  }
}

// |out - exact| <= 2^-20 (|act| + |0.5 g| for GELU) |up| + 1e-36 max(1, |up|)
// (the flushed and the clamped tails, whose exact values are below 3e-37).
// Where |act| < 3e-37 (the flushed and clamped tails) act may also be taken
// as a zero of its sign, which matters only where up is Inf (0 * Inf: NaN).
::testing::AssertionResult CloseWith(GateActivation a, float g, float u,
                                     float out, bool zero_act);

::testing::AssertionResult Close(GateActivation a, float g, float u,
                                 float out) {
  const auto exact = CloseWith(a, g, u, out, false);
  if (exact || !(std::fabs(ActD(a, Flushed(g))) < 3e-37)) return exact;
  return CloseWith(a, g, u, out, true);
}

::testing::AssertionResult CloseWith(GateActivation a, float g, float u,
                                     float out, bool zero_act) {
  const double gd = Flushed(g), ud = Flushed(u);
  double act = ActD(a, gd);
  if (zero_act) act = std::copysign(0.0, act);
  const double want = act * ud;
  if (std::isnan(want) || std::isnan(out)) {
    if (std::isnan(want) && std::isnan(out))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << GateActivationName(a) << "(" << g << ") * " << u << " = " << out
           << ", want " << want;
  }
  // Beyond FLT_MAX the float result is an Inf of the exact value's sign.
  const float want_f = static_cast<float>(want);
  if (std::isinf(want_f) || std::isinf(out)) {
    if (want_f == out) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << GateActivationName(a) << "(" << g << ") * " << u << " = " << out
           << ", want " << want;
  }
  const double scale =
      std::fabs(act) + (a == GateActivation::kGeluTanh && std::isfinite(gd)
                            ? 0.5 * std::fabs(gd)
                            : 0.0);
  const double tol = std::ldexp(scale * std::fabs(ud), -20) +
                     1e-36 * std::max(1.0, std::fabs(ud));
  if (std::fabs(out - want) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << GateActivationName(a) << "(" << g << ") * " << u << " = " << out
         << ", want " << want << " (error " << std::fabs(out - want) << " > "
         << tol << ")";
}

std::vector<float> Specials() {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> v = {0.0f,
                          -0.0f,
                          inf,
                          -inf,
                          nan,
                          -nan,
                          FLT_MIN,
                          -FLT_MIN,
                          FLT_MIN / 4,
                          -FLT_MIN / 4,
                          FLT_TRUE_MIN,
                          -FLT_TRUE_MIN,
                          1.5f * FLT_MIN,
                          -1.5f * FLT_MIN,
                          3e-38f,
                          -3e-38f,
                          FLT_MAX,
                          -FLT_MAX,
                          1e19f,
                          -1e19f,
                          2e19f,
                          -2e19f,
                          1e-20f,
                          -1e-20f,
                          1.0f,
                          -1.0f,
                          5.0f,
                          -5.0f,
                          9.0f,
                          -9.0f,
                          -10.0f,
                          19.9f,
                          -19.9f,
                          20.0f,
                          -20.0f,
                          -20.1f,
                          -87.0f,
                          -88.7f,
                          -88.8f,
                          -92.0f,
                          -99.9f,
                          -100.0f,
                          -100.1f,
                          -104.0f,
                          -105.0f,
                          88.0f,
                          90.0f,
                          100.0f,
                          105.0f,
                          1e-7f,
                          -1e-7f};
  return v;
}

TEST_P(GatedActivationTest, WithinTheBoundOfTheExactValue) {
  const Context ctx = testing::MakeContext(target(), 1);
  std::vector<float> g, u;
  RandomInputs(20000, 7, &g, &u);
  for (GateActivation a : kActs) {
    std::vector<float> out = g;
    ASSERT_TRUE(
        ApplyGatedActivation(ctx, a, out.data(), u.data(), g.size()).ok());
    size_t bad = 0;
    for (size_t i = 0; i < g.size() && bad < 5; ++i) {
      const auto r = Close(a, g[i], u[i], out[i]);
      if (!r) {
        ++bad;
        ADD_FAILURE() << r.message();
      }
    }
  }
}

TEST_P(GatedActivationTest, SpecialValues) {
  const Context ctx = testing::MakeContext(target(), 1);
  const std::vector<float> s = Specials();
  const float ups[] = {
      1.0f,   -1.0f,       0.5f, 1e30f,
      -1e30f, FLT_MIN / 2, 0.0f, std::numeric_limits<float>::infinity()};
  for (GateActivation a : kActs) {
    for (float up : ups) {
      std::vector<float> out = s, u(s.size(), up);
      ASSERT_TRUE(
          ApplyGatedActivation(ctx, a, out.data(), u.data(), s.size()).ok());
      for (size_t i = 0; i < s.size(); ++i) {
        // 0 * Inf is NaN in the exact value too; the bound's check handles it.
        EXPECT_TRUE(Close(a, s[i], up, out[i])) << "index " << i;
        EXPECT_FALSE(std::fabs(out[i]) > 0 && std::fabs(out[i]) < FLT_MIN)
            << "subnormal result " << out[i] << " for " << s[i];
      }
    }
    // The limits and signs: act(+Inf) = +Inf, act(-Inf) = -0, act(-0) = -0.
    float v[3] = {std::numeric_limits<float>::infinity(),
                  -std::numeric_limits<float>::infinity(), -0.0f};
    const float one[3] = {1.0f, 1.0f, 1.0f};
    ASSERT_TRUE(ApplyGatedActivation(ctx, a, v, one, 3).ok());
    EXPECT_EQ(v[0], std::numeric_limits<float>::infinity());
    EXPECT_EQ(v[1], 0.0f);
    EXPECT_TRUE(std::signbit(v[1]));
    EXPECT_EQ(v[2], 0.0f);
    EXPECT_TRUE(std::signbit(v[2]));
  }
}

// Each element's result depends on its own inputs only: every n from 0 to
// 70 and every offset give the bits of one long call.
TEST_P(GatedActivationTest, IndependentOfLengthAndPosition) {
  const Context ctx = testing::MakeContext(target(), 1);
  std::vector<float> g, u;
  RandomInputs(80, 11, &g, &u);
  const std::vector<float> s = Specials();
  std::copy(s.begin(), s.begin() + 20, g.begin() + 30);
  for (GateActivation a : kActs) {
    std::vector<float> whole = g;
    ASSERT_TRUE(ApplyGatedActivation(ctx, a, whole.data(), u.data(), 80).ok());
    for (size_t off : {0, 1, 3, 9}) {
      for (size_t n = 0; n + off <= 71; ++n) {
        std::vector<float> part = g;
        ASSERT_TRUE(
            ApplyGatedActivation(ctx, a, part.data() + off, u.data() + off, n)
                .ok());
        for (size_t i = 0; i < 80; ++i) {
          const float want = (i >= off && i < off + n) ? whole[i] : g[i];
          ASSERT_EQ(0, std::memcmp(&part[i], &want, 4))
              << GateActivationName(a) << " off " << off << " n " << n << " i "
              << i;
        }
      }
    }
    // In place with up == gate: act(g) * g.
    std::vector<float> same = g, twice = g;
    ASSERT_TRUE(
        ApplyGatedActivation(ctx, a, same.data(), same.data(), 80).ok());
    ASSERT_TRUE(ApplyGatedActivation(ctx, a, twice.data(), g.data(), 80).ok());
    EXPECT_EQ(0, std::memcmp(same.data(), twice.data(), 80 * 4));
  }
}

TEST_P(GatedActivationTest, IdenticalUnderFlushToZero) {
  if (!kHaveFlushFlags) GTEST_SKIP() << "no flush flags known here";
  const Context ctx = testing::MakeContext(target(), 1);
  std::vector<float> g, u;
  RandomInputs(4000, 5, &g, &u);
  const std::vector<float> s = Specials();
  for (size_t i = 0; i < s.size(); ++i) {
    g[i] = s[i];
    g[s.size() + i] = s[i];
    u[s.size() + i] = (i % 2 ? 1e30f : FLT_MIN / 8);
    u[2 * s.size() + i] = s[i];
  }
  for (GateActivation a : kActs) {
    std::vector<float> clear = g, flushed = g;
    ASSERT_TRUE(
        ApplyGatedActivation(ctx, a, clear.data(), u.data(), g.size()).ok());
    {
      ScopedFlushToZero ftz;
      ASSERT_TRUE(
          ApplyGatedActivation(ctx, a, flushed.data(), u.data(), g.size())
              .ok());
    }
    for (size_t i = 0; i < g.size(); ++i) {
      ASSERT_EQ(0, std::memcmp(&clear[i], &flushed[i], 4))
          << GateActivationName(a) << "(" << g[i] << ") * " << u[i] << ": "
          << clear[i] << " with the flags clear, " << flushed[i] << " set";
    }
  }
}

TEST_P(GatedActivationTest, Errors) {
  const Context ctx = testing::MakeContext(target(), 1);
  float x[2] = {1, 2};
  EXPECT_TRUE(
      ApplyGatedActivation(ctx, GateActivation::kSilu, nullptr, nullptr, 0)
          .ok());
  Status s = ApplyGatedActivation(ctx, GateActivation::kSilu, nullptr, x, 2);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("gate is null"), std::string::npos) << s.message();
  s = ApplyGatedActivation(ctx, GateActivation::kGeluTanh, x, nullptr, 2);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("up is null"), std::string::npos) << s.message();
  s = ApplyGatedActivation(ctx, static_cast<GateActivation>(7), x, x, 2);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("unknown activation 7"), std::string::npos)
      << s.message();
  EXPECT_EQ(x[0], 1.0f);  // untouched on error
  EXPECT_STREQ(GateActivationName(GateActivation::kSilu), "silu");
  EXPECT_STREQ(GateActivationName(GateActivation::kGeluTanh), "gelu_tanh");
}

QINS_INSTANTIATE_PER_TARGET(GatedActivationTest);

}  // namespace
}  // namespace qins
