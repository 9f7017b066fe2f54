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
  // Y[i][j] = sum_c X[i][c] W[j][c] for i < m, j < cols <= nr, c < k, where
  // rows[j] points at row j of the panel (k floats).
  void (*panel)(const float* const* rows, size_t cols, size_t k, const float* x,
                size_t ldx, size_t m, float* y, size_t ldy);
};

// Precondition: IsCompiled(t).
const GemmKernels& GetGemmKernels(Target t);

}  // namespace qins

#endif  // QINS_DISPATCH_GEMM_KERNELS_H_
