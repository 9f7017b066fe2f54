// GEMV of every weight format and strategy on every target: the decode
// strategy bit-identical to GemvF32 over the dequantized matrix, every
// strategy within the f32 summation bound of a double-precision reference.
#include "qins/gemv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "dispatch/f32_kernels.h"
#include "dispatch/gemv_kernels.h"
#include "gtest/gtest.h"
#include "qins/quantize.h"
#include "tests/support/format_cols.h"
#include "tests/support/per_target.h"
#include "tests/support/reference.h"

namespace qins {
namespace {

class GemvTest : public testing::PerTargetTest {};

TEST_P(GemvTest, DecodeStrategyEqualsF32GemvOverDequantizedWeights) {
  for (size_t rows : {1, 7, 33}) {
    for (size_t cols_in : {1, 31, 33, 100, 257}) {
      for (Format f : AllFormats()) {
        if (f.kind == FormatKind::kFpinsNearest && f.level > 2)
          continue;  // slow encoder; same decoder
        // The K-quants: 256 and 768 (odd numbers of super-blocks), once.
        const size_t cols = testing::FitCols(f, cols_in);
        if (cols != cols_in && cols_in != 1 && cols_in != 257) continue;
        const std::vector<float> w =
            testing::RandomFloats(rows * cols, 3 + rows + cols, 0.02f);
        const std::vector<float> x = testing::RandomFloats(cols, 4 + cols);
        SCOPED_TRACE(::testing::Message()
                     << FormatName(f) << " " << rows << "x" << cols);
        StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), rows, cols);
        ASSERT_TRUE(q.ok());
        std::vector<float> dq(rows * cols);
        ASSERT_TRUE(DequantizeReference(*q, dq.data()).ok());
        const Context ctx = testing::MakeContext(target(), 2);
        std::vector<float> y(rows), ref(rows);
        GemvOptions decode;
        decode.strategy = GemvStrategy::kDecode;
        ASSERT_TRUE(Gemv(ctx, *q, x.data(), y.data(), decode).ok());
        ASSERT_TRUE(
            GemvF32(ctx, dq.data(), rows, cols, cols, x.data(), ref.data())
                .ok());
        ASSERT_EQ(0, std::memcmp(y.data(), ref.data(), rows * 4));
        // And near the exact product of the dequantized weights (f32
        // summation error only; the bound is derived in gemv_f32_test.cc).
        std::vector<double> exact, abs_sum;
        testing::GemvReference(dq.data(), rows, cols, cols, x.data(), exact,
                               abs_sum);
        for (size_t i = 0; i < rows; ++i) {
          ASSERT_NEAR(y[i], exact[i], 1e-5 * (1 + abs_sum[i])) << i;
        }
      }
    }
  }
}

// Every strategy of every format against a double-precision reference over
// the dequantized weights. Bound per row: the f32 summation bound of
// gemv_f32_test.cc (m roundings on any product's path, m = ceil(K / 2N) +
// 3 + log2 N) plus 2 for the fused kernels' two roundings of a weight (its
// scaled bits, then the row scale applied to the sum instead of to each
// weight), times u = 2^-24 and sum |w x|, with 5% slack.
TEST_P(GemvTest, EveryStrategyMatchesTheReference) {
  const double lanes = static_cast<double>(GetF32Kernels(target()).f32_lanes());
  for (size_t rows : {1, 5, 33}) {
    for (size_t cols_in : {1, 31, 64, 65, 257, 1000}) {
      for (Format f : AllFormats()) {
        if (f.kind == FormatKind::kFpinsNearest && f.level > 2)
          continue;  // slow encoder; same decoder
        // The K-quants: 256, 768 and 1280 (odd numbers of super-blocks).
        const size_t cols = testing::FitCols(f, cols_in);
        if (cols != cols_in && cols_in != 1 && cols_in != 257 &&
            cols_in != 1000)
          continue;
        const std::vector<float> w =
            testing::RandomFloats(rows * cols, 30 + rows + cols, 0.02f);
        const std::vector<float> x = testing::RandomFloats(cols, 40 + cols);
        const std::string name = FormatName(f);
        StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), rows, cols);
        ASSERT_TRUE(q.ok());
        std::vector<float> dq(rows * cols);
        ASSERT_TRUE(DequantizeReference(*q, dq.data()).ok());
        std::vector<double> exact, abs_sum;
        testing::GemvReference(dq.data(), rows, cols, cols, x.data(), exact,
                               abs_sum);
        const double m0 =
            std::ceil(cols / (2 * lanes)) + 3 + std::log2(lanes) + 2;
        for (GemvStrategy s : GemvStrategies(f)) {
          // dot rounds x to int8: its own bounds in gemv_dot_test.cc; so
          // does auto where it picks dot (it runs the named strategy bit for
          // bit: AutoRunsTheStrategyGemvAutoStrategyNames).
          if (s == GemvStrategy::kDot ||
              (s == GemvStrategy::kAuto &&
               GemvAutoStrategy(f, target()) == GemvStrategy::kDot))
            continue;
          // arith: Highway's Exp is within 2 ulp of std::exp (and its
          // argument may round differently): 3 more roundings per weight.
          const double m = m0 + (s == GemvStrategy::kArith ? 3 : 0);
          SCOPED_TRACE(::testing::Message()
                       << name << "/" << GemvStrategyName(s) << " " << rows
                       << "x" << cols);
          std::vector<float> y(rows, NAN);
          GemvOptions o;
          o.strategy = s;
          ASSERT_TRUE(
              Gemv(testing::MakeContext(target(), 2), *q, x.data(), y.data(), o)
                  .ok());
          for (size_t i = 0; i < rows; ++i) {
            ASSERT_NEAR(y[i], exact[i],
                        1.05 * m * std::ldexp(1.0, -24) * abs_sum[i])
                << i;
          }
        }
      }
    }
  }
}

