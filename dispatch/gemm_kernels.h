// Per-target GEMM kernels (kernels/gemm/gemm-inl.h), resolved for a target.
#ifndef QINS_DISPATCH_GEMM_KERNELS_H_
#define QINS_DISPATCH_GEMM_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

#include "kernels/formats/matrix_data.h"
#include "qins/targets.h"

namespace qins {

struct DotPanel;
struct DotXRows;

struct GemmKernels {
  int64_t target_bit;
  // Rows of W one packed panel covers (nr = 2 f32 vectors; run-time on SVE).
  size_t (*panel_cols)();
  // Y[i][j] = sum_c X[i][c] W[j][c] for i < m, j < cols <= nr, c < k, where
  // rows[j] points at row j of the panel (k floats).
  void (*panel)(const float* const* rows, size_t cols, size_t k, const float* x,
                size_t ldx, size_t m, float* y, size_t ldy);
  // GemmStrategy::kDot (kernels/gemm/gemm_dot-inl.h): Y[i][j] for rows
  // [i0, i0 + m) of the quantized X and the panel's first cols rows; y points
  // at Y[i0][n0].
  // PackDotPanel's bytes (kernels/gemm/dot_panel.h), with SIMD.
  void (*dot_pack)(const QuantizedMatrix::Data& d, size_t n0, size_t cols,
                   uint8_t* buffer, DotPanel* p);
  void (*dot_rows)(const DotPanel& panel, const DotXRows& x, size_t i0,
                   size_t m, float* y, size_t ldy, size_t cols);
  // dot_rows with Arm i8mm (usmmla), the same results bit for bit; null
  // but on NEON built with dotprod. Call it only where UseArmI8mm()
  // (dispatch/arm_i8mm.h).
  void (*dot_rows_i8mm)(const DotPanel& panel, const DotXRows& x, size_t i0,
                        size_t m, float* y, size_t ldy, size_t cols);
};

// Precondition: IsCompiled(t).
const GemmKernels& GetGemmKernels(Target t);

}  // namespace qins

#endif  // QINS_DISPATCH_GEMM_KERNELS_H_
