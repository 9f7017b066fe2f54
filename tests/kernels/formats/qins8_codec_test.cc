// qins8: every code of every exponent width, exhaustively.
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/formats/qins8_code.h"
#include "qins/quantize.h"

namespace qins {
namespace {

TEST(Qins8CodeTest, EveryIndexRoundTripsAndDecodingIsMonotone) {
  for (int e = 1; e <= 3; ++e) {
    float prev = -1;
    for (uint32_t m = 0; m < 128; ++m) {
      const float v = qins8::DecodeIndex(m, e);
      EXPECT_GT(v, prev) << "E=" << e << " m=" << m;
      prev = v;
      EXPECT_EQ(qins8::NearestIndex(v, e), m) << "E=" << e << " m=" << m;
    }
    EXPECT_EQ(qins8::DecodeIndex(0, e), 0.0f);
    EXPECT_EQ(qins8::MaxValue(e), qins8::DecodeIndex(127, e));
  }
  EXPECT_FLOAT_EQ(qins8::MaxValue(1),
                  2.0f - 1.0f / 64);  // uniform: int8's grid
  EXPECT_FLOAT_EQ(qins8::MaxValue(2), 4 * (2.0f - 1.0f / 32));
  EXPECT_FLOAT_EQ(qins8::MaxValue(3), 64 * (2.0f - 1.0f / 16));
}

// DecodeIndex against the format's definition evaluated in double
// precision, for every code of every exponent width: 2^(e-1) (1 + f / 2^M)
// for e >= 1, f / 2^M for e = 0. Every value is a normal float or zero.
TEST(Qins8CodeTest, DecodeIndexIsTheDefinitionAndNeverSubnormal) {
  for (int e_bits = 1; e_bits <= 3; ++e_bits) {
    const int M = 7 - e_bits;
    for (uint32_t m = 0; m < 128; ++m) {
      const int e = static_cast<int>(m >> M);
      const double f = static_cast<double>(m & ((1u << M) - 1));
      const double want = e == 0 ? std::ldexp(f, -M)
                                 : std::ldexp(1.0 + std::ldexp(f, -M), e - 1);
      const float got = qins8::DecodeIndex(m, e_bits);
      EXPECT_EQ(static_cast<double>(got), want) << "E=" << e_bits << " m=" << m;
      EXPECT_NE(std::fpclassify(got), FP_SUBNORMAL)
          << "E=" << e_bits << " m=" << m;
    }
  }
}

TEST(Qins8CodeTest, NearestIsWithinHalfAStepForInRangeValues) {
  std::mt19937 rng(5);
  for (int e = 1; e <= 3; ++e) {
    std::uniform_real_distribution<float> dist(0.0f, qins8::MaxValue(e));
    for (int i = 0; i < 100000; ++i) {
      const float a = dist(rng);
      const uint8_t m = qins8::NearestIndex(a, e);
      const float v = qins8::DecodeIndex(m, e);
      const float lo = m > 0 ? qins8::DecodeIndex(m - 1, e) : 0.0f;
      const float hi = m < 127 ? qins8::DecodeIndex(m + 1, e) : v;
      ASSERT_LE(std::fabs(a - v), 0.5f * std::max(v - lo, hi - v) * (1 + 1e-6f))
          << "E=" << e << " a=" << a;
      // And no neighbour is strictly nearer.
      if (m > 0) {
        ASSERT_LE(std::fabs(a - v), std::fabs(a - lo));
      }
      if (m < 127) {
        ASSERT_LE(std::fabs(a - v), std::fabs(a - hi));
      }
    }
    EXPECT_EQ(qins8::NearestIndex(1e9f, e), 127);  // above the range: clamps
  }
}

TEST(Qins8CodeTest, QinsOrientationIsInverseAndZeroIsZero) {
  for (int b = 0; b < 256; ++b) {
    const uint8_t stored = static_cast<uint8_t>(b);
    EXPECT_EQ(qins8::FromQinsCode(qins8::ToQinsCode(stored)), stored);
  }
  EXPECT_EQ(qins8::ToQinsCode(0), 0);
  EXPECT_EQ(qins8::ToQinsCode(127), 1);  // largest magnitude -> QINS code 1
  EXPECT_EQ(qins8::ToQinsCode(1), 127);  // smallest nonzero -> 127
  EXPECT_EQ(qins8::ToQinsCode(0x80 | 127), 0x81);
}

TEST(Qins8CodecTest, DecodedValuesReEncodeToTheSameBytes) {
  // A row holding every decoded magnitude of one scale, both signs, encodes to
  // exactly those codes (the fitted scale reproduces itself on its own grid).
  for (int e = 1; e <= 3; ++e) {
    std::vector<float> w;
    const float s = 0.01f;
    for (uint32_t m = 0; m < 128; ++m)
      w.push_back(qins8::DecodeIndex(m, e) * s);
    for (uint32_t m = 1; m < 128; ++m)
      w.push_back(-qins8::DecodeIndex(m, e) * s);
    StatusOr<QuantizedMatrix> q =
        Quantize(*ParseFormat("qins8"), w.data(), 1, w.size());
    ASSERT_TRUE(q.ok());
    std::vector<float> out(w.size());
    ASSERT_TRUE(DequantizeReference(*q, out.data()).ok());
    double err = 0;
    for (size_t i = 0; i < w.size(); ++i) err += std::fabs(out[i] - w[i]);
    // The encoder may pick another exponent width only if it is at least as
    // good; on its own grid the error is zero.
    EXPECT_EQ(err, 0.0) << "E=" << e << " chose E=" << q->row_params(0)[1];
  }
}

}  // namespace
}  // namespace qins
