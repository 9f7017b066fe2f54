// Per-target GEMM kernels: Y (m x cols) = X (m x k) * P, where P is one packed
// panel of W^T (k x nr, nr = 2 vectors of floats: P[c][j] = W[n0 + j][c]).
// Included once per target by dispatch/gemm_dispatch.cc.
//
// The micro-kernel holds a kRows x 2-vector tile of Y in registers (kRows =
// 8 on targets with 32 vector registers, 6 on AVX2/SSE with 16) and, per
// column c of X: 2 aligned vector loads of P, kRows broadcasts of X[i][c]
// (a load-broadcast each on x86), 2 * kRows MulAdd. On AVX-512 with kRows =
// 8 that is 16 FMA per 10 loads; the 16 accumulators hide the 4-cycle FMA
// latency on 2 FMA pipes.
//
// Each Y element is one MulAdd chain over c = 0..k-1 in order, starting
// from 0; the k loop is split in chunks of kc (so the kc x nr slice of P
// stays in L1 while it meets every row of X) and the tile is stored and
// reloaded between chunks, which does not change the chain.

#if defined(QINS_KERNELS_GEMM_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_GEMM_GEMM_INL_H_
#undef QINS_KERNELS_GEMM_GEMM_INL_H_
#else
#define QINS_KERNELS_GEMM_GEMM_INL_H_
#endif

#include <stddef.h>
#include <string.h>

#include <algorithm>

#include "hwy/cache_control.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Rows of Y per micro-tile: 2 * kGemmRows accumulators + 2 weight vectors +
// 1 broadcast must fit the register file.
#if HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3
constexpr size_t kGemmRows = 6;  // 16 registers: 12 + 2 + 1
#else
constexpr size_t kGemmRows = 8;  // 32 registers (AVX-512, NEON, SVE): 16+2+1
#endif

// Columns of a packed panel (rows of W it covers): 2 vectors.
size_t GemmPanelCols() { return 2 * hn::Lanes(hn::ScalableTag<float>()); }

// Depth of one L1 chunk: kc * nr floats = 16 KiB, half of a 32 KiB L1 (nr
// is at most 128 floats on any target: 2 x 2048-bit SVE vectors, kc = 32).
HWY_INLINE size_t GemmChunkDepth() {
  return std::max<size_t>(16, (size_t{16} << 10) / (4 * GemmPanelCols()));
}

// Max floats of one packed chunk (kc x nr): 16 KiB.
constexpr size_t kGemmChunkFloats = 4096;

// packed[c * nr + j] = rows[j][c0 + c] for j < count, 0 for count <= j < nr,
// c < depth (the whole chunk, 16 KiB, stays in L1). Four rows at a time: 4
// vector loads and one StoreInterleaved4 (a 4 x N transpose in registers,
// ~8 shuffles on AVX2/AVX-512) give N groups of 4 floats, each stored with
// one 16-byte copy: per weight 1/N loads and 1/4 + 1/N stores, against 1
// load + 1 store for a scalar transpose.
HWY_INLINE void GemmPackChunk(const float* const* rows, size_t count, size_t c0,
                              size_t depth, float* HWY_RESTRICT packed) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const size_t nr = 2 * N;
  HWY_ALIGN float quads[4 * hn::MaxLanes(d)];
  size_t j = 0;
  for (; j + 4 <= count; j += 4) {
    const float* HWY_RESTRICT r0 = rows[j] + c0;
    const float* HWY_RESTRICT r1 = rows[j + 1] + c0;
    const float* HWY_RESTRICT r2 = rows[j + 2] + c0;
    const float* HWY_RESTRICT r3 = rows[j + 3] + c0;
    float* HWY_RESTRICT dst = packed + j;
    size_t c = 0;
    for (; c + N <= depth; c += N) {
      hn::StoreInterleaved4(hn::LoadU(d, r0 + c), hn::LoadU(d, r1 + c),
                            hn::LoadU(d, r2 + c), hn::LoadU(d, r3 + c), d,
                            quads);
      for (size_t i = 0; i < N; ++i)
        memcpy(dst + (c + i) * nr, quads + 4 * i, 4 * sizeof(float));
    }
    for (; c < depth; ++c) {
      dst[c * nr + 0] = r0[c];
      dst[c * nr + 1] = r1[c];
      dst[c * nr + 2] = r2[c];
      dst[c * nr + 3] = r3[c];
    }
  }
  for (; j < count; ++j) {
    const float* HWY_RESTRICT src = rows[j] + c0;
    for (size_t c = 0; c < depth; ++c) packed[c * nr + j] = src[c];
  }
  if (count < nr) {
    for (size_t c = 0; c < depth; ++c)
      std::fill(packed + c * nr + count, packed + c * nr + nr, 0.0f);
  }
}

