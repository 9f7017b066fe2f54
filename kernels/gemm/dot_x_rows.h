// The rows of X for the integer-dot GEMM (GemmStrategy::kDot): each row
// quantized once per call to int8 blocks of 32 exactly as the `dot` GEMV
// quantizes x (kernels/gemv/quantize_x.h), stored row after row with what
// the kernel (kernels/gemm/gemm_dot-inl.h) reads per block beside the codes:
// the block scale, -128 times the code sum (the bias of W's codes, stored
// as w + 128, is taken out by starting the int32 sum there; also per
// 16-code half, for Q6_K) and the code sum as f32 (the min terms).
#ifndef QINS_KERNELS_GEMM_DOT_X_ROWS_H_
#define QINS_KERNELS_GEMM_DOT_X_ROWS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "qins/context.h"

namespace qins {

struct DotXRows {
  size_t blocks = 0;          // ceil(k / 32) per row
  const int8_t* q = nullptr;  // row i, block b: q + (i * blocks + b) * 32
  const float* d = nullptr;   // [i * blocks + b]
  const int32_t* neg_bias = nullptr;  // [i * blocks + b] = -128 * sum
  const float* sum = nullptr;         // [i * blocks + b] = (float) sum
  // [2 (i * blocks + b) + h] = -128 * the sum of codes 16 h .. 16 h + 15
  // (Q6_K's two halves).
  const int32_t* neg_bias16 = nullptr;
};

// Owns one call's quantized X.
class DotX {
 public:
  // Quantizes rows [0, m) of x (k columns, ldx floats apart) on ctx's
  // threads. Returns false if an allocation failed. finite[i] is false for
  // a row holding an Inf or NaN (which no int8 code represents; its codes
  // are then unspecified and the caller computes that row another way, as
  // the `dot` GEMV does).
  bool Quantize(const Context& ctx, const float* x, size_t m, size_t k,
                size_t ldx);
  const DotXRows& rows() const { return view_; }
  bool finite(size_t i) const { return finite_[i] != 0; }

 private:
  hwy::AlignedFreeUniquePtr<int8_t[]> q_;
  hwy::AlignedFreeUniquePtr<float[]> d_, sum_;
  hwy::AlignedFreeUniquePtr<int32_t[]> neg_bias_, neg_bias16_;
  std::vector<uint8_t> finite_;
  DotXRows view_;
};

}  // namespace qins

#endif  // QINS_KERNELS_GEMM_DOT_X_ROWS_H_
