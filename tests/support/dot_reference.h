// The scalar reference of the integer-dot GEMV's x quantization
// (kernels/gemv/quantize_x.h), written independently of it, shared by the
// dot tests of the 32-block formats and of the K-quants.
#ifndef QINS_TESTS_SUPPORT_DOT_REFERENCE_H_
#define QINS_TESTS_SUPPORT_DOT_REFERENCE_H_

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/formats/half.h"
#include "tests/support/reference.h"

namespace qins::testing {

// x as the dot strategy quantizes it: blocks of 32, d = amax / 127, codes
// RNE(x * (1 / d)), a block with d < FLT_MIN all zero with d = 0; the
// blocks padded with zero blocks to a multiple of 8 (the kernels' group).
struct RefX {
  std::vector<int8_t> q;     // padded * 32 codes
  std::vector<float> d;      // padded scales
  std::vector<int32_t> sum;  // padded code sums
  size_t blocks = 0, padded = 0;
};

inline RefX QuantizeX(const float* x, size_t cols) {
  constexpr size_t kBlock = 32;
  RefX r;
  r.blocks = (cols + kBlock - 1) / kBlock;
  r.padded = (r.blocks + 7) / 8 * 8;
  r.q.assign(r.padded * kBlock, 0);
  r.d.assign(r.padded, 0.0f);
  r.sum.assign(r.padded, 0);
  for (size_t b = 0; b < r.blocks; ++b) {
    float amax = 0;
    for (size_t j = 0; j < kBlock && b * kBlock + j < cols; ++j)
      amax = std::max(amax, std::fabs(x[b * kBlock + j]));
    const float d = amax / 127.0f;
    if (d < FLT_MIN) continue;  // the block quantizes to 0 with d = 0
    r.d[b] = d;
    const float id = 1.0f / d;
    for (size_t j = 0; j < kBlock && b * kBlock + j < cols; ++j) {
      const float v = std::nearbyintf(x[b * kBlock + j] * id);
      EXPECT_LE(std::fabs(v), 127.0f);
      r.q[b * kBlock + j] = static_cast<int8_t>(v);
      r.sum[b] += static_cast<int32_t>(v);
    }
  }
  return r;
}

// The little-endian f16 at p, as f32.
inline float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return F16ToF32(h);
}

constexpr size_t kDotBlockCols = 32;

// x with varied block magnitudes: normal values, a zero block, a block
// below the quantization floor (d < FLT_MIN: quantized to 0), large ones,
// exact ties (x * id = k + 1/2).
inline std::vector<float> MixedX(size_t cols, uint32_t seed) {
  std::vector<float> x = RandomFloats(cols, seed);
  for (size_t b = 0; b * kDotBlockCols < cols; ++b) {
    const size_t n = std::min(kDotBlockCols, cols - b * kDotBlockCols);
    float* v = x.data() + b * kDotBlockCols;
    switch (b % 6) {
      case 1:
        std::fill(v, v + n, 0.0f);
        break;
      case 2:
        for (size_t j = 0; j < n; ++j) v[j] *= 1e-37f;
        break;
      case 3:
        for (size_t j = 0; j < n; ++j) v[j] *= 1e30f;
        break;
      case 4:  // amax 127 -> d = 1: ties at k + 0.5
        for (size_t j = 0; j < n; ++j)
          v[j] = j == 0 ? 127.0f : static_cast<float>((j % 9)) - 4.5f;
        break;
      default:
        break;
    }
  }
  return x;
}

}  // namespace qins::testing

#endif  // QINS_TESTS_SUPPORT_DOT_REFERENCE_H_