// One kRows x nr tile over columns [0, kc) of the chunk: y (ldy) = (accumulate
// ? y : 0) + x (ldx) * p. p is vector-aligned.
template <size_t kRows>
HWY_INLINE void GemmTile(const float* HWY_RESTRICT p, size_t kc,
                         const float* HWY_RESTRICT x, size_t ldx,
                         float* HWY_RESTRICT y, size_t ldy, bool accumulate) {
  static_assert(kRows >= 1 && kRows <= 8, "tile rows");
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  using V = hn::Vec<decltype(d)>;
  // Named accumulators, not an array: SVE vectors are sizeless.
  V a00 = hn::Zero(d), a01 = hn::Zero(d), a10 = hn::Zero(d), a11 = hn::Zero(d);
  V a20 = hn::Zero(d), a21 = hn::Zero(d), a30 = hn::Zero(d), a31 = hn::Zero(d);
  V a40 = hn::Zero(d), a41 = hn::Zero(d), a50 = hn::Zero(d), a51 = hn::Zero(d);
  V a60 = hn::Zero(d), a61 = hn::Zero(d), a70 = hn::Zero(d), a71 = hn::Zero(d);
#define QINS_GEMM_ROWS(OP) \
  OP(0, a00, a01)          \
  OP(1, a10, a11)          \
  OP(2, a20, a21)          \
  OP(3, a30, a31)          \
  OP(4, a40, a41)          \
  OP(5, a50, a51)          \
  OP(6, a60, a61)          \
  OP(7, a70, a71)
  if (accumulate) {
#define QINS_GEMM_LOAD(i, lo, hi)       \
  if constexpr (kRows > i) {            \
    lo = hn::LoadU(d, y + i * ldy);     \
    hi = hn::LoadU(d, y + i * ldy + N); \
  }
    QINS_GEMM_ROWS(QINS_GEMM_LOAD)
#undef QINS_GEMM_LOAD
  }
  const size_t nr = 2 * N;
  for (size_t c = 0; c < kc; ++c) {
    const V w0 = hn::Load(d, p + c * nr);
    const V w1 = hn::Load(d, p + c * nr + N);
#define QINS_GEMM_FMA(i, lo, hi)             \
  if constexpr (kRows > i) {                 \
    const V xi = hn::Set(d, x[i * ldx + c]); \
    lo = hn::MulAdd(xi, w0, lo);             \
    hi = hn::MulAdd(xi, w1, hi);             \
  }
    QINS_GEMM_ROWS(QINS_GEMM_FMA)
#undef QINS_GEMM_FMA
  }
#define QINS_GEMM_STORE(i, lo, hi)      \
  if constexpr (kRows > i) {            \
    hn::StoreU(lo, d, y + i * ldy);     \
    hn::StoreU(hi, d, y + i * ldy + N); \
  }
  QINS_GEMM_ROWS(QINS_GEMM_STORE)
#undef QINS_GEMM_STORE
#undef QINS_GEMM_ROWS
}

