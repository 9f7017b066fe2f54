// GEMV for a QuantizedMatrix, any format: the `decode` strategy. Each task
// decodes four rows at a time into an L1-sized f32 buffer with the format's
// SIMD decoder and multiplies them with the f32 kernel. Because the decoders
// are exact, y equals GemvF32 on the dequantized matrix bit for bit, for any
// thread count. Format-specific fused kernels (issue: lookup GEMV) replace
// this path format by format; it stays as their reference and fallback.
#include "qins/gemv.h"

#include <algorithm>
#include <string>
#include <vector>

#include "dispatch/decode_kernels.h"
#include "dispatch/f32_kernels.h"
#include "dispatch/parallel.h"
#include "hwy/aligned_allocator.h"
#include "kernels/formats/codec.h"
#include "qins/quantize.h"

namespace qins {

Status Gemv(const Context& ctx, const QuantizedMatrix& w, const float* x,
            float* y) {
  if (w.empty()) return InvalidArgument("Gemv: empty matrix");
  if (x == nullptr || y == nullptr)
    return InvalidArgument("Gemv: x or y is null");
  const size_t rows = w.rows(), cols = w.cols();
  const QuantizedMatrix::Data& d = w.data();
  if (w.format().kind == FormatKind::kF32) {
    return GemvF32(ctx, reinterpret_cast<const float*>(d.row(0)), rows, cols,
                   d.row_stride / sizeof(float), x, y);
  }
  DecodeRowFn decode =
      GetDecodeKernels(ctx.target()).row[static_cast<int>(w.format().kind)];
  if (decode == nullptr) decode = GetCodec(w.format().kind).decode_row;
  const F32Kernels& f32 = GetF32Kernels(ctx.target());
  constexpr size_t kGroup = 4;
  const size_t groups = (rows + kGroup - 1) / kGroup;
  // At least ~64 KiB of decoded weights per task.
  const size_t grain =
      std::max<size_t>(1, (size_t{16} << 10) / (kGroup * cols));
  ParallelFor(ctx, groups, grain, [&](size_t g0, size_t g1) {
    auto buf = hwy::AllocateAligned<float>(kGroup * cols);
    float out[kGroup];
    for (size_t g = g0; g < g1; ++g) {
      const size_t r0 = g * kGroup, n = std::min(kGroup, rows - r0);
      for (size_t i = 0; i < n; ++i) decode(d, r0 + i, buf.get() + i * cols);
      f32.gemv_rows(buf.get(), cols, cols, x, out, 0, n);
      std::copy(out, out + n, y + r0);
    }
  });
  return Status::Ok();
}

}  // namespace qins
