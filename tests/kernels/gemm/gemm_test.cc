// GEMM of every weight format on every target: within the f32 summation
// bound of a double-precision reference over the dequantized weights,
// bit-identical to GemmF32 over those weights, independent of the thread
// count and of the batch it is in; argument errors.
#include "qins/gemm.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "qins/format.h"
#include "qins/gemv.h"
#include "qins/quantize.h"
#include "tests/support/format_cols.h"
#include "tests/support/per_target.h"
#include "tests/support/reference.h"

namespace qins {
namespace {

class GemmTest : public testing::PerTargetTest {};

// Y[i] = W x_i in double for every row of X (n x k weights, m rows).
void Reference(const std::vector<float>& w, size_t n, size_t k,
               const std::vector<float>& x, size_t m,
               std::vector<double>& exact, std::vector<double>& abs_sum) {
  exact.assign(m * n, 0);
  abs_sum.assign(m * n, 0);
  std::vector<double> yi, ai;
  for (size_t i = 0; i < m; ++i) {
    testing::GemvReference(w.data(), n, k, k, x.data() + i * k, yi, ai);
    std::copy(yi.begin(), yi.end(), exact.begin() + i * n);
    std::copy(ai.begin(), ai.end(), abs_sum.begin() + i * n);
  }
}

// Every output is one chain of k multiply-adds in f32 (products exact with
// FMA; rounded once more without), so |error| <= (k + 1) u sum |w x| with
// u = 2^-24 (Higham, recursive summation, first order). m = 1 runs Gemv,
// whose bound is ceil(k / 2N) + 5 + log2 N roundings (tests/kernels/gemv),
// at most k + 11 for N <= 64 lanes. We allow (k + 12) u sum |w x| with 5%
// slack for the second-order term; the weights are the dequantized ones, so
// quantization error is not part of it. A wrong column, row or missing term
// is off by about |w x| >> this bound.
TEST_P(GemmTest, EveryFormatMatchesTheReferenceOnOddShapes) {
  for (size_t n : {1, 7, 33}) {
    for (size_t k_in : {1, 5, 33, 300}) {
      for (Format f : AllFormats()) {
        if (f.kind == FormatKind::kFpinsNearest && f.level > 2)
          continue;  // slow encoder; same decoder as the levels tested
        // The K-quants: k = 256 and 768 (odd numbers of super-blocks), once.
        const size_t k = testing::FitCols(f, k_in);
        if (k != k_in && k_in != 1 && k_in != 300) continue;
        const std::vector<float> w =
            testing::RandomFloats(n * k, 10 + n * 7 + k, 0.02f);
        SCOPED_TRACE(::testing::Message()
                     << FormatName(f) << " n=" << n << " k=" << k);
        StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), n, k);
        ASSERT_TRUE(q.ok()) << q.status().ToString();
        std::vector<float> dq(n * k);
        ASSERT_TRUE(DequantizeReference(*q, dq.data()).ok());
        for (size_t m : {1, 2, 3, 7, 17}) {
          SCOPED_TRACE(::testing::Message() << "m=" << m);
          const std::vector<float> x = testing::RandomFloats(m * k, m + k);
          std::vector<double> exact, abs_sum;
          Reference(dq, n, k, x, m, exact, abs_sum);
          std::vector<float> y(m * n, NAN);
          ASSERT_TRUE(Gemm(testing::MakeContext(target(), 2), *q, x.data(), m,
                           k, y.data(), n)
                          .ok());
          const double bound = 1.05 * (k + 12) * std::ldexp(1.0, -24);
          for (size_t i = 0; i < m * n; ++i) {
            ASSERT_NEAR(y[i], exact[i], bound * abs_sum[i])
                << "row " << i / n << " col " << i % n;
          }
          // The decoders are exact and the chains the same, so GemmF32 over
          // the dequantized weights gives the same bits.
          if (m >= 2) {
            std::vector<float> yf(m * n, NAN);
            ASSERT_TRUE(GemmF32(testing::MakeContext(target(), 1), dq.data(), n,
                                k, k, x.data(), m, k, yf.data(), n)
                            .ok());
            ASSERT_EQ(0, std::memcmp(y.data(), yf.data(), y.size() * 4));
          }
        }
      }
    }
  }
}

