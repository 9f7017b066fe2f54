// The integer-dot GEMM (GemmStrategy::kDot) on every target: each row of Y
// equals, bit for bit, the `dot` GEMV of that row of X (itself checked bit
// for bit against an independent scalar reference on every target,
// tests/kernels/gemv/gemv_dot_test.cc), for every format that has it, odd
// shapes, partial panels and tiles, extreme codes and x blocks; independent
// of the thread count and of the batch; rows of X with Inf or NaN; strides;
// errors.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "dispatch/arm_i8mm.h"
#include "dispatch/gemm_kernels.h"
#include "gtest/gtest.h"
#include "qins/format.h"
#include "qins/gemm.h"
#include "qins/gemv.h"
#include "qins/quantize.h"
#include "tests/support/dot_reference.h"
#include "tests/support/format_cols.h"
#include "tests/support/per_target.h"
#include "tests/support/reference.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace qins {
namespace {

constexpr const char* kFormats[] = {"q8_0", "i8row",  "q4_0",  "q4_1", "q5_0",
                                    "q5_1", "iq4_nl", "qins4", "q4_k", "q5_k",
                                    "q6_k", "q3_k",   "iq4_xs"};

class GemmDotTest : public testing::PerTargetTest {};

GemmOptions DotOptions(bool gemv_for_single_row = false) {
  GemmOptions o;
  o.strategy = GemmStrategy::kDot;
  o.gemv_for_single_row = gemv_for_single_row;
  return o;
}

// Gemm(kDot) of m rows of x (ldx apart) on `threads` threads equals
// Gemv(kDot) of each row bit for bit; y's padding (ldy > n) is untouched.
::testing::AssertionResult EqualsGemvDot(Target t, int threads,
                                         const QuantizedMatrix& q,
                                         const float* x, size_t m, size_t ldx,
                                         size_t ldy) {
  const size_t n = q.rows();
  std::vector<float> y(m * ldy, 12345.0f), yv(n);
  const Context ctx = testing::MakeContext(t, threads);
  Status s = Gemm(ctx, q, x, m, ldx, y.data(), ldy, DotOptions());
  if (!s.ok()) return ::testing::AssertionFailure() << s.ToString();
  for (size_t i = 0; i < m; ++i) {
    s = Gemv(ctx, q, x + i * ldx, yv.data(), {GemvStrategy::kDot});
    if (!s.ok()) return ::testing::AssertionFailure() << s.ToString();
    for (size_t j = 0; j < n; ++j) {
      if (std::memcmp(&y[i * ldy + j], &yv[j], 4) != 0) {
        return ::testing::AssertionFailure()
               << "Y[" << i << "][" << j << "] = " << y[i * ldy + j]
               << ", the dot GEMV gives " << yv[j];
      }
    }
    for (size_t j = n; j < ldy; ++j) {
      if (y[i * ldy + j] != 12345.0f)
        return ::testing::AssertionFailure() << "padding written, row " << i;
    }
  }
  return ::testing::AssertionSuccess();
}

TEST_P(GemmDotTest, EqualsTheDotGemvOnOddShapes) {
  for (const char* name : kFormats) {
    const Format f = *ParseFormat(name);
    ASSERT_TRUE(HasGemmStrategy(f, GemmStrategy::kDot));
    // n: one partial panel, a full one (16), one and a row, several; k: a
    // partial block, blocks not a multiple of 8 (the partial-sum lanes).
    for (size_t n : {1, 7, 16, 17, 50}) {
      for (size_t k_in : {1, 5, 33, 300, 520}) {
        // The K-quants: k = 256 and 768 (whole super-blocks), once each.
        const size_t k = testing::FitCols(f, k_in);
        if (k != k_in && k_in != 1 && k_in != 520) continue;
        const std::vector<float> w =
            testing::RandomFloats(n * k, 3 + n * 5 + k, 0.02f);
        StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), n, k);
        ASSERT_TRUE(q.ok()) << q.status().ToString();
        // m: partial tiles (1..7 rows), a full tile of 8, more.
        for (size_t m : {2, 3, 8, 9, 19}) {
          SCOPED_TRACE(::testing::Message()
                       << name << " n=" << n << " k=" << k << " m=" << m);
          std::vector<float> x(m * k);
          for (size_t i = 0; i < m; ++i) {
            const std::vector<float> xi = testing::MixedX(k, 40 + i + k);
            std::copy(xi.begin(), xi.end(), x.begin() + i * k);
          }
          ASSERT_TRUE(EqualsGemvDot(target(), 2, *q, x.data(), m, k, n));
        }
      }
    }
  }
}