// A tile of `rows` (< kGemmRows for the last one) rows.
HWY_INLINE void GemmTileRows(size_t rows, const float* p, size_t kc,
                             const float* x, size_t ldx, float* y, size_t ldy,
                             bool accumulate) {
  switch (rows) {
#define QINS_GEMM_CASE(r)                             \
  case r:                                             \
    if constexpr (r <= kGemmRows) {                   \
      GemmTile<r>(p, kc, x, ldx, y, ldy, accumulate); \
    }                                                 \
    break;
    QINS_GEMM_CASE(1)
    QINS_GEMM_CASE(2)
    QINS_GEMM_CASE(3)
    QINS_GEMM_CASE(4)
    QINS_GEMM_CASE(5)
    QINS_GEMM_CASE(6)
    QINS_GEMM_CASE(7)
    QINS_GEMM_CASE(8)
#undef QINS_GEMM_CASE
    default:
      HWY_ASSERT(false);
  }
}

// Y[i][j] (i < m, j < cols <= nr) = sum_c X[i][c] * W[j][c] for one panel
// of W given as `cols` row pointers (k floats each). Loop order: chunks of
// kc columns, each packed (kc x nr, 16 KiB, zero columns past `cols`) into
// an L1 buffer and then multiplied by every row of X in tiles of kGemmRows.
// A panel with cols < nr goes through an nr-wide scratch tile so the kernel
// never writes outside Y.
void GemmPanel(const float* const* rows, size_t cols, size_t k,
               const float* HWY_RESTRICT x, size_t ldx, size_t m,
               float* HWY_RESTRICT y, size_t ldy) {
  const size_t nr = GemmPanelCols();
  const size_t kc = GemmChunkDepth();
  HWY_DASSERT(kc * nr <= kGemmChunkFloats);
  // Rows of W may come straight from memory (f32): the next chunk of every
  // row is prefetched while this one is multiplied (nr streams of kc floats
  // are more than the hardware prefetchers follow). 1 prefetch per 16
  // weights.
  auto prefetch_chunk = [&](size_t c0) {
    const size_t depth = std::min(kc, k - c0);
    for (size_t j = 0; j < cols; ++j) {
      for (size_t c = 0; c < depth; c += 64 / sizeof(float))
        hwy::Prefetch(rows[j] + c0 + c);
    }
  };
  HWY_ALIGN float packed[kGemmChunkFloats];
  HWY_ALIGN float
      scratch[kGemmRows * 2 * hn::MaxLanes(hn::ScalableTag<float>())];
  for (size_t c0 = 0; c0 < k; c0 += kc) {
    const size_t depth = std::min(kc, k - c0);
    GemmPackChunk(rows, cols, c0, depth, packed);
    if (c0 + kc < k) prefetch_chunk(c0 + kc);
    const bool accumulate = c0 != 0;
    for (size_t i0 = 0; i0 < m; i0 += kGemmRows) {
      const size_t tile_rows = std::min(kGemmRows, m - i0);
      // X is read once per panel and usually from L3 (M x K floats); its
      // rows are short runs (kc floats) the hardware prefetchers do not
      // anticipate, so the next tile's are prefetched: kRows x kc / 16
      // prefetches per 2 kRows x kc MulAdd.
      if (i0 + kGemmRows < m) {
        const size_t next_rows = std::min(kGemmRows, m - i0 - kGemmRows);
        for (size_t i = 0; i < next_rows; ++i) {
          const float* xr = x + (i0 + kGemmRows + i) * ldx + c0;
          for (size_t c = 0; c < depth; c += 64 / sizeof(float))
            hwy::Prefetch(xr + c);
        }
      }
      const float* xi = x + i0 * ldx + c0;
      float* yi = y + i0 * ldy;
      if (cols == nr) {
        GemmTileRows(tile_rows, packed, depth, xi, ldx, yi, ldy, accumulate);
      } else {
        for (size_t i = 0; i < tile_rows && accumulate; ++i)
          memcpy(scratch + i * nr, yi + i * ldy, cols * sizeof(float));
        GemmTileRows(tile_rows, packed, depth, xi, ldx, scratch, nr,
                     accumulate);
        for (size_t i = 0; i < tile_rows; ++i)
          memcpy(yi + i * ldy, scratch + i * nr, cols * sizeof(float));
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_GEMM_GEMM_INL_H_
