// Per-target fused GEMV kernels for the blocked formats (q8_0, q4_0, iq4_nl,
// qins4: 32 weights per block with a 2-byte header first; q4_1, q5_0, q5_1:
// ggml's 4- to 8-byte headers). Weights are decoded in registers,
// multiplied by their block's scale, and fed straight into the FMA with x.
// Included once per target by dispatch/gemv_dispatch.cc
// (after gemv_fused-inl.h, whose contract they share: x zero-padded, one
// fixed summation order per row, independent of threads and row grouping).
//
// Block scales: a scalar f16 decode costs ~10 ops, which per block and row
// would be 5 ops per vector on AVX-512. So each group of rows first copies
// its headers into a u16 array (2 ops per block) and converts them with one
// vector PromoteTo per N blocks; the main loop broadcasts the f32 scale
// from memory (1 op per block).

#if defined(QINS_KERNELS_GEMV_GEMV_BLOCKS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_GEMV_GEMV_BLOCKS_INL_H_
#undef QINS_KERNELS_GEMV_GEMV_BLOCKS_INL_H_
#else
#define QINS_KERNELS_GEMV_GEMV_BLOCKS_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <type_traits>

#include "hwy/highway.h"
#include "kernels/formats/format_kernels-inl.h"
#include "kernels/formats/loaders-inl.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/gemv/group_prefetch.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Sums kRows (1 or 4) rows of `blocks` blocks. Loader::Setup(i, b) and
// Setup2(i, b) return block b's loop-invariant vectors for row i (scale,
// offset or register table); Loader::Load(i, blk, j, s, t) returns the f32
// weights [j, j + N) of the block at `blk`. Two accumulators per row over
// even and odd vectors, as in FusedRows.
template <size_t kRows, class Loader>
HWY_INLINE void FusedBlockRows(
    const Loader& ld, const uint8_t* HWY_RESTRICT w, size_t stride,
    size_t blocks, const float* HWY_RESTRICT x, float* HWY_RESTRICT out,
    GroupPrefetch pf = GroupPrefetch(nullptr, 0, 0)) {  // 1 row: unused
  constexpr bool k4 = kRows == 4;
  constexpr size_t kBytes = Loader::kBlockBytes;
  const DB d;
  const size_t N = hn::Lanes(d);
  const uint8_t* w0 = w;
  const uint8_t* w1 = w + (k4 ? 1 : 0) * stride;
  const uint8_t* w2 = w + (k4 ? 2 : 0) * stride;
  const uint8_t* w3 = w + (k4 ? 3 : 0) * stride;
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), b0 = hn::Zero(d), b1 = hn::Zero(d);
  auto c0 = hn::Zero(d), c1 = hn::Zero(d), e0 = hn::Zero(d), e1 = hn::Zero(d);
  for (size_t b = 0; b < blocks; ++b) {
    if constexpr (k4) pf.Step();  // 4-row groups only
    const float* xb = x + b * 32;
    const size_t o = b * kBytes;
    const auto s0 = ld.Setup(0, b), t0 = ld.Setup2(0, b);
    const auto s1 = ld.Setup(k4 ? 1 : 0, b), t1 = ld.Setup2(k4 ? 1 : 0, b);
    const auto s2 = ld.Setup(k4 ? 2 : 0, b), t2 = ld.Setup2(k4 ? 2 : 0, b);
    const auto s3 = ld.Setup(k4 ? 3 : 0, b), t3 = ld.Setup2(k4 ? 3 : 0, b);
    for (size_t j = 0; j < 32; j += 2 * N) {
      const auto x0 = hn::LoadU(d, xb + j);
      const auto x1 = hn::LoadU(d, xb + j + N);
      a0 = hn::MulAdd(ld.Load(0, w0 + o, j, s0, t0), x0, a0);
      a1 = hn::MulAdd(ld.Load(0, w0 + o, j + N, s0, t0), x1, a1);
      if constexpr (k4) {
        b0 = hn::MulAdd(ld.Load(1, w1 + o, j, s1, t1), x0, b0);
        b1 = hn::MulAdd(ld.Load(1, w1 + o, j + N, s1, t1), x1, b1);
        c0 = hn::MulAdd(ld.Load(2, w2 + o, j, s2, t2), x0, c0);
        c1 = hn::MulAdd(ld.Load(2, w2 + o, j + N, s2, t2), x1, c1);
        e0 = hn::MulAdd(ld.Load(3, w3 + o, j, s3, t3), x0, e0);
        e1 = hn::MulAdd(ld.Load(3, w3 + o, j + N, s3, t3), x1, e1);
      }
    }
  }
  out[0] = hn::GetLane(hn::SumOfLanes(d, hn::Add(a0, a1)));
  if constexpr (k4) {
    out[1] = hn::GetLane(hn::SumOfLanes(d, hn::Add(b0, b1)));
    out[2] = hn::GetLane(hn::SumOfLanes(d, hn::Add(c0, c1)));
    out[3] = hn::GetLane(hn::SumOfLanes(d, hn::Add(e0, e1)));
  }
}