// The extreme codes: weights at +-max of their block (code +-127 / the
// nibble ends) against x codes of +-127 with the same and opposite signs,
// so that each int32 block sum is at its largest.
TEST_P(GemmDotTest, ExtremeCodes) {
  const size_t n = 19, k = 256, m = 9;
  std::vector<float> w(n * k), x(m * k);
  for (size_t r = 0; r < n; ++r)
    for (size_t c = 0; c < k; ++c)
      w[r * k + c] = (r + c / 32 + c) % 2 ? -1.0f : 1.0f;
  for (size_t i = 0; i < m; ++i)
    for (size_t c = 0; c < k; ++c)
      x[i * k + c] = ((i + c) % 3 == 0 ? -1.0f : 1.0f) * 3.0f;
  for (const char* name : kFormats) {
    SCOPED_TRACE(name);
    StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat(name), w.data(), n, k);
    ASSERT_TRUE(q.ok());
    ASSERT_TRUE(EqualsGemvDot(target(), 2, *q, x.data(), m, k, n));
  }
}

TEST_P(GemmDotTest, StridesThreadsAndBatch) {
  const size_t n = 301, k = 515, m = 45, ldx = k + 3, ldy = n + 5;
  const std::vector<float> w = testing::RandomFloats(n * k, 8, 0.02f);
  const std::vector<float> x = testing::RandomFloats(m * ldx, 9);
  for (const char* name : {"q4_0", "q4_1", "qins4", "i8row"}) {
    SCOPED_TRACE(name);
    StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat(name), w.data(), n, k);
    ASSERT_TRUE(q.ok());
    ASSERT_TRUE(EqualsGemvDot(target(), 2, *q, x.data(), m, ldx, ldy));
    std::vector<float> y1(m * n), y3(m * n), y_part(5 * n);
    ASSERT_TRUE(Gemm(testing::MakeContext(target(), 1), *q, x.data(), m, ldx,
                     y1.data(), n, DotOptions())
                    .ok());
    ASSERT_TRUE(Gemm(testing::MakeContext(target(), 3), *q, x.data(), m, ldx,
                     y3.data(), n, DotOptions())
                    .ok());
    EXPECT_EQ(0, std::memcmp(y1.data(), y3.data(), y1.size() * 4));
    ASSERT_TRUE(Gemm(testing::MakeContext(target(), 3), *q, x.data() + 10 * ldx,
                     5, ldx, y_part.data(), n, DotOptions())
                    .ok());
    EXPECT_EQ(
        0, std::memcmp(y1.data() + 10 * n, y_part.data(), y_part.size() * 4));
    // M = 1 through the GEMV (the default) and through the batched kernel.
    for (bool via_gemv : {true, false}) {
      ASSERT_TRUE(Gemm(testing::MakeContext(target(), 2), *q,
                       x.data() + 44 * ldx, 1, ldx, y_part.data(), n,
                       DotOptions(via_gemv))
                      .ok());
      EXPECT_EQ(0, std::memcmp(y1.data() + 44 * n, y_part.data(), n * 4));
    }
  }
}

