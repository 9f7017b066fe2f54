// Matrix-vector products with FP32 activations: y = W x.
#ifndef QINS_GEMV_H_
#define QINS_GEMV_H_

#include <cstddef>

#include "qins/context.h"
#include "qins/export.h"
#include "qins/status.h"

namespace qins {

// y[rows] = W x for a row-major f32 W (rows x cols, `row_stride` floats
// between row starts, row_stride >= cols) and x[cols]. Runs on ctx's target
// and arena, split over row blocks. Every y[i] is summed in one fixed order,
// so the result does not depend on the thread count. rows == 0 is a no-op;
// cols == 0 gives y = 0. Null pointers with a non-empty shape, or
// row_stride < cols, are errors. NaN/Inf in W or x propagate as IEEE
// arithmetic does.
QINS_API Status GemvF32(const Context& ctx, const float* w, size_t rows,
                        size_t cols, size_t row_stride, const float* x,
                        float* y);

class QuantizedMatrix;

// y[rows] = W x for a quantized W (any format, qins/quantize.h) and
// x[cols]. y equals GemvF32 over the dequantized W bit for bit (the decoders
// are exact and the f32 summation order is the same), on any thread count.
QINS_API Status Gemv(const Context& ctx, const QuantizedMatrix& w,
                     const float* x, float* y);

// sum_i a[i] b[i] in f32 with the same summation order as one GemvF32 row.
QINS_API StatusOr<float> DotF32(const Context& ctx, const float* a,
                                const float* b, size_t n);

}  // namespace qins

#endif  // QINS_GEMV_H_
