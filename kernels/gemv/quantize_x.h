// x quantized once per Gemv call for the integer-dot GEMV (`dot`,
// kernels/gemv/gemv_dot-inl.h): int8 codes in blocks of 32 with one f32
// scale per block, as ggml quantizes activations to q8_0 (but with an f32
// scale, not f16, and round-half-to-even). The arithmetic, exactly:
//
//   amax = max |x_j| over the block's 32 values (zeros past cols)
//   d    = amax / 127                    (f32 division, round to nearest)
//   if d < 2^-126 (FLT_MIN; amax = 0 included): d = 0, every q_j = 0
//   else: id = 1 / d                     (f32 division, round to nearest)
//         q_j = RNE(fl(x_j * id))        (the f32 product, then the nearest
//                                         integer, ties to even)
//   sum  = sum_j q_j                     (exact, int32)
//
// |x_j * id| <= 127 (1 + 3 * 2^-24) < 127.5, so |q_j| <= 127. A block whose
// d would be subnormal quantizes to zero, so that the result does not
// depend on the flush-to-zero flags (such a block has |x_j| < 127 * 2^-126).
// Everything here is IEEE f32 arithmetic in round-to-nearest, the same on
// every target, so one scalar routine serves them all.
#ifndef QINS_KERNELS_GEMV_QUANTIZE_X_H_
#define QINS_KERNELS_GEMV_QUANTIZE_X_H_

#include <stddef.h>
#include <stdint.h>

#include "hwy/aligned_allocator.h"

namespace qins {

// The dot kernels reduce kDotGroup blocks at a time into one vector of
// block sums (8 int32: one AVX2 register); Q8Blocks pads to it.
inline constexpr size_t kDotGroup = 8;
inline constexpr size_t kDotBlock = 32;

// Quantized x as the dot kernels read it.
struct Q8Blocks {
  const int8_t* q = nullptr;        // blocks_padded * 32 codes in [-127, 127]
  const float* d = nullptr;         // blocks_padded scales: x ~ d * q
  const int32_t* sum = nullptr;     // blocks_padded sums of the block's codes
  const int32_t* sum_lo = nullptr;  // the same over its first 16 codes
  size_t blocks = 0;                // ceil(cols / 32): blocks with data
  size_t blocks_padded = 0;         // blocks rounded up to kDotGroup; the rest
                                    // have zero codes, d = 0 and sum = 0
};

// Owns the storage of one call's quantized x (64-byte aligned codes).
class Q8X {
 public:
  // False if an allocation failed.
  bool Init(size_t cols);
  // Quantizes x[0, cols) as above. Returns false (and leaves the contents
  // unspecified) if x holds an Inf or NaN, which no int8 code represents:
  // Gemv then runs an f32-activation strategy instead.
  bool Quantize(const float* x, size_t cols);
  const Q8Blocks& blocks() const { return view_; }

 private:
  hwy::AlignedFreeUniquePtr<int8_t[]> q_;
  hwy::AlignedFreeUniquePtr<float[]> d_;
  hwy::AlignedFreeUniquePtr<int32_t[]> sum_;  // sum, then sum_lo
  Q8Blocks view_;
};

}  // namespace qins

#endif  // QINS_KERNELS_GEMV_QUANTIZE_X_H_
