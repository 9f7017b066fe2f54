// Per-target GEMM kernels (kernels/gemm/gemm-inl.h), resolved for a target.
#ifndef QINS_DISPATCH_GEMM_KERNELS_H_
#define QINS_DISPATCH_GEMM_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

#include "qins/targets.h"

namespace qins {

struct GemmKernels {
  int64_t target_bit;
  // Rows of W one packed panel covers (nr = 2 f32 vectors; run-time on SVE).
  size_t (*panel_cols)();
  // packed[c * nr + j0 + j] = rows[j][c] for j < count, c < k.
  void (*pack_columns)(const float* const* rows, size_t count, size_t k,
                       float* packed, size_t j0);
  // Y[i][j] = sum_c X[i][c] packed[c][j] for i < m, j < cols <= nr; packed
  // is vector-aligned, k x nr.
  void (*panel)(const float* packed, size_t k, const float* x, size_t ldx,
                size_t m, float* y, size_t ldy, size_t cols);
};

// Precondition: IsCompiled(t).
const GemmKernels& GetGemmKernels(Target t);

}  // namespace qins

#endif  // QINS_DISPATCH_GEMM_KERNELS_H_
