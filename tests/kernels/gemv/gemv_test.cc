// GEMV of every weight format and strategy on every target: the decode
// strategy bit-identical to GemvF32 over the dequantized matrix, every
// strategy within the f32 summation bound of a double-precision reference.
#include "qins/gemv.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "dispatch/f32_kernels.h"
#include "gtest/gtest.h"
#include "qins/quantize.h"
#include "tests/support/per_target.h"
#include "tests/support/reference.h"

namespace qins {
namespace {

class GemvTest : public testing::PerTargetTest {};

TEST_P(GemvTest, DecodeStrategyEqualsF32GemvOverDequantizedWeights) {
  for (size_t rows : {1, 7, 33}) {
    for (size_t cols : {1, 31, 33, 100, 257}) {
      const std::vector<float> w =
          testing::RandomFloats(rows * cols, 3 + rows + cols, 0.02f);
      const std::vector<float> x = testing::RandomFloats(cols, 4 + cols);
      for (Format f : AllFormats()) {
        if (f.kind == FormatKind::kFpinsNearest && f.level > 2)
          continue;  // slow encoder; same decoder
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
    for (size_t cols : {1, 31, 64, 65, 257, 1000}) {
      const std::vector<float> w =
          testing::RandomFloats(rows * cols, 30 + rows + cols, 0.02f);
      const std::vector<float> x = testing::RandomFloats(cols, 40 + cols);
      for (const char* name : {"qins8", "i8row", "q8_0", "bf16", "qins4"}) {
        const Format f = *ParseFormat(name);
        StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), rows, cols);
        ASSERT_TRUE(q.ok());
        std::vector<float> dq(rows * cols);
        ASSERT_TRUE(DequantizeReference(*q, dq.data()).ok());
        std::vector<double> exact, abs_sum;
        testing::GemvReference(dq.data(), rows, cols, cols, x.data(), exact,
                               abs_sum);
        const double m =
            std::ceil(cols / (2 * lanes)) + 3 + std::log2(lanes) + 2;
        for (GemvStrategy s : GemvStrategies(f)) {
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

TEST_P(GemvTest, UnavailableStrategyIsAnErrorNamingTheAvailableOnes) {
  const std::vector<float> w = testing::RandomFloats(64, 1, 0.02f);
  StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat("q4_0"), w.data(), 2, 32);
  ASSERT_TRUE(q.ok());
  float x[32] = {}, y[2];
  GemvOptions o;
  o.strategy = GemvStrategy::kBitbuild;
  const Status st = Gemv(testing::MakeContext(target(), 1), *q, x, y, o);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("available: auto, decode"), std::string::npos)
      << st.message();
  EXPECT_FALSE(ParseGemvStrategy("regtable").ok());
  EXPECT_EQ(*ParseGemvStrategy("gather"), GemvStrategy::kGather);
}

TEST_P(GemvTest, ThreadCountDoesNotChangeTheResult) {
  const size_t rows = 301, cols = 515;
  const std::vector<float> w = testing::RandomFloats(rows * cols, 8, 0.02f);
  const std::vector<float> x = testing::RandomFloats(cols, 9);
  for (const char* name : {"qins8", "q4_0", "bf16", "fpins2-seed"}) {
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

QINS_INSTANTIATE_PER_TARGET(GemvTest);

}  // namespace
}  // namespace qins
