// Matrix-matrix products with FP32 activations: Y = X W^T (the prefill path).
#ifndef QINS_GEMM_H_
#define QINS_GEMM_H_

#include <cstddef>

#include "qins/context.h"
#include "qins/export.h"
#include "qins/status.h"

namespace qins {

class QuantizedMatrix;

struct Format;

// How Gemm multiplies.
enum class GemmStrategy {
  // Each panel of W decoded to f32 and multiplied with f32 FMAs: X stays f32
  // (the contract below). Every format has it.
  kDecodeF32,
  // Each row of X quantized once per call to int8 blocks of 32 exactly as
  // GemvStrategy::kDot quantizes x, W's integer codes multiplied with
  // integer dot products (AVX-512 VNNI; plain C++ elsewhere). Y[i][j] equals,
  // bit for bit, Gemv(kDot) of row i of X with row j of W, on every target
  // and thread count; a row of X holding an Inf or NaN is computed as
  // Gemv(kDot) computes it (with GemvF32ActivationStrategy). Formats: q8_0,
  // i8row, q4_0, q4_1, q5_0, q5_1, iq4_nl, qins4, q3_k, q4_k, q5_k, q6_k,
  // iq4_xs (HasGemmStrategy).
  // docs/gemm.md states the arithmetic and its cost in accuracy.
  kDot,
};

QINS_API const char* GemmStrategyName(GemmStrategy s);  // "f32", "dot"
QINS_API bool HasGemmStrategy(const Format& f, GemmStrategy s);

struct GemmOptions {
  GemmStrategy strategy = GemmStrategy::kDecodeF32;
  // M == 1 calls Gemv with GemvF32ActivationStrategy (auto's choice among
  // the strategies that keep x in f32, fused where the format has one; never
  // kDot), which reads W once without decoding it to memory. false runs the
  // batched kernel for M == 1 too (tests and benches use this to compare the
  // two).
  bool gemv_for_single_row = true;
};

// Y (m x n) = X (m x k) * W^T for a quantized W (n x k, any format,
// qins/quantize.h): Y[i][j] = sum_c X[i][c] W[j][c]. X and Y are row-major
// with `x_row_stride` / `y_row_stride` floats between row starts.
//
// Each panel of W is decoded once per call to f32 with the format's SIMD
// decoder (exact: the decoded values equal DequantizeReference's) and reused
// for every row of X (docs/gemm.md). Every Y[i][j] is one f32 MulAdd chain
// over c = 0, 1, ..., k-1 in order, starting from 0, so the result does not
// depend on the thread count, the blocking or m (m >= 2). m == 1 goes through
// Gemv unless opt.gemv_for_single_row is false; Gemv sums in another order.
//
// With opt.strategy = kDot the arithmetic is GemmStrategy::kDot's instead;
// a format without it is an error.
//
// m == 0 is a no-op. Errors: empty W, null X or Y with m > 0,
// x_row_stride < k, y_row_stride < n, m x stride beyond SIZE_MAX bytes, X
// and Y overlapping (no in-place products). NaN/Inf in X propagate as IEEE
// arithmetic does; the FP-environment contract is qins/gemv.h's.
QINS_API Status Gemm(const Context& ctx, const QuantizedMatrix& w,
                     const float* x, size_t m, size_t x_row_stride, float* y,
                     size_t y_row_stride, const GemmOptions& opt = {});

// The same for a plain row-major f32 W (n x k, `w_row_stride` floats between
// rows, >= k); the same MulAdd chains, so it equals Gemm on the f32-format
// matrix of W bit for bit (m >= 2). n == 0 or m == 0 is a no-op; k == 0 gives Y
// = 0.
QINS_API Status GemmF32(const Context& ctx, const float* w, size_t n, size_t k,
                        size_t w_row_stride, const float* x, size_t m,
                        size_t x_row_stride, float* y, size_t y_row_stride);

}  // namespace qins

#endif  // QINS_GEMM_H_