// Runs rows [r0, r1) of a blocked format in groups of 4: block parameters of
// the group first, then FusedBlockRows. kHasMin: each block's f16 min
// follows its f16 scale (q4_1, q5_1) and goes to BlockParams::min. Header
// void: no first pass; the loader reads each block's header in the loop
// through BlockParams::row.
template <class Header, bool kHasMin = false, class MakeLoader>
HWY_INLINE void FusedBlockGemvRows(const QuantizedMatrix::Data& m,
                                   const float* x, float* y, size_t r0,
                                   size_t r1, size_t block_bytes,
                                   MakeLoader&& make) {
  constexpr bool kHeaderPass = !std::is_void_v<Header>;
  struct GemvScratch {};
  BlockScratch sc = {};
  if constexpr (kHeaderPass) {
    sc = GetBlockScratch<GemvScratch>(m.cols, kHasMin ? 8 : 4);
  } else {
    sc.blocks = (m.cols + kWeightBlock - 1) / kWeightBlock;
  }
  const size_t blocks = sc.blocks, bp = sc.bp;
  HWY_ALIGN float stored[4][16];
  float out[4];
  for (size_t r = r0; r < r1; r += 4) {
    const size_t n = std::min<size_t>(4, r1 - r);
    BlockParams p = {};
    for (size_t i = 0; i < 4; ++i) {
      const size_t row = r + (i < n ? i : 0);
      p.row[i] = m.row(row);
      if constexpr (kHeaderPass) {
        float* scale = sc.scale + i * bp;
        uint8_t* select = sc.select + i * bp;
        LoadBlockParams<Header>(m.row(row), blocks, bp, block_bytes, sc.bits,
                                scale, select);
        p.scale[i] = scale;
        p.select[i] = select;
        if constexpr (kHasMin) {
          float* min = sc.scale + (4 + i) * bp;
          LoadBlockParams<F16Header>(m.row(row) + 2, blocks, bp, block_bytes,
                                     sc.bits, min, sc.select + (4 + i) * bp);
          p.min[i] = min;
        }
      }
    }
    const auto ld = make(p, stored);
    if (n == 4) {
      FusedBlockRows<4>(ld, m.row(r), m.row_stride, blocks, x, out,
                        GroupPrefetch::ForGroup(m, r, r1, blocks));
      for (size_t i = 0; i < 4; ++i) y[r + i] = out[i];
    } else {
      for (size_t i = 0; i < n; ++i) {
        // Row i of the group as row 0 of a one-row loader.
        BlockParams p1 = p;
        p1.scale[0] = p.scale[i];
        p1.select[0] = p.select[i];
        p1.min[0] = p.min[i];
        p1.row[0] = p.row[i];
        const auto ld1 = make(p1, stored);
        FusedBlockRows<1>(ld1, m.row(r + i), m.row_stride, blocks, x, out);
        y[r + i] = out[0];
      }
    }
  }
}