// A row of X with an Inf or a NaN has no int8 codes: it is computed as the
// dot GEMV computes it (with f32 activations); the other rows are not
// affected.
TEST_P(GemmDotTest, NonFiniteRowsOfX) {
  const size_t n = 20, k = 70, m = 6;
  const std::vector<float> w = testing::RandomFloats(n * k, 11, 0.02f);
  std::vector<float> x = testing::RandomFloats(m * k, 12);
  x[1 * k + 3] = std::numeric_limits<float>::infinity();
  x[4 * k + 69] = std::numeric_limits<float>::quiet_NaN();
  StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat("q4_0"), w.data(), n, k);
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(EqualsGemvDot(target(), 2, *q, x.data(), m, k, n));
  std::vector<float> y(m * n);
  ASSERT_TRUE(Gemm(testing::MakeContext(target(), 2), *q, x.data(), m, k,
                   y.data(), n, DotOptions())
                  .ok());
  EXPECT_TRUE(std::isnan(y[4 * n]));  // NaN reaches every output of its row
  EXPECT_TRUE(std::isfinite(y[0]) && std::isfinite(y[5 * n + 19]));
}

TEST_P(GemmDotTest, FormatsWithoutIt) {
  const Context ctx = testing::MakeContext(target(), 1);
  const std::vector<float> w = testing::RandomFloats(4 * 256, 13, 0.02f);
  const std::vector<float> x = testing::RandomFloats(2 * 256, 14);
  std::vector<float> y(8);
  for (const char* name : {"f32", "bf16", "qins8", "q2_k"}) {
    SCOPED_TRACE(name);
    const Format f = *ParseFormat(name);
    EXPECT_FALSE(HasGemmStrategy(f, GemmStrategy::kDot));
    EXPECT_TRUE(HasGemmStrategy(f, GemmStrategy::kDecodeF32));
    StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), 4, 256);
    ASSERT_TRUE(q.ok());
    const Status s = Gemm(ctx, *q, x.data(), 2, 256, y.data(), 4, DotOptions());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("no dot strategy"), std::string::npos)
        << s.message();
  }
  EXPECT_STREQ(GemmStrategyName(GemmStrategy::kDot), "dot");
  EXPECT_STREQ(GemmStrategyName(GemmStrategy::kDecodeF32), "f32");
}

QINS_INSTANTIATE_PER_TARGET(GemmDotTest);

// The i8mm (usmmla) tile exists on NEON built with dotprod, and the GEMM
// runs it where the CPU has i8mm (unless QINS_NO_I8MM), so the tests above
// check it bit for bit against the GEMV wherever that holds: the
// arm64-dotprod preset's run under qemu -cpu max. Elsewhere the sdot tile
// (-cpu neoverse-n1) or another target's.
TEST(GemmDotI8mmTest, TilePresentAndPickedWhereTheCpuHasI8mm) {
  for (Target t : CompiledTargets()) {
    const bool tile = GetGemmKernels(t).dot_rows_i8mm != nullptr;
#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
    EXPECT_EQ(tile, t == *ParseTarget("neon")) << TargetName(t);
#else
    EXPECT_FALSE(tile) << TargetName(t);
#endif
  }
#if defined(__aarch64__) && defined(__linux__)
  const bool cpu = (getauxval(AT_HWCAP2) & (1UL << 13)) != 0;  // HWCAP2_I8MM
  const char* env = std::getenv("QINS_NO_I8MM");
  const bool off = env != nullptr && *env != '\0' && std::strcmp(env, "0") != 0;
  EXPECT_EQ(UseArmI8mm(), cpu && !off);
  // Set by the qemu run meant for the i8mm tile: fail, not pass, if the
  // emulated CPU stops offering i8mm.
  if (std::getenv("QINS_TEST_EXPECT_I8MM") != nullptr) {
    EXPECT_TRUE(UseArmI8mm()) << "this run is meant to test the i8mm tile";
  }
#elif !defined(__aarch64__)
  EXPECT_FALSE(UseArmI8mm());
#endif
}

}  // namespace
}  // namespace qins
