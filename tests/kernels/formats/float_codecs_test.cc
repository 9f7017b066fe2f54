// f16 and bf16: every one of the 65,536 codes.
#include <cmath>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/formats/half.h"
#include "qins/quantize.h"

namespace qins {
namespace {

TEST(HalfTest, EveryFiniteF16CodeRoundTrips) {
  int finite = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = F16ToF32(static_cast<uint16_t>(h));
    if (!std::isfinite(f)) continue;
    ++finite;
    ASSERT_EQ(F32ToF16(f), h) << std::hex << h;
  }
  EXPECT_EQ(finite, 65536 - 2 * 1024);  // exponent 31 is Inf/NaN
}

TEST(HalfTest, F16RoundsToNearestEven) {
  EXPECT_EQ(F32ToF16(1.0f + 1.0f / 2048), 0x3C00);          // tie -> even
  EXPECT_EQ(F32ToF16(1.0f + 3.0f / 2048), 0x3C02);          // tie -> even (up)
  EXPECT_EQ(F32ToF16(1.0f + 1.0f / 2048 + 1e-7f), 0x3C01);  // above tie
  EXPECT_EQ(F32ToF16(65504.0f), 0x7BFF);
  EXPECT_EQ(F32ToF16(65519.0f), 0x7BFF);
  EXPECT_EQ(F16ToF32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(F32ToF16(std::ldexp(1.0f, -25)), 0x0000);  // tie -> even (0)
  EXPECT_EQ(F32ToF16(std::ldexp(3.0f, -25)), 0x0002);
}

TEST(HalfTest, EveryFiniteBF16CodeRoundTrips) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const float f = BF16ToF32(static_cast<uint16_t>(b));
    if (!std::isfinite(f)) continue;
    ASSERT_EQ(F32ToBF16(f), b) << std::hex << b;
  }
  EXPECT_EQ(F32ToBF16(F32FromBits(0x3F808000u)), 0x3F80);  // tie -> even
  EXPECT_EQ(F32ToBF16(F32FromBits(0x3F818000u)), 0x3F82);
}

TEST(FloatCodecsTest, F16AndBF16MatricesDecodeBitExactly) {
  std::vector<float> w;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = F16ToF32(static_cast<uint16_t>(h));
    if (std::isfinite(f)) w.push_back(f);
  }
  StatusOr<QuantizedMatrix> q =
      Quantize(*ParseFormat("f16"), w.data(), 1, w.size());
  ASSERT_TRUE(q.ok());
  std::vector<float> out(w.size());
  ASSERT_TRUE(DequantizeReference(*q, out.data()).ok());
  EXPECT_EQ(0, std::memcmp(w.data(), out.data(), w.size() * 4));
}

}  // namespace
}  // namespace qins
