// qins4: every table, every nibble; the block layout.
#include <cmath>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/formats/half.h"
#include "kernels/formats/qins4_tables.h"
#include "qins/quantize.h"

namespace qins {
namespace {

TEST(Qins4TablesTest, TablesAreIncreasingPositiveAndEndAtOne) {
  for (int t = 0; t < 16; ++t) {
    float prev = 0;
    for (int m = 0; m < 7; ++m) {
      EXPECT_GT(kQins4Tables[t][m], prev) << t << "," << m;
      prev = kQins4Tables[t][m];
    }
    EXPECT_EQ(kQins4Tables[t][6], 1.0f);
  }
}

TEST(Qins4TablesTest, EveryNibbleOfEveryTableDecodes) {
  for (int t = 0; t < 16; ++t) {
    // scale12 = 0x780: f16 bits 0x3C00 = 1.0.
    const uint16_t header = static_cast<uint16_t>(0x780 << 4 | t);
    uint8_t blk[18] = {};
    std::memcpy(blk, &header, 2);
    float table16[16];
    Qins4BlockTable(blk, table16);
    EXPECT_EQ(table16[0], 0.0f);
    EXPECT_EQ(table16[8], 0.0f);
    for (int m = 1; m < 8; ++m) {
      EXPECT_EQ(table16[m], kQins4Tables[t][m - 1]);
      EXPECT_EQ(table16[8 + m], -kQins4Tables[t][m - 1]);
    }
  }
}

TEST(Qins4CodecTest, ExactTableValuesReEncodeToTheirCodes) {
  // A block holding each magnitude of a table twice (both signs) with scale
  // 2^-6: every weight is exactly representable, so the error must be 0.
  for (int t = 0; t < 16; ++t) {
    std::vector<float> w(32, 0.0f);
    const float s = 1.0f / 64;
    for (int m = 1; m < 8; ++m) {
      w[m] = kQins4Tables[t][m - 1] * s;
      w[16 + m] = -kQins4Tables[t][m - 1] * s;
    }
    StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat("qins4"), w.data(), 1, 32);
    ASSERT_TRUE(q.ok());
    std::vector<float> out(32);
    ASSERT_TRUE(DequantizeReference(*q, out.data()).ok());
    double err = 0;
    for (int i = 0; i < 32; ++i) err += std::fabs(out[i] - w[i]);
    EXPECT_EQ(err, 0.0) << "table " << t;
    for (int i = 0; i < 32; ++i) {
      EXPECT_TRUE(out[i] == 0 || (out[i] > 0) == (w[i] > 0)) << i;
    }
  }
}

TEST(Qins4CodecTest, BlockLayout) {
  std::vector<float> w(40);
  for (int i = 0; i < 40; ++i) w[i] = (i % 7 - 3) * 0.01f;
  StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat("qins4"), w.data(), 1, 40);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->row_payload_bytes(), 2u * 18);  // last block zero-padded
  const uint8_t* blk = q->row(0);
  // Weight 3 is 0: nibble 0 (low nibble of byte 2 + 3).
  EXPECT_EQ(blk[2 + 3] & 0xF, 0);
  // Negative weights carry the sign bit 8 in their nibble.
  EXPECT_EQ((blk[2 + 0] & 0xF) & 8, 8);   // w[0] = -0.03
  EXPECT_EQ((blk[2 + 4] & 0xF) & 8, 0);   // w[4] = +0.01
  EXPECT_EQ((blk[2 + 0] >> 4) & 8, 8);    // w[16] = (16 % 7 - 3) * 0.01 = -0.01
}

}  // namespace
}  // namespace qins