#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || \
    HWY_TARGET == HWY_AVX3_DL
// q8_0 on x86 with F16C: each block's scale converted where the block is
// read (a 2-byte load, vcvtph2ps and a broadcast per block and row, ~1 op
// per 16 weights more) instead of a first pass over the group's headers
// (LoadBlockParams). That pass touched every cache line of the 4 rows
// before the multiply-adds ran, so on cold rows the loads and the
// arithmetic did not overlap: 0.75 of the read bandwidth against i8row's
// 1.08 (cold 3072x8192, 2 threads, AMD EPYC Zen 4, 2026-12-06). The same
// f32 scales (vcvtph2ps is exact and keeps Inf and NaN), the same
// products and sums: y is unchanged bit for bit.
struct Q8_0InlineScaleLoader : Q8_0Loader {
  HWY_INLINE hn::Vec<DB> Setup(int i, size_t b) const {
    uint16_t h;
    memcpy(&h, p.row[i] + b * kBlockBytes, 2);
    return hn::Set(DB(), _cvtsh_ss(h));
  }
};
using Q8_0DirectHeader = void;  // no header pass
using Q8_0DirectLoader = Q8_0InlineScaleLoader;
#else
using Q8_0DirectHeader = F16Header;
using Q8_0DirectLoader = Q8_0Loader;
#endif

HWY_NOINLINE void GemvQ8_0(const QuantizedMatrix::Data& m, const float* x,
                           size_t, float* y, size_t r0, size_t r1) {
  FusedBlockGemvRows<Q8_0DirectHeader>(
      m, x, y, r0, r1, kQ8_0BlockBytes,
      [](const BlockParams& p, float(*)[16]) { return Q8_0DirectLoader{p}; });
}
template <>
struct GemvKernelOf<FormatKind::kQ8_0, GemvStrategy::kDirect>
    : F32XGemvKernel<&GemvQ8_0> {};

HWY_NOINLINE void GemvQ4_0(const QuantizedMatrix::Data& m, const float* x,
                           size_t, float* y, size_t r0, size_t r1) {
  FusedBlockGemvRows<F16Header>(
      m, x, y, r0, r1, kNibbleBlockBytes,
      [](const BlockParams& p, float(*)[16]) { return Q4_0Loader{p}; });
}
template <>
struct GemvKernelOf<FormatKind::kQ4_0, GemvStrategy::kDirect>
    : F32XGemvKernel<&GemvQ4_0> {};

// q4_1, q5_0, q5_1 `direct`: the decoders' loaders (exact weights:
// d * q + m, or (q - 16) * d) fed straight to the FMA with x; per vector
// the loader's 5 (q4_1) or 10 ops, plus the FMA.
HWY_NOINLINE void GemvQ4_1(const QuantizedMatrix::Data& m, const float* x,
                           size_t, float* y, size_t r0, size_t r1) {
  FusedBlockGemvRows<F16Header, true>(m, x, y, r0, r1, kQ4_1BlockBytes,
                                      [](const BlockParams& p, float(*)[16]) {
                                        return GgmlMinLoader<false>{p};
                                      });
}
template <>
struct GemvKernelOf<FormatKind::kQ4_1, GemvStrategy::kDirect>
    : F32XGemvKernel<&GemvQ4_1> {};

HWY_NOINLINE void GemvQ5_1(const QuantizedMatrix::Data& m, const float* x,
                           size_t, float* y, size_t r0, size_t r1) {
  FusedBlockGemvRows<F16Header, true>(m, x, y, r0, r1, kQ5_1BlockBytes,
                                      [](const BlockParams& p, float(*)[16]) {
                                        return GgmlMinLoader<true>{p};
                                      });
}
template <>
struct GemvKernelOf<FormatKind::kQ5_1, GemvStrategy::kDirect>
    : F32XGemvKernel<&GemvQ5_1> {};

