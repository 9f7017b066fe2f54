// GEMM for a QuantizedMatrix or a plain f32 matrix: argument checks, the
// panel decode + pack, and the two-dimensional thread split.
//
// Work is split into tasks (panel of nr rows of W) x (block of rows of X).
// A thread runs a contiguous range of tasks; tasks of one panel are
// adjacent, so a thread decodes each of its panels once (nr rows of W into
// an nr x k f32 buffer with the format's SIMD decoder; f32 rows are used in
// place) and reuses it for all its rows of X; the kernel packs it chunk by
// chunk into L1 (kernels/gemm/gemm-inl.h). X
// is split only when there are too few panels to occupy the threads, or a
// block of X would not fit in L2. No task splits the k reduction, so the
// result does not depend on the split.
#include "qins/gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "dispatch/arm_i8mm.h"
#include "dispatch/decode_kernels.h"
#include "dispatch/gemm_kernels.h"
#include "dispatch/parallel.h"
#include "hwy/aligned_allocator.h"
#include "kernels/formats/codec.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/gemm/dot_panel.h"
#include "kernels/gemm/dot_x_rows.h"
#include "qins/gemv.h"
#include "qins/quantize.h"

namespace qins {
namespace {

// Where the rows of W come from: stored f32 rows (plain or the f32 format),
// used in place, or a format's row decoder.
struct WeightRows {
  size_t n = 0, k = 0;
  const float* f32 = nullptr;  // non-null: row r at f32 + r * f32_stride
  size_t f32_stride = 0;
  const QuantizedMatrix::Data* q = nullptr;
  DecodeRowFn decode = nullptr;
};

// Rows of X per block at most: a 512 x kc block of X is 256 KiB with the
// AVX-512 chunk depth (128), a quarter of a 1 MiB L2.
constexpr size_t kMaxBlockRows = 512;

bool Overlaps(const void* a, size_t a_bytes, const void* b, size_t b_bytes) {
  const auto pa = reinterpret_cast<uintptr_t>(a);
  const auto pb = reinterpret_cast<uintptr_t>(b);
  return pa < pb + b_bytes && pb < pa + a_bytes;
}

// Checks shared by Gemm and GemmF32 (m > 0).
Status CheckActivations(const char* fn, size_t n, size_t k, const float* x,
                        size_t m, size_t ldx, const float* y, size_t ldy) {
  const std::string f(fn);
  if (x == nullptr || y == nullptr)
    return InvalidArgument(f + ": x or y is null");
  if (ldx < k)
    return InvalidArgument(f + ": x_row_stride " + std::to_string(ldx) +
                           " < k " + std::to_string(k));
  if (ldy < n)
    return InvalidArgument(f + ": y_row_stride " + std::to_string(ldy) +
                           " < n " + std::to_string(n));
  constexpr size_t kMax = std::numeric_limits<size_t>::max() / sizeof(float);
  if (m - 1 > kMax / std::max<size_t>(ldx, 1) ||
      m - 1 > kMax / std::max<size_t>(ldy, 1))
    return InvalidArgument(f + ": m x stride overflows size_t");
  const size_t x_bytes = ((m - 1) * ldx + k) * sizeof(float);
  const size_t y_bytes = ((m - 1) * ldy + n) * sizeof(float);
  // A span larger than any array (or one that wraps the address space) is
  // a bad stride, not an overlap: say so before the overlap test would
  // report it as one.
  constexpr size_t kMaxBytes = PTRDIFF_MAX;
  for (const auto& [name, p, bytes, stride] :
       {std::tuple{"x", static_cast<const void*>(x), x_bytes, ldx},
        std::tuple{"y", static_cast<const void*>(y), y_bytes, ldy}}) {
    if (bytes > kMaxBytes ||
        reinterpret_cast<uintptr_t>(p) > UINTPTR_MAX - bytes) {
      return InvalidArgument(f + ": " + name + " spans " +
                             std::to_string(bytes) +
                             " bytes (m = " + std::to_string(m) + ", " + name +
                             "_row_stride = " + std::to_string(stride) +
                             "), more than the largest array (PTRDIFF_MAX "
                             "bytes)");
    }
  }
  if (k > 0 && n > 0 && Overlaps(x, x_bytes, y, y_bytes))
    return InvalidArgument(f + ": x and y overlap");
  return Status::Ok();
}

// The rows of X per task: blocks of X, enough tasks for every thread (at
// least 2 per thread when there are few panels), blocks of at least 8 rows,
// at most kMaxBlockRows, a multiple of 8 (the tallest micro-tile). Returns
// {blocks, rows per block}.
std::pair<size_t, size_t> SplitX(const Context& ctx, size_t panels, size_t m) {
  const size_t threads = static_cast<size_t>(std::max(1, ctx.num_threads()));
  size_t blocks = (m + kMaxBlockRows - 1) / kMaxBlockRows;
  if (panels < 2 * threads) {
    const size_t want = (2 * threads + panels - 1) / panels;
    blocks = std::max(blocks, std::min(want, (m + 7) / 8));
  }
  blocks = std::max<size_t>(blocks, 1);
  const size_t block_rows = ((m + blocks - 1) / blocks + 7) / 8 * 8;
  return {(m + block_rows - 1) / block_rows, block_rows};
}

Status GemmImpl(const Context& ctx, const WeightRows& w, const float* x,
                size_t m, size_t ldx, float* y, size_t ldy) {
  const GemmKernels& kern = GetGemmKernels(ctx.target());
  const size_t nr = kern.panel_cols();
  const size_t n = w.n, k = w.k;
  if (k == 0) {  // empty sums
    for (size_t i = 0; i < m; ++i)
      std::fill(y + i * ldy, y + i * ldy + n, 0.0f);
    return Status::Ok();
  }
  const size_t panels = (n + nr - 1) / nr;
  // (Not a structured binding: clang 14, the fuzz preset's compiler, cannot
  // capture one in the lambda below.)
  const std::pair<size_t, size_t> split = SplitX(ctx, panels, m);
  const size_t blocks = split.first, block_rows = split.second;
  const size_t tasks = panels * blocks;

  std::atomic<bool> out_of_memory{false};
  ParallelFor(ctx, tasks, 1, [&](size_t t0, size_t t1) {
    hwy::AlignedFreeUniquePtr<float[]> decoded;
    if (w.f32 == nullptr) {
      decoded = hwy::AllocateAligned<float>(nr * k);
      if (!decoded) {
        out_of_memory = true;
        return;
      }
    }
    // Row pointers of the current panel (nr <= 256 on every target).
    std::vector<const float*> rows(nr);
    size_t loaded = std::numeric_limits<size_t>::max();
    for (size_t t = t0; t < t1; ++t) {
      const size_t panel = t / blocks, block = t % blocks;
      const size_t n0 = panel * nr, cols = std::min(nr, n - n0);
      if (panel != loaded) {
        for (size_t j = 0; j < cols; ++j) {
          if (w.f32 != nullptr) {
            rows[j] = w.f32 + (n0 + j) * w.f32_stride;
          } else {
            w.decode(*w.q, n0 + j, decoded.get() + j * k);
            rows[j] = decoded.get() + j * k;
          }
        }
        loaded = panel;
      }
      const size_t i0 = block * block_rows;
      kern.panel(rows.data(), cols, k, x + i0 * ldx, ldx,
                 std::min(block_rows, m - i0), y + i0 * ldy + n0, ldy);
    }
  });
  if (out_of_memory)
    return Status(StatusCode::kResourceExhausted,
                  "Gemm: cannot allocate the panel buffers (" +
                      std::to_string(nr * k * 4) + " bytes per thread)");
  return Status::Ok();
}

// GemmStrategy::kDot: X quantized once (all threads), then the same task
// split as GemmImpl over panels of kDotPanelRows rows of W, each packed once
// per thread into its int8 layout (kernels/gemm/dot_panel.h). Rows of X with
// an Inf or NaN then run through Gemv(kDot), which computes them with f32
// activations, so that every row equals Gemv(kDot)'s.
Status GemmDot(const Context& ctx, const QuantizedMatrix& w, const float* x,
               size_t m, size_t ldx, float* y, size_t ldy) {
  const GemmKernels& kern = GetGemmKernels(ctx.target());
  const auto dot_rows = kern.dot_rows_i8mm != nullptr && UseArmI8mm()
                            ? kern.dot_rows_i8mm
                            : kern.dot_rows;
  const size_t n = w.rows(), k = w.cols();
  DotX dx;
  if (!dx.Quantize(ctx, x, m, k, ldx))
    return Status(StatusCode::kResourceExhausted,
                  "Gemm: cannot allocate the quantized X (" +
                      std::to_string(m * k) + " bytes)");
  const size_t nr = kDotPanelRows;
  const size_t panels = (n + nr - 1) / nr;
  // (Not a structured binding: clang 14, the fuzz preset's compiler, cannot
  // capture one in the lambda below.)
  const std::pair<size_t, size_t> split = SplitX(ctx, panels, m);
  const size_t blocks = split.first, block_rows = split.second;
  const size_t tasks = panels * blocks;
  const QuantizedMatrix::Data& d = w.data();
  const size_t panel_bytes = DotPanelBytes(k);
  std::atomic<bool> out_of_memory{false};
  ParallelFor(ctx, tasks, 1, [&](size_t t0, size_t t1) {
    auto buffer = hwy::AllocateAligned<uint8_t>(panel_bytes);
    if (!buffer) {
      out_of_memory = true;
      return;
    }
    DotPanel panel;
    size_t loaded = std::numeric_limits<size_t>::max();
    for (size_t t = t0; t < t1; ++t) {
      const size_t p = t / blocks, block = t % blocks;
      const size_t n0 = p * nr, cols = std::min(nr, n - n0);
      if (p != loaded) {
        kern.dot_pack(d, n0, cols, buffer.get(), &panel);
        loaded = p;
      }
      const size_t i0 = block * block_rows;
      dot_rows(panel, dx.rows(), i0, std::min(block_rows, m - i0),
               y + i0 * ldy + n0, ldy, cols);
    }
  });
  if (out_of_memory)
    return Status(StatusCode::kResourceExhausted,
                  "Gemm: cannot allocate the panel buffers (" +
                      std::to_string(panel_bytes) + " bytes per thread)");
  for (size_t i = 0; i < m; ++i) {
    if (dx.finite(i)) continue;
    Status st = Gemv(ctx, w, x + i * ldx, y + i * ldy, {GemvStrategy::kDot});
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace

const char* GemmStrategyName(GemmStrategy s) {
  switch (s) {
    case GemmStrategy::kDecodeF32:
      return "f32";
    case GemmStrategy::kDot:
      return "dot";
  }
  return "?";
}

bool HasGemmStrategy(const Format& f, GemmStrategy s) {
  switch (s) {
    case GemmStrategy::kDecodeF32:
      return true;
    case GemmStrategy::kDot:
      return HasDotPanel(f.kind);
  }
  return false;
}

Status Gemm(const Context& ctx, const QuantizedMatrix& w, const float* x,
            size_t m, size_t x_row_stride, float* y, size_t y_row_stride,
            const GemmOptions& opt) {
  if (w.empty()) return InvalidArgument("Gemm: empty matrix");
  if (m == 0) return Status::Ok();
  const size_t n = w.rows(), k = w.cols();
  Status st =
      CheckActivations("Gemm", n, k, x, m, x_row_stride, y, y_row_stride);
  if (!st.ok()) return st;
  if (opt.strategy == GemmStrategy::kDot) {
    if (!HasGemmStrategy(w.format(), GemmStrategy::kDot)) {
      std::string have;
      for (Format f : AllFormats()) {
        if (HasGemmStrategy(f, GemmStrategy::kDot))
          have += (have.empty() ? "" : ", ") + FormatName(f);
      }
      return InvalidArgument("Gemm: format " + FormatName(w.format()) +
                             " has no dot strategy (these have it: " + have +
                             ")");
    }
    if (m == 1 && opt.gemv_for_single_row)
      return Gemv(ctx, w, x, y, {GemvStrategy::kDot});
    return GemmDot(ctx, w, x, m, x_row_stride, y, y_row_stride);
  }
  // Gemm keeps x in f32 (qins/gemm.h): m == 1 runs auto's f32-activation
  // GEMV strategy, never `dot` (which rounds x to int8).
  if (m == 1 && opt.gemv_for_single_row) {
    return Gemv(ctx, w, x, y,
                {GemvF32ActivationStrategy(w.format(), ctx.target())});
  }
  WeightRows rows;
  rows.n = n;
  rows.k = k;
  const QuantizedMatrix::Data& d = w.data();
  if (w.format().kind == FormatKind::kF32) {
    rows.f32 = reinterpret_cast<const float*>(d.row(0));
    rows.f32_stride = d.row_stride / sizeof(float);
  } else {
    rows.q = &d;
    rows.decode =
        GetDecodeKernels(ctx.target()).row[static_cast<int>(w.format().kind)];
    if (rows.decode == nullptr)
      rows.decode = GetCodec(w.format().kind).decode_row;
  }
  return GemmImpl(ctx, rows, x, m, x_row_stride, y, y_row_stride);
}

Status GemmF32(const Context& ctx, const float* w, size_t n, size_t k,
               size_t w_row_stride, const float* x, size_t m,
               size_t x_row_stride, float* y, size_t y_row_stride) {
  if (m == 0 || n == 0) return Status::Ok();
  if (w == nullptr && k > 0) return InvalidArgument("GemmF32: w is null");
  if (w_row_stride < k)
    return InvalidArgument("GemmF32: w_row_stride " +
                           std::to_string(w_row_stride) + " < k " +
                           std::to_string(k));
  Status st =
      CheckActivations("GemmF32", n, k, x, m, x_row_stride, y, y_row_stride);
  if (!st.ok()) return st;
  WeightRows rows;
  rows.n = n;
  rows.k = k;
  rows.f32 = w;
  rows.f32_stride = w_row_stride;
  return GemmImpl(ctx, rows, x, m, x_row_stride, y, y_row_stride);
}

}  // namespace qins
