// q4_0 and iq4_nl: every 4-bit code and the llama.cpp nibble layout.
#include <cmath>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/formats/half.h"
#include "kernels/formats/iq4_nl_values.h"
#include "qins/quantize.h"

namespace qins {

namespace {

TEST(Int4CodecsTest, Q4_0EveryCodeAndTheNibbleLayout) {
  // d = max / -8 with max = -8 * 2^-4: d = 2^-4 (exact in f16); weight
  // (q - 8) * d for q = 0..15, laid out so that code q sits at position q
  // and q + 16.
  std::vector<float> w(32);
  for (int i = 0; i < 32; ++i)
    w[i] = std::ldexp(static_cast<float>(i % 16 - 8), -4);
  StatusOr<QuantizedMatrix> m = Quantize(*ParseFormat("q4_0"), w.data(), 1, 32);
  ASSERT_TRUE(m.ok());
  const uint8_t* blk = m->row(0);
  uint16_t h;
  std::memcpy(&h, blk, 2);
  EXPECT_EQ(F16ToF32(h), 0.0625f);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(blk[2 + j] & 0xF, j) << "low nibble = weight j";
    EXPECT_EQ(blk[2 + j] >> 4, j) << "high nibble = weight j + 16";
  }
  std::vector<float> out(32);
  ASSERT_TRUE(DequantizeReference(*m, out.data()).ok());
  for (int i = 0; i < 32; ++i) EXPECT_EQ(out[i], w[i]) << i;
}

TEST(Int4CodecsTest, IQ4NLEveryTableEntryIsReachableExactly) {
  // Weights equal to d * table[q] with d = 2^-7 (exact in f16) decode back
  // exactly: the least-squares scale of exact table values is d itself.
  std::vector<float> w(32);
  for (int i = 0; i < 32; ++i)
    w[i] = std::ldexp(static_cast<float>(kIQ4NLValues[i % 16]), -7);
  StatusOr<QuantizedMatrix> m =
      Quantize(*ParseFormat("iq4_nl"), w.data(), 1, 32);
  ASSERT_TRUE(m.ok());
  std::vector<float> out(32);
  ASSERT_TRUE(DequantizeReference(*m, out.data()).ok());
  for (int i = 0; i < 32; ++i) EXPECT_EQ(out[i], w[i]) << i;
}

}  // namespace
}  // namespace qins