// qins8 bitbuild carries its weights times 4 and takes the 4 out of the row
// sum (kernels/gemv/gemv_fused-inl.h; until 2026-12 it scaled x by a power
// of two instead); activations of any magnitude, and non-finite ones, must
// give what plain arithmetic gives.
TEST_P(GemvTest, Qins8BitbuildAtExtremeActivationScales) {
  const size_t rows = 9, cols = 300;
  const std::vector<float> w = testing::RandomFloats(rows * cols, 77, 0.02f);
  const std::vector<float> x0 = testing::RandomFloats(cols, 78);
  StatusOr<QuantizedMatrix> q =
      Quantize(*ParseFormat("qins8"), w.data(), rows, cols);
  ASSERT_TRUE(q.ok());
  std::vector<float> dq(rows * cols);
  ASSERT_TRUE(DequantizeReference(*q, dq.data()).ok());
  const Context ctx = testing::MakeContext(target(), 2);
  GemvOptions o;
  o.strategy = GemvStrategy::kBitbuild;
  const double lanes = static_cast<double>(GetF32Kernels(target()).f32_lanes());
  const double m = std::ceil(cols / (2 * lanes)) + 3 + std::log2(lanes) + 2;
  std::vector<float> y_unit(rows);
  ASSERT_TRUE(Gemv(ctx, *q, x0.data(), y_unit.data(), o).ok());
  for (int e : {-120, -60, -10, 20, 25, 26, 40, 100}) {
    SCOPED_TRACE(e);
    std::vector<float> x(cols);
    for (size_t i = 0; i < cols; ++i) x[i] = std::ldexp(x0[i], e);
    std::vector<float> y(rows);
    ASSERT_TRUE(Gemv(ctx, *q, x.data(), y.data(), o).ok());
    std::vector<double> exact, abs_sum;
    testing::GemvReference(dq.data(), rows, cols, cols, x.data(), exact,
                           abs_sum);
    for (size_t i = 0; i < rows; ++i) {
      ASSERT_NEAR(y[i], exact[i], 1.05 * m * std::ldexp(1.0, -24) * abs_sum[i])
          << i;
      // Scaling x by 2^e scales y by 2^e exactly (no under/overflow here).
      if (e > -100 && e < 100) {
        ASSERT_EQ(y[i], std::ldexp(y_unit[i], e)) << i;
      }
    }
  }
  // Inf in x: every row with a nonzero weight in that column gets +-Inf or
  // NaN, as IEEE arithmetic gives; NaN propagates to every row.
  std::vector<float> x = x0;
  x[5] = INFINITY;
  std::vector<float> y(rows);
  ASSERT_TRUE(Gemv(ctx, *q, x.data(), y.data(), o).ok());
  for (size_t i = 0; i < rows; ++i) {
    if (dq[i * cols + 5] != 0) {
      EXPECT_FALSE(std::isfinite(y[i])) << i;
    }
  }
  x[5] = NAN;
  ASSERT_TRUE(Gemv(ctx, *q, x.data(), y.data(), o).ok());
  for (size_t i = 0; i < rows; ++i) EXPECT_TRUE(std::isnan(y[i])) << i;
}

