// x -> int8 blocks for the `dot` GEMV (kernels/gemv/quantize_x.h states the
// arithmetic). Plain C++: the loops are IEEE f32 operations in a fixed
// order (-ffp-contract=off), vectorized by the compiler for the baseline
// ISA, so every dispatch target gets the same codes. One pass over cols
// floats per call: ~1% of a 1024-column GEMV (docs/gemv.md).
#include "kernels/gemv/quantize_x.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace qins {

bool Q8X::Init(size_t cols) {
  const size_t blocks = (cols + kDotBlock - 1) / kDotBlock;
  const size_t padded = (blocks + kDotGroup - 1) / kDotGroup * kDotGroup;
  q_ = hwy::AllocateAligned<int8_t>(padded * kDotBlock);
  d_ = hwy::AllocateAligned<float>(padded);
  // The block sums, then the first-half sums: one allocation.
  sum_ = hwy::AllocateAligned<int32_t>(2 * padded);
  if (!q_ || !d_ || !sum_) return false;
  view_.q = q_.get();
  view_.d = d_.get();
  view_.sum = sum_.get();
  view_.sum_lo = sum_.get() + padded;
  view_.blocks = blocks;
  view_.blocks_padded = padded;
  return true;
}

bool Q8X::Quantize(const float* x, size_t cols) {
  const size_t blocks = view_.blocks;
  // 1.5 * 2^23: (v + kRound) - kRound is v rounded to the nearest integer,
  // ties to even, for |v| <= 2^22 (round-to-nearest mode, which the API
  // contract requires).
  constexpr float kRound = 12582912.0f;
  uint32_t max_bits = 0;
  for (size_t b = 0; b < blocks; ++b) {
    float v[kDotBlock];
    const size_t n = std::min(kDotBlock, cols - b * kDotBlock);
    if (n == kDotBlock) {
      memcpy(v, x + b * kDotBlock, sizeof(v));
    } else {
      std::fill(v, v + kDotBlock, 0.0f);
      memcpy(v, x + b * kDotBlock, n * sizeof(float));
    }
    // max |x| on the bits: for |x| as unsigned integers the order is the
    // float order, and Inf or NaN are the values >= 0x7F800000. Integer
    // ops, so the compiler vectorizes it (a float max reduction it may not
    // reorder).
    uint32_t abs_max = 0;
    for (size_t j = 0; j < kDotBlock; ++j) {
      uint32_t bits;
      memcpy(&bits, &v[j], 4);
      abs_max = std::max(abs_max, bits & 0x7FFFFFFFu);
    }
    max_bits = std::max(max_bits, abs_max);
    float amax;
    memcpy(&amax, &abs_max, 4);
    float d = amax / 127.0f;
    int8_t* q = q_.get() + b * kDotBlock;
    int32_t sum_lo = 0, sum_hi = 0;
    if (!(d >= FLT_MIN) || abs_max >= 0x7F800000u) {
      d = 0.0f;  // below the floor, or non-finite (the call falls back)
      memset(q, 0, kDotBlock);
    } else {
      const float id = 1.0f / d;
      int32_t c[kDotBlock];
      for (size_t j = 0; j < kDotBlock; ++j) {
        c[j] = static_cast<int32_t>((v[j] * id + kRound) - kRound);
      }
      for (size_t j = 0; j < kDotBlock; ++j) q[j] = static_cast<int8_t>(c[j]);
      for (size_t j = 0; j < kDotBlock / 2; ++j) sum_lo += c[j];
      for (size_t j = kDotBlock / 2; j < kDotBlock; ++j) sum_hi += c[j];
    }
    d_[b] = d;
    sum_[b] = sum_lo + sum_hi;
    sum_[view_.blocks_padded + b] = sum_lo;
  }
  for (size_t b = blocks; b < view_.blocks_padded; ++b) {
    memset(q_.get() + b * kDotBlock, 0, kDotBlock);
    d_[b] = 0.0f;
    sum_[b] = 0;
    sum_[view_.blocks_padded + b] = 0;
  }
  return max_bits < 0x7F800000u;
}

}  // namespace qins