// Strided X and Y (padding must be neither read as data nor written) and a
// shape with several panels, row blocks and chunks of k.
TEST_P(GemmTest, StridesAndLargerShapes) {
  const size_t n = 70, k = 1000, m = 37, ldx = k + 3, ldy = n + 5;
  const std::vector<float> w = testing::RandomFloats(n * k, 5, 0.02f);
  const std::vector<float> x = testing::RandomFloats(m * ldx, 6);
  for (const char* name : {"f32", "q4_0", "qins8", "bf16"}) {
    SCOPED_TRACE(name);
    StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat(name), w.data(), n, k);
    ASSERT_TRUE(q.ok());
    std::vector<float> dq(n * k);
    ASSERT_TRUE(DequantizeReference(*q, dq.data()).ok());
    std::vector<float> y(m * ldy, 12345.0f);
    ASSERT_TRUE(Gemm(testing::MakeContext(target(), 2), *q, x.data(), m, ldx,
                     y.data(), ldy)
                    .ok());
    std::vector<double> yi, ai;
    for (size_t i = 0; i < m; ++i) {
      testing::GemvReference(dq.data(), n, k, k, x.data() + i * ldx, yi, ai);
      for (size_t j = 0; j < n; ++j)
        ASSERT_NEAR(y[i * ldy + j], yi[j],
                    1.05 * (k + 12) * std::ldexp(1.0, -24) * ai[j])
            << i << "," << j;
      for (size_t j = n; j < ldy; ++j) ASSERT_EQ(y[i * ldy + j], 12345.0f);
    }
  }
}

TEST_P(GemmTest, ThreadCountAndBatchDoNotChangeTheResult) {
  // 301 rows of W: several panels and a partial last one on every target.
  const size_t n = 301, k = 515, m = 45;
  const std::vector<float> w = testing::RandomFloats(n * k, 8, 0.02f);
  const std::vector<float> x = testing::RandomFloats(m * k, 9);
  for (const char* name : {"qins8", "q4_0", "f16", "fpins2-seed"}) {
    SCOPED_TRACE(name);
    StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat(name), w.data(), n, k);
    ASSERT_TRUE(q.ok());
    std::vector<float> y1(m * n), y2(m * n), y3(m * n), y_part(5 * n);
    ASSERT_TRUE(Gemm(testing::MakeContext(target(), 1), *q, x.data(), m, k,
                     y1.data(), n)
                    .ok());
    ASSERT_TRUE(Gemm(testing::MakeContext(target(), 2), *q, x.data(), m, k,
                     y2.data(), n)
                    .ok());
    ASSERT_TRUE(Gemm(testing::MakeContext(target(), 3), *q, x.data(), m, k,
                     y3.data(), n)
                    .ok());
    EXPECT_EQ(0, std::memcmp(y1.data(), y2.data(), y1.size() * 4));
    EXPECT_EQ(0, std::memcmp(y1.data(), y3.data(), y1.size() * 4));
    // Rows 10..14 alone (another row blocking and tile split) give the same
    // bits as inside the batch of 45.
    ASSERT_TRUE(Gemm(testing::MakeContext(target(), 3), *q, x.data() + 10 * k,
                     5, k, y_part.data(), n)
                    .ok());
    EXPECT_EQ(
        0, std::memcmp(y1.data() + 10 * n, y_part.data(), y_part.size() * 4));
    // M = 1 without the GEMV path is the same chain too.
    GemmOptions no_gemv;
    no_gemv.gemv_for_single_row = false;
    ASSERT_TRUE(Gemm(testing::MakeContext(target(), 2), *q, x.data() + 44 * k,
                     1, k, y_part.data(), n, no_gemv)
                    .ok());
    EXPECT_EQ(0, std::memcmp(y1.data() + 44 * n, y_part.data(), n * 4));
  }
}

