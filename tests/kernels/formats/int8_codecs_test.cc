// i8row and q8_0: every int8 code, and the llama.cpp Q8_0 block layout.
#include <cmath>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/formats/half.h"
#include "qins/quantize.h"

namespace qins {
namespace {

TEST(Int8CodecsTest, I8RowEveryCodeRoundTrips) {
  std::vector<float> w;
  for (int q = -127; q <= 127; ++q) w.push_back(q * 0.001f);
  StatusOr<QuantizedMatrix> m =
      Quantize(*ParseFormat("i8row"), w.data(), 1, w.size());
  ASSERT_TRUE(m.ok());
  const auto* codes = reinterpret_cast<const int8_t*>(m->row(0));
  for (int i = 0; i < 255; ++i) EXPECT_EQ(codes[i], i - 127);
  EXPECT_FLOAT_EQ(m->row_params(0)[0], 0.127f / 127);
}

TEST(Int8CodecsTest, Q8_0BlockLayoutMatchesLlamaCpp) {
  // One block: f16 d = amax / 127, then 32 int8 codes round(x / d).
  std::vector<float> w(40);
  for (int i = 0; i < 40; ++i) w[i] = (i - 20) * 0.01f;
  StatusOr<QuantizedMatrix> m = Quantize(*ParseFormat("q8_0"), w.data(), 1, 40);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->row_payload_bytes(),
            2u * 34);  // 40 columns: 2 blocks, last zero-padded
  const uint8_t* blk = m->row(0);
  uint16_t h;
  std::memcpy(&h, blk, 2);
  const float d = std::fabs(w[0]) / 127;  // amax of block 0 is w[0]
  EXPECT_EQ(h, F32ToF16(d));
  for (int i = 0; i < 32; ++i) {
    // llama.cpp multiplies by the f32 inverse scale before rounding.
    EXPECT_EQ(static_cast<int8_t>(blk[2 + i]),
              static_cast<int8_t>(std::round(w[i] * (1.0f / d))))
        << i;
  }
  // Second block: 8 real weights, 24 zero codes.
  for (int i = 8; i < 32; ++i) EXPECT_EQ(blk[34 + 2 + i], 0) << i;
}

TEST(Int8CodecsTest, Q8_0EveryCodeDecodes) {
  // Every block holds 127 * 2^-7, so its f16 scale 2^-7 is exact: code q
  // decodes to q * 2^-7. Blocks of 31 codes plus that maximum.
  std::vector<float> row;
  for (int q = -127; q <= 127; ++q) {
    row.push_back(std::ldexp(static_cast<float>(q), -7));
    if (row.size() % 32 == 31) row.push_back(std::ldexp(127.0f, -7));
  }
  while (row.size() % 32) row.push_back(std::ldexp(127.0f, -7));
  StatusOr<QuantizedMatrix> m =
      Quantize(*ParseFormat("q8_0"), row.data(), 1, row.size());
  ASSERT_TRUE(m.ok());
  std::vector<float> out(row.size());
  ASSERT_TRUE(DequantizeReference(*m, out.data()).ok());
  for (size_t i = 0; i < row.size(); ++i) EXPECT_EQ(out[i], row[i]) << i;
}

}  // namespace
}  // namespace qins