// auto runs exactly the strategy GemvAutoStrategy names, bit for bit.
TEST_P(GemvTest, AutoRunsTheStrategyGemvAutoStrategyNames) {
  const size_t rows = 37;
  const Context ctx = testing::MakeContext(target(), 1);
  for (Format f : AllFormats()) {
    if (f.kind == FormatKind::kFpinsNearest && f.level > 1) continue;
    const size_t cols = testing::FitCols(f, 300);  // K-quants: 768
    const std::vector<float> w = testing::RandomFloats(rows * cols, 11, 0.02f);
    const std::vector<float> x = testing::RandomFloats(cols, 12);
    StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), rows, cols);
    ASSERT_TRUE(q.ok());
    const GemvStrategy s = GemvAutoStrategy(f, target());
    ASSERT_NE(s, GemvStrategy::kAuto);
    const std::vector<GemvStrategy> have = GemvStrategies(f);
    ASSERT_NE(std::find(have.begin(), have.end(), s), have.end());
    std::vector<float> ya(rows), ys(rows);
    GemvOptions o;
    ASSERT_TRUE(Gemv(ctx, *q, x.data(), ya.data(), o).ok());
    o.strategy = s;
    ASSERT_TRUE(Gemv(ctx, *q, x.data(), ys.data(), o).ok());
    EXPECT_EQ(0, std::memcmp(ya.data(), ys.data(), rows * 4)) << FormatName(f);
  }
  EXPECT_EQ(GemvAutoStrategy(*ParseFormat("qins8"), target()),
            GemvStrategy::kBitbuild);
}

// The format table (kernels/formats/format_table.h) lists each format's
// strategies; every compiled target has a fused kernel for every listed
// pair, and a missing one is an error naming the format, strategy and
// target (Gemv returns it instead of running another format's kernel).
TEST(GemvKernelTableTest, EveryListedStrategyHasAKernelOnEveryTarget) {
  for (Target t : CompiledTargets()) {
    const Status st = CheckGemvKernels(GetGemvKernels(t), TargetName(t));
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
}

TEST(GemvKernelTableTest, AMissingKernelIsAnErrorNamingIt) {
  GemvKernels k = GetGemvKernels(CompiledTargets().front());
  k.fused[static_cast<size_t>(FormatKind::kQ4_0)]
         [static_cast<size_t>(GemvStrategy::kRegtable)] = nullptr;
  const Status st = CheckGemvKernels(k, "avx-test");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'q4_0' lists strategy 'regtable'"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("avx-test"), std::string::npos) << st.message();
}

// HasGemvStrategy answers as a search of GemvStrategies does, for every
// format and strategy, and for a kind outside the table (kAuto only).
TEST(GemvKernelTableTest, HasGemvStrategyMatchesTheList) {
  std::vector<Format> formats = AllFormats();
  formats.push_back(Format{FormatKind::kCount, 0});
  for (const Format& f : formats) {
    const std::vector<GemvStrategy> have = GemvStrategies(f);
    for (int i = 0; i < static_cast<int>(GemvStrategy::kCount); ++i) {
      const auto s = static_cast<GemvStrategy>(i);
      EXPECT_EQ(HasGemvStrategy(f, s),
                std::find(have.begin(), have.end(), s) != have.end())
          << static_cast<int>(f.kind) << " " << GemvStrategyName(s);
    }
  }
  EXPECT_FALSE(HasGemvStrategy(*ParseFormat("q8_0"), GemvStrategy::kBitbuild));
  EXPECT_TRUE(HasGemvStrategy(*ParseFormat("q8_0"), GemvStrategy::kDot));
}

// auto follows the rule table where one applies and the format's first
// strategy elsewhere: for q4_0 `dot` on the x86 targets (its effect on
// quality qualifies, gemv_dot_test.cc checks every format), and with f32
// activations `regtable` on AVX-512, `direct` elsewhere.
TEST(GemvKernelTableTest, AutoRules) {
  for (Target t : CompiledTargets()) {
    const std::string name = TargetName(t);
    const bool x86_dot = name == "avx2" || name == "avx3" || name == "avx3_dl";
    const GemvStrategy q4 = GemvF32ActivationStrategy(*ParseFormat("q4_0"), t);
    if (name == "avx3" || name == "avx3_dl") {
      EXPECT_EQ(q4, GemvStrategy::kRegtable) << name;
    } else {
      EXPECT_EQ(q4, GemvStrategy::kDirect) << name;
    }
    EXPECT_EQ(GemvAutoStrategy(*ParseFormat("q4_0"), t),
              x86_dot ? GemvStrategy::kDot : q4)
        << name;
    EXPECT_EQ(GemvAutoStrategy(*ParseFormat("q8_0"), t), GemvStrategy::kDirect)
        << name;
    EXPECT_EQ(GemvAutoStrategy(*ParseFormat("qins8"), t),
              GemvStrategy::kBitbuild);
    EXPECT_EQ(GemvAutoStrategy(*ParseFormat("fpins3-seed"), t),
              GemvStrategy::kDecode);
  }
}

TEST_P(GemvTest, UnavailableStrategyIsAnErrorNamingTheAvailableOnes) {
  const std::vector<float> w = testing::RandomFloats(64, 1, 0.02f);
  StatusOr<QuantizedMatrix> q =
      Quantize(*ParseFormat("fpins1-seed"), w.data(), 2, 32);
  ASSERT_TRUE(q.ok());
  float x[32] = {}, y[2];
  GemvOptions o;
  o.strategy = GemvStrategy::kBitbuild;
  const Status st = Gemv(testing::MakeContext(target(), 1), *q, x, y, o);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("available: auto, decode"), std::string::npos)
      << st.message();
  EXPECT_FALSE(ParseGemvStrategy("lookup").ok());
  EXPECT_EQ(*ParseGemvStrategy("regtable"), GemvStrategy::kRegtable);
  EXPECT_EQ(*ParseGemvStrategy("gather"), GemvStrategy::kGather);
}