// M = 1 runs Gemv with auto's f32-activation strategy, never `dot`: Gemm
// keeps x in f32 even for the formats where auto's GEMV is `dot` (q4_0,
// q4_1, iq4_nl on x86). Bit for bit, and different from `dot` (whose int8
// rounding of x moves y), so the test fails if Gemm ran auto's GEMV there.
TEST_P(GemmTest, SingleRowRunsTheF32ActivationGemv) {
  const size_t n = 37, k = 300;
  const std::vector<float> w = testing::RandomFloats(n * k, 21, 0.02f);
  const std::vector<float> x = testing::RandomFloats(k, 22);
  const Context ctx = testing::MakeContext(target(), 2);
  for (const char* name : {"q4_0", "q4_1", "iq4_nl", "q8_0", "qins8"}) {
    SCOPED_TRACE(name);
    const Format f = *ParseFormat(name);
    StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), n, k);
    ASSERT_TRUE(q.ok());
    const GemvStrategy s = GemvF32ActivationStrategy(f, target());
    ASSERT_NE(s, GemvStrategy::kDot);
    std::vector<float> ym(n), yv(n), yd(n);
    ASSERT_TRUE(Gemm(ctx, *q, x.data(), 1, k, ym.data(), n).ok());
    ASSERT_TRUE(Gemv(ctx, *q, x.data(), yv.data(), {s}).ok());
    EXPECT_EQ(0, std::memcmp(ym.data(), yv.data(), n * 4));
    if (f.kind != FormatKind::kQins8) {
      ASSERT_TRUE(
          Gemv(ctx, *q, x.data(), yd.data(), {GemvStrategy::kDot}).ok());
      EXPECT_NE(0, std::memcmp(ym.data(), yd.data(), n * 4));
    }
  }
}

TEST_P(GemmTest, BadArguments) {
  const Context ctx = testing::MakeContext(target(), 1);
  const float w[6] = {1, 2, 3, 4, 5, 6};
  StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat("qins8"), w, 2, 3);
  ASSERT_TRUE(q.ok());
  float x[6] = {1, 2, 3, 4, 5, 6}, y[4] = {};
  auto message = [](const Status& st) { return st.message(); };
  EXPECT_EQ(Gemm(ctx, QuantizedMatrix(), x, 2, 3, y, 2).code(),
            StatusCode::kInvalidArgument);
  EXPECT_NE(message(Gemm(ctx, *q, nullptr, 2, 3, y, 2)).find("null"),
            std::string::npos);
  EXPECT_NE(message(Gemm(ctx, *q, x, 2, 3, nullptr, 2)).find("null"),
            std::string::npos);
  EXPECT_NE(message(Gemm(ctx, *q, x, 2, 2, y, 2)).find("x_row_stride"),
            std::string::npos);
  EXPECT_NE(message(Gemm(ctx, *q, x, 2, 3, y, 1)).find("y_row_stride"),
            std::string::npos);
  EXPECT_NE(message(Gemm(ctx, *q, x, 2, 3, x + 2, 2)).find("overlap"),
            std::string::npos);
  // A stride so large that X would span more than any array: a stride
  // error, not "overlap" (issue 19.4); the same for Y and for GemmF32.
  const size_t huge = SIZE_MAX / 8;
  for (const std::string& msg :
       {message(Gemm(ctx, *q, x, 2, huge, y, 2)),
        message(Gemm(ctx, *q, x, 2, 3, y, huge)),
        message(GemmF32(ctx, w, 2, 3, 3, x, 2, huge, y, 2))}) {
    EXPECT_EQ(msg.find("overlap"), std::string::npos) << msg;
    EXPECT_NE(msg.find("_row_stride = "), std::string::npos) << msg;
    EXPECT_NE(msg.find("PTRDIFF_MAX"), std::string::npos) << msg;
  }
  // m == 0 touches nothing, even with null pointers.
  EXPECT_TRUE(Gemm(ctx, *q, nullptr, 0, 0, nullptr, 0).ok());
  EXPECT_FALSE(GemmF32(ctx, nullptr, 2, 3, 3, x, 2, 3, y, 2).ok());
  EXPECT_NE(
      message(GemmF32(ctx, w, 2, 3, 2, x, 2, 3, y, 2)).find("w_row_stride"),
      std::string::npos);
  EXPECT_TRUE(GemmF32(ctx, w, 0, 3, 3, x, 2, 3, y, 2).ok());
  // k == 0: empty sums are 0.
  float y0[4] = {7, 7, 7, 7};
  ASSERT_TRUE(GemmF32(ctx, nullptr, 2, 0, 0, x, 2, 0, y0, 2).ok());
  for (float v : y0) EXPECT_EQ(v, 0.0f);
}

QINS_INSTANTIATE_PER_TARGET(GemmTest);

}  // namespace
}  // namespace qins
