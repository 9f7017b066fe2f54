// Target-independent entry points for f32 GEMV: validation, row-block split
// over the Context's threads, and the call into the per-target kernel.
#include <algorithm>
#include <cstdint>
#include <string>

#include "dispatch/f32_kernels.h"
#include "dispatch/parallel.h"
#include "qins/gemv.h"

namespace qins {

namespace {
constexpr size_t kRowGroup = 4;  // rows per kernel call step (DotRowsF32<4>)
// Below this many weights, one thread does the whole GEMV: splitting costs
// more than it saves.
constexpr size_t kMinParallelWeights = size_t{1} << 16;
// A task covers at least this many weight bytes.
constexpr size_t kMinTaskBytes = size_t{64} << 10;
// The most floats one array can span: its byte size must fit ptrdiff_t.
constexpr size_t kMaxFloats = PTRDIFF_MAX / sizeof(float);

bool Overlaps(const void* a, size_t a_bytes, const void* b, size_t b_bytes) {
  const auto pa = reinterpret_cast<uintptr_t>(a);
  const auto pb = reinterpret_cast<uintptr_t>(b);
  return pa < pb + b_bytes && pb < pa + a_bytes;
}
}  // namespace

Status GemvF32(const Context& ctx, const float* w, size_t rows, size_t cols,
               size_t row_stride, const float* x, float* y) {
  if (rows == 0) return Status::Ok();
  if (y == nullptr) return InvalidArgument("GemvF32: y is null");
  if (cols > 0 && (w == nullptr || x == nullptr)) {
    return InvalidArgument("GemvF32: W or x is null");
  }
  if (row_stride < cols) {
    return InvalidArgument("GemvF32: row_stride " + std::to_string(row_stride) +
                           " < cols " + std::to_string(cols));
  }
  // Sizes: y (rows floats), x (cols) and W ((rows - 1) x row_stride + cols)
  // must each be an array the address space can hold; larger values wrapped
  // the index arithmetic and read out of bounds.
  if (rows > kMaxFloats || cols > kMaxFloats ||
      (rows - 1 > 0 && row_stride > (kMaxFloats - cols) / (rows - 1))) {
    return InvalidArgument("GemvF32: rows " + std::to_string(rows) + ", cols " +
                           std::to_string(cols) + ", row_stride " +
                           std::to_string(row_stride) +
                           " exceed the largest array (PTRDIFF_MAX bytes)");
  }
  // y is written while x and W are read: no overlap (in place, y == x, gave
  // a wrong y with an OK status).
  const size_t y_bytes = rows * sizeof(float);
  if (cols > 0 && Overlaps(y, y_bytes, x, cols * sizeof(float)))
    return InvalidArgument("GemvF32: y and x overlap (no in-place GEMV)");
  if (cols > 0 &&
      Overlaps(y, y_bytes, w, ((rows - 1) * row_stride + cols) * sizeof(float)))
    return InvalidArgument("GemvF32: y and W overlap");
  const F32Kernels& k = GetF32Kernels(ctx.target());
  const size_t groups = (rows + kRowGroup - 1) / kRowGroup;
  const size_t group_bytes =
      kRowGroup * std::max<size_t>(cols, 1) * sizeof(float);
  size_t grain = std::max<size_t>(1, kMinTaskBytes / group_bytes);
  if (rows * cols < kMinParallelWeights) grain = groups;
  ParallelFor(ctx, groups, grain, [&](size_t g0, size_t g1) {
    k.gemv_rows(w, row_stride, cols, x, y, g0 * kRowGroup,
                std::min(rows, g1 * kRowGroup));
  });
  return Status::Ok();
}

StatusOr<float> DotF32(const Context& ctx, const float* a, const float* b,
                       size_t n) {
  if (n == 0) return 0.0f;
  if (a == nullptr || b == nullptr)
    return InvalidArgument("DotF32: null input");
  if (n > kMaxFloats) {
    return InvalidArgument("DotF32: n " + std::to_string(n) +
                           " exceeds the largest array (PTRDIFF_MAX bytes)");
  }
  return GetF32Kernels(ctx.target()).dot(a, b, n);
}

}  // namespace qins
