// qins8-seed: the documents' convert_to_qins, every stored code.
#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "qins/quantize.h"
#include "tests/support/reference.h"

namespace qins {
namespace {

// The documents' encoder, written out again independently in float32.
uint8_t SeedCode(float w, float lo, float hi) {
  const float l = std::log(std::max(std::fabs(w), 1e-8f));
  const float n = (l - lo) / ((hi - lo) + 1e-8f);
  const float s = 255.0f - n * 254.0f;
  return static_cast<uint8_t>(
      std::min(255.0f, std::max(1.0f, std::nearbyint(s))));
}

TEST(Qins8SeedCodecTest, MatchesTheDocumentsEncoderAndStoresSigns) {
  std::vector<float> w = testing::RandomFloats(64 * 64, 9, 0.02f);
  w[5] = 0.0f;
  w[6] = -0.0f;
  StatusOr<QuantizedMatrix> q =
      Quantize(*ParseFormat("qins8-seed"), w.data(), 64, 64);
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->tensor_params().size(), 2u);
  const float lo = q->tensor_params()[0], hi = q->tensor_params()[1];
  EXPECT_FLOAT_EQ(lo, std::log(1e-8f));  // the zeros clamp to 1e-8
  for (size_t r = 0; r < 64; ++r) {
    const uint8_t* row = q->row(r);
    for (size_t c = 0; c < 64; ++c) {
      const float x = w[r * 64 + c];
      ASSERT_EQ(row[c], SeedCode(x, lo, hi)) << r << "," << c;
      ASSERT_EQ(static_cast<int8_t>(row[64 + c]), (x > 0) - (x < 0));
    }
  }
}

TEST(Qins8SeedCodecTest, EveryCodeDecodesMonotonicallyAndReEncodes) {
  // A row whose log range is [ln 1e-3, ln 1]: decode each code 1..255, then
  // encode the decoded values with the same range.
  const float lo = std::log(1e-3f), hi = 0.0f;
  std::vector<float> w;
  for (int code = 1; code <= 255; ++code) {
    const float n = (255.0f - code) / 254.0f;
    w.push_back(std::exp(lo + n * (hi - lo)));
  }
  StatusOr<QuantizedMatrix> q =
      Quantize(*ParseFormat("qins8-seed-row"), w.data(), 1, w.size());
  ASSERT_TRUE(q.ok());
  std::vector<float> out(w.size());
  ASSERT_TRUE(DequantizeReference(*q, out.data()).ok());
  for (int code = 1; code <= 255; ++code) {
    const uint8_t got = q->row(0)[code - 1];
    EXPECT_EQ(got, code);
    if (code > 1) {
      EXPECT_LT(out[code - 1], out[code - 2])
          << "inverse: larger code, smaller magnitude";
    }
  }
}

}  // namespace
}  // namespace qins