HWY_NOINLINE void GemvQ5_0(const QuantizedMatrix::Data& m, const float* x,
                           size_t, float* y, size_t r0, size_t r1) {
  FusedBlockGemvRows<F16Header>(
      m, x, y, r0, r1, kQ5_0BlockBytes,
      [](const BlockParams& p, float(*)[16]) { return Q5_0Loader{p}; });
}
template <>
struct GemvKernelOf<FormatKind::kQ5_0, GemvStrategy::kDirect>
    : F32XGemvKernel<&GemvQ5_0> {};

template <bool kGather>
HWY_INLINE void GemvInt4Fixed(const QuantizedMatrix::Data& m, const float* x,
                              float* y, size_t r0, size_t r1,
                              const float* table) {
  FusedBlockGemvRows<F16Header>(
      m, x, y, r0, r1, kNibbleBlockBytes,
      [table](const BlockParams& p, float(*st)[16]) {
        return Int4TableLoader<FixedTable, kGather>{p, FixedTable{table}, st};
      });
}

HWY_NOINLINE void GemvQ4_0Regtable(const QuantizedMatrix::Data& m,
                                   const float* x, size_t, float* y, size_t r0,
                                   size_t r1) {
  GemvInt4Fixed<false>(m, x, y, r0, r1, GetInt4Tables().q4_0);
}
template <>
struct GemvKernelOf<FormatKind::kQ4_0, GemvStrategy::kRegtable>
    : F32XGemvKernel<&GemvQ4_0Regtable> {};

HWY_NOINLINE void GemvIQ4NLRegtable(const QuantizedMatrix::Data& m,
                                    const float* x, size_t, float* y, size_t r0,
                                    size_t r1) {
  GemvInt4Fixed<false>(m, x, y, r0, r1, GetInt4Tables().iq4_nl);
}
template <>
struct GemvKernelOf<FormatKind::kIQ4_NL, GemvStrategy::kRegtable>
    : F32XGemvKernel<&GemvIQ4NLRegtable> {};

HWY_NOINLINE void GemvIQ4NLGather(const QuantizedMatrix::Data& m,
                                  const float* x, size_t, float* y, size_t r0,
                                  size_t r1) {
  GemvInt4Fixed<true>(m, x, y, r0, r1, GetInt4Tables().iq4_nl);
}
template <>
struct GemvKernelOf<FormatKind::kIQ4_NL, GemvStrategy::kGather>
    : F32XGemvKernel<&GemvIQ4NLGather> {};

template <bool kGather>
HWY_INLINE void GemvQins4Impl(const QuantizedMatrix::Data& m, const float* x,
                              float* y, size_t r0, size_t r1) {
  const float(*tables)[16] = GetInt4Tables().qins4;
  FusedBlockGemvRows<Qins4Header>(
      m, x, y, r0, r1, kNibbleBlockBytes,
      [tables](const BlockParams& p, float(*st)[16]) {
        return Int4TableLoader<Qins4Table, kGather>{p, Qins4Table{tables}, st};
      });
}

HWY_NOINLINE void GemvQins4Regtable(const QuantizedMatrix::Data& m,
                                    const float* x, size_t, float* y, size_t r0,
                                    size_t r1) {
  GemvQins4Impl<false>(m, x, y, r0, r1);
}
template <>
struct GemvKernelOf<FormatKind::kQins4, GemvStrategy::kRegtable>
    : F32XGemvKernel<&GemvQins4Regtable> {};

HWY_NOINLINE void GemvQins4Gather(const QuantizedMatrix::Data& m,
                                  const float* x, size_t, float* y, size_t r0,
                                  size_t r1) {
  GemvQins4Impl<true>(m, x, y, r0, r1);
}
template <>
struct GemvKernelOf<FormatKind::kQins4, GemvStrategy::kGather>
    : F32XGemvKernel<&GemvQins4Gather> {};

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_GEMV_GEMV_BLOCKS_INL_H_