TEST_P(GemvTest, ThreadCountDoesNotChangeTheResult) {
  const size_t rows = 301, cols = 515;
  const std::vector<float> w = testing::RandomFloats(rows * cols, 8, 0.02f);
  const std::vector<float> x = testing::RandomFloats(cols, 9);
  for (const char* name : {"qins8", "q4_0", "iq4_nl", "qins4", "q8_0", "bf16",
                           "qins8-seed-row", "fpins2-seed"}) {
    StatusOr<QuantizedMatrix> q =
        Quantize(*ParseFormat(name), w.data(), rows, cols);
    ASSERT_TRUE(q.ok());
    std::vector<float> y1(rows), y3(rows);
    ASSERT_TRUE(
        Gemv(testing::MakeContext(target(), 1), *q, x.data(), y1.data()).ok());
    ASSERT_TRUE(
        Gemv(testing::MakeContext(target(), 3), *q, x.data(), y3.data()).ok());
    EXPECT_EQ(0, std::memcmp(y1.data(), y3.data(), rows * 4)) << name;
  }
}

TEST_P(GemvTest, BadArguments) {
  const Context ctx = testing::MakeContext(target(), 1);
  float x[2] = {1, 2}, y[2];
  EXPECT_FALSE(Gemv(ctx, QuantizedMatrix(), x, y).ok());
  const float w[4] = {1, 2, 3, 4};
  StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat("qins8"), w, 2, 2);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(Gemv(ctx, *q, nullptr, y).ok());
  EXPECT_FALSE(Gemv(ctx, *q, x, nullptr).ok());
}

// Issue 19 item 3: Gemv(y == x) returned OK and a wrong y (max difference
// 13.95 where |y| <= 0.07); Gemm refuses the same overlap.
TEST_P(GemvTest, InPlaceIsRefusedForEveryStrategy) {
  const Context ctx = testing::MakeContext(target(), 1);
  const size_t n = 64;
  std::vector<float> w = testing::RandomFloats(n * n, 21);
  for (const char* name : {"f32", "qins8", "q4_0", "bf16"}) {
    StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat(name), w.data(), n, n);
    ASSERT_TRUE(q.ok()) << name;
    for (GemvStrategy s : GemvStrategies(q->format())) {
      std::vector<float> x = testing::RandomFloats(n, 22);
      GemvOptions o;
      o.strategy = s;
      const Status st = Gemv(ctx, *q, x.data(), x.data(), o);
      EXPECT_EQ(st.code(), StatusCode::kInvalidArgument)
          << name << " " << GemvStrategyName(s);
      EXPECT_NE(st.message().find("y and x overlap"), std::string::npos)
          << st.message();
      EXPECT_FALSE(Gemv(ctx, *q, x.data(), x.data() + n / 2, o).ok());
    }
  }
}

QINS_INSTANTIATE_PER_TARGET(GemvTest);

}  // namespace
}  // namespace qins
