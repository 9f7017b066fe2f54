// Per-target fused GEMV kernels: weights are decoded in registers, vector by
// vector, straight into the FMA with x, never stored. Included once per
// target by dispatch/gemv_dispatch.cc.
//
// Contract shared by every kernel here:
// - x is a zero-padded copy of the activations whose length is a multiple of
//   64 floats, and rows are padded with zero codes to their 64-byte stride,
//   so the inner loops have no tail: padded columns contribute 0 * 0.
// - Each row is summed in one fixed order (two accumulators over even and
//   odd vectors, then a lane sum), the same in the 4-row and 1-row paths, so
//   y does not depend on the thread count or the row grouping.
// - A per-row scale multiplies the row's sum once at the end.
// - The 4-row loop prefetches the next group into L2 (group_prefetch.h):
//   1 or 2 prefetches per iteration for 1-byte formats. Measured on the
//   2-vCPU AVX-512 EPYC VM (2026-12-04, A/B table in docs/gemv.md): qins8
//   cold on 2 threads went from 0.60 to 0.93 of same-run bandwidth at
//   8192x3072 and from 0.80 to 0.94 at 3072x8192. (Per-row prefetches 1-2
//   KiB ahead into L1, tried on 2026-11-23, changed nothing measurable.)

#if defined(QINS_KERNELS_GEMV_GEMV_FUSED_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_GEMV_GEMV_FUSED_INL_H_
#undef QINS_KERNELS_GEMV_GEMV_FUSED_INL_H_
#else
#define QINS_KERNELS_GEMV_GEMV_FUSED_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <cmath>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "kernels/formats/format_kernels-inl.h"
#include "kernels/formats/loaders-inl.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/formats/qins8_code.h"
#include "kernels/gemv/group_prefetch.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Sums kRows (1 or 4) rows; Loader::Load(row, k) returns the f32 weights
// [k, k + N) of a row (row = pointer to its codes). `padded` is a multiple of
// 2N. Accumulators are named variables (SVE vectors cannot be array
// elements).
template <size_t kRows, class Loader>
HWY_INLINE void FusedRows(
    const Loader& ld, const uint8_t* HWY_RESTRICT w, size_t stride,
    size_t padded, const float* HWY_RESTRICT x, float* HWY_RESTRICT out,
    GroupPrefetch pf = GroupPrefetch(nullptr, 0, 0)) {  // 1 row: unused
  constexpr bool k4 = kRows == 4;
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const uint8_t* w0 = w;
  const uint8_t* w1 = w + (k4 ? 1 : 0) * stride;
  const uint8_t* w2 = w + (k4 ? 2 : 0) * stride;
  const uint8_t* w3 = w + (k4 ? 3 : 0) * stride;
  // Per-row loop invariants (shift counts, masks), hoisted into named
  // locals: SVE vectors cannot live in the loader object. (GCC 12 already
  // hoisted them on AVX-512: qins8 bitbuild measured 16.3 vs 16.5 Gw/s
  // before/after; explicit so no target depends on that.)
  const auto p0 = ld.Param(0), p1 = ld.Param(k4 ? 1 : 0);
  const auto p2 = ld.Param(k4 ? 2 : 0), p3 = ld.Param(k4 ? 3 : 0);
  const auto q0 = ld.Param2(0), q1 = ld.Param2(k4 ? 1 : 0);
  const auto q2 = ld.Param2(k4 ? 2 : 0), q3 = ld.Param2(k4 ? 3 : 0);
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), b0 = hn::Zero(d), b1 = hn::Zero(d);
  auto c0 = hn::Zero(d), c1 = hn::Zero(d), e0 = hn::Zero(d), e1 = hn::Zero(d);
  for (size_t k = 0; k < padded; k += 2 * N) {
    if constexpr (k4) pf.Step();  // 4-row groups only
    const auto x0 = hn::LoadU(d, x + k);
    const auto x1 = hn::LoadU(d, x + k + N);
    a0 = hn::MulAdd(ld.Load(0, w0, k, p0, q0), x0, a0);
    a1 = hn::MulAdd(ld.Load(0, w0, k + N, p0, q0), x1, a1);
    if constexpr (k4) {
      b0 = hn::MulAdd(ld.Load(1, w1, k, p1, q1), x0, b0);
      b1 = hn::MulAdd(ld.Load(1, w1, k + N, p1, q1), x1, b1);
      c0 = hn::MulAdd(ld.Load(2, w2, k, p2, q2), x0, c0);
      c1 = hn::MulAdd(ld.Load(2, w2, k + N, p2, q2), x1, c1);
      e0 = hn::MulAdd(ld.Load(3, w3, k, p3, q3), x0, e0);
      e1 = hn::MulAdd(ld.Load(3, w3, k + N, p3, q3), x1, e1);
    }
  }
  out[0] = hn::GetLane(hn::SumOfLanes(d, hn::Add(a0, a1)));
  if constexpr (k4) {
    out[1] = hn::GetLane(hn::SumOfLanes(d, hn::Add(b0, b1)));
    out[2] = hn::GetLane(hn::SumOfLanes(d, hn::Add(c0, c1)));
    out[3] = hn::GetLane(hn::SumOfLanes(d, hn::Add(e0, e1)));
  }
}

// Runs rows [r0, r1) in groups of 4 with a loader made per group by
// make(first_row, rows_in_group), then y[r] = (sum * pre) * scale(r), where
// `pre` is an exact power of two the loader's weights carry (1 for most).
// The inner loops run to cols rounded up to 2 vectors (x is zero there).
template <class MakeLoader, class Scale>
HWY_INLINE void FusedGemvRows(const QuantizedMatrix::Data& m, const float* x,
                              size_t padded, float* y, size_t r0, size_t r1,
                              MakeLoader&& make, Scale&& scale,
                              float pre = 1.0f) {
  const size_t n2 = 2 * hn::Lanes(DF());
  padded = std::min(padded, (m.cols + n2 - 1) / n2 * n2);
  float out[4];
  size_t r = r0;
  for (; r + 4 <= r1; r += 4) {
    const auto ld = make(r, 4);
    FusedRows<4>(ld, m.row(r), m.row_stride, padded, x, out,
                 GroupPrefetch::ForGroup(m, r, r1, padded / n2));
    for (size_t i = 0; i < 4; ++i) y[r + i] = (out[i] * pre) * scale(r + i);
  }
  for (; r < r1; ++r) {
    const auto ld = make(r, 1);
    FusedRows<1>(ld, m.row(r), m.row_stride, padded, x, out);
    y[r] = (out[0] * pre) * scale(r);
  }
}

#if HWY_TARGET == HWY_AVX3_DL
// qins8 `bitbuild` on AVX-512 VBMI (Highway's AVX3_DL target: Intel Ice
// Lake / Sapphire Rapids and later, AMD Zen 4 and later). Every qins8 value
// T is a normal bf16 (at most 7 significant bits, exponents 2^-6 .. 2^6),
// so the f32 weight is that bf16's (hi byte, lo byte) in the top half of a
// zero dword, and both bytes come from 128-entry byte tables indexed by the
// code's magnitude (GetQins8VbmiTables, loaders-inl.h; vpermi2b ignores the
// index's top bit, the sign, which is or-ed into the hi byte). Per 64
// weights: 2 table lookups, 1 vpternlogd (sign), 2 byte unpacks (lo, hi ->
// words), 4 word unpacks with zero (-> f32), 4 FMAs: 13 ops, against 12 for
// i8row's (sign-extend, convert, FMA) x 4; 8 of them shuffles. The unpacks
// work within 128-bit lanes, so vector q, lane 4 L + i holds weight
// 16 L + 4 q + i of the block of 64, and x is permuted to match once per
// call (Qins8VbmiPermuteX). Nothing here forms a subnormal. Measured on the
// AMD EPYC (Zen 4) VM, hot 1024x1024, 1 thread: 24.2 Gw/s, 0.86-0.88x
// i8row in the same run (docs/gemv.md); a variant that placed the bytes in
// natural order with 4 masked two-source vpermi2b instead of the unpacks ran
// at 21.5 (0.77x). The sums are added in another order than on the other
// targets, so y differs from theirs in rounding (within the tests' bound).
template <size_t kRows>
HWY_INLINE void Qins8VbmiRows(const uint8_t* const* tables,
                              const uint8_t* HWY_RESTRICT w, size_t stride,
                              size_t padded, const float* HWY_RESTRICT x,
                              float* HWY_RESTRICT out,
                              GroupPrefetch pf = GroupPrefetch(nullptr, 0, 0)) {
  __m512i hi0[kRows], hi1[kRows], lo0[kRows], lo1[kRows];
  __m512 a[kRows], b[kRows];
  for (size_t i = 0; i < kRows; ++i) {
    hi0[i] = _mm512_load_si512(tables[i]);
    hi1[i] = _mm512_load_si512(tables[i] + 64);
    lo0[i] = _mm512_load_si512(tables[i] + 128);
    lo1[i] = _mm512_load_si512(tables[i] + 192);
    a[i] = _mm512_setzero_ps();
    b[i] = _mm512_setzero_ps();
  }
  const __m512i sign = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i zero = _mm512_setzero_si512();
  for (size_t k = 0; k < padded; k += 64) {
    if constexpr (kRows == 4) pf.Step();
    const __m512 x0 = _mm512_loadu_ps(x + k), x1 = _mm512_loadu_ps(x + k + 16);
    const __m512 x2 = _mm512_loadu_ps(x + k + 32);
    const __m512 x3 = _mm512_loadu_ps(x + k + 48);
    for (size_t i = 0; i < kRows; ++i) {
      const __m512i v = _mm512_loadu_si512(w + i * stride + k);
      __m512i hi = _mm512_permutex2var_epi8(hi0[i], v, hi1[i]);
      const __m512i lo = _mm512_permutex2var_epi8(lo0[i], v, lo1[i]);
      hi = _mm512_ternarylogic_epi32(hi, v, sign, 0xF8);  // hi | (v & 0x80)
      const __m512i w0 = _mm512_unpacklo_epi8(lo, hi);
      const __m512i w1 = _mm512_unpackhi_epi8(lo, hi);
      a[i] = _mm512_fmadd_ps(
          _mm512_castsi512_ps(_mm512_unpacklo_epi16(zero, w0)), x0, a[i]);
      b[i] = _mm512_fmadd_ps(
          _mm512_castsi512_ps(_mm512_unpackhi_epi16(zero, w0)), x1, b[i]);
      a[i] = _mm512_fmadd_ps(
          _mm512_castsi512_ps(_mm512_unpacklo_epi16(zero, w1)), x2, a[i]);
      b[i] = _mm512_fmadd_ps(
          _mm512_castsi512_ps(_mm512_unpackhi_epi16(zero, w1)), x3, b[i]);
    }
  }
  const hn::ScalableTag<float> d;
  for (size_t i = 0; i < kRows; ++i) {
    out[i] = hn::GetLane(hn::SumOfLanes(
        d, hn::Add(hn::Vec<decltype(d)>{a[i]}, hn::Vec<decltype(d)>{b[i]})));
  }
}

HWY_NOINLINE void GemvQins8Bits(const QuantizedMatrix::Data& m, const float* x,
                                size_t padded, float* y, size_t r0, size_t r1) {
  const Qins8VbmiTables& t = GetQins8VbmiTables();
  const auto table_of = [&](size_t r) {
    return &t.bytes[static_cast<int>(m.row_params_of(r)[1]) - 1][0][0];
  };
  padded = std::min(padded, (m.cols + 63) / 64 * 64);
  float out[4];
  size_t r = r0;
  for (; r + 4 <= r1; r += 4) {
    const uint8_t* tables[4] = {table_of(r), table_of(r + 1), table_of(r + 2),
                                table_of(r + 3)};
    Qins8VbmiRows<4>(tables, m.row(r), m.row_stride, padded, x, out,
                     GroupPrefetch::ForGroup(m, r, r1, padded / 64));
    for (size_t i = 0; i < 4; ++i)
      y[r + i] = out[i] * m.row_params_of(r + i)[0];
  }
  for (; r < r1; ++r) {
    const uint8_t* tables[1] = {table_of(r)};
    Qins8VbmiRows<1>(tables, m.row(r), m.row_stride, padded, x, out);
    y[r] = out[0] * m.row_params_of(r)[0];
  }
}
#else
HWY_NOINLINE void GemvQins8Bits(const QuantizedMatrix::Data& m, const float* x,
                                size_t padded, float* y, size_t r0, size_t r1) {
  // The loader's weights are 4 T: sum / 4 is exact (a power of two; the sum
  // is far from the subnormal range for any x that is), so y = sum / 4 * s
  // rounds once, as sum * s over T would.
  FusedGemvRows(
      m, x, padded, y, r0, r1,
      [&](size_t r, size_t n) {
        return Qins8ShiftLoader<Qins8BitsLoader>(m, r, n);
      },
      [&](size_t r) { return m.row_params_of(r)[0]; },
      1.0f / kQins8MagnitudeFactor);
}

#endif  // HWY_TARGET == HWY_AVX3_DL

// The x rearrangement GemvQins8Bits needs (GemvKernels::prepare_x): on
// AVX3_DL the order the unpacks produce weights in, within each block of 64:
// vector q, lane 4 L + i holds weight 16 L + 4 q + i. Elsewhere none.
#if HWY_TARGET == HWY_AVX3_DL
inline void Qins8VbmiPermuteX(float* x, size_t padded) {
  float block[64];
  for (size_t k = 0; k < padded; k += 64) {
    for (size_t q = 0; q < 4; ++q) {
      for (size_t l = 0; l < 4; ++l) {
        for (size_t i = 0; i < 4; ++i) {
          block[16 * q + 4 * l + i] = x[k + 16 * l + 4 * q + i];
        }
      }
    }
    memcpy(x + k, block, sizeof(block));
  }
}
inline constexpr PrepareXFn kQins8BitsPrepareX = &Qins8VbmiPermuteX;
#else
inline constexpr PrepareXFn kQins8BitsPrepareX = nullptr;
#endif
template <>
struct GemvKernelOf<FormatKind::kQins8, GemvStrategy::kBitbuild>
    : F32XGemvKernel<&GemvQins8Bits, kQins8BitsPrepareX> {};

// f32's `direct` is no fused kernel: Gemv runs GemvF32 on the stored rows
// (kernels/gemv/gemv.cc), without a copy of x.
template <>
struct GemvKernelOf<FormatKind::kF32, GemvStrategy::kDirect>
    : GemvKernel<nullptr> {};

HWY_NOINLINE void GemvQins8Gather(const QuantizedMatrix::Data& m,
                                  const float* x, size_t padded, float* y,
                                  size_t r0, size_t r1) {
  // Per row: the 128 magnitudes of its exponent width (the scalar codec's
  // values), negated in the upper half; the row scale multiplies the sum.
  HWY_ALIGN float tables[4][256];
  FusedGemvRows(
      m, x, padded, y, r0, r1,
      [&](size_t r, size_t n) {
        Qins8GatherLoader ld;
        for (size_t i = 0; i < n; ++i) {
          const int e_bits = static_cast<int>(m.row_params_of(r + i)[1]);
          for (uint32_t b = 0; b < 128; ++b) {
            const float v = qins8::DecodeIndex(b, e_bits);
            tables[i][b] = v;
            tables[i][b + 128] = -v;
          }
          ld.table[i] = tables[i];
        }
        for (size_t i = n; i < 4; ++i) ld.table[i] = tables[0];
        return ld;
      },
      [&](size_t r) { return m.row_params_of(r)[0]; });
}
template <>
struct GemvKernelOf<FormatKind::kQins8, GemvStrategy::kGather>
    : F32XGemvKernel<&GemvQins8Gather> {};

HWY_NOINLINE void GemvI8Row(const QuantizedMatrix::Data& m, const float* x,
                            size_t padded, float* y, size_t r0, size_t r1) {
  FusedGemvRows(
      m, x, padded, y, r0, r1, [](size_t, size_t) { return I8Loader(); },
      [&](size_t r) { return m.row_params_of(r)[0]; });
}
template <>
struct GemvKernelOf<FormatKind::kI8Row, GemvStrategy::kDirect>
    : F32XGemvKernel<&GemvI8Row> {};

template <typename T>
HWY_INLINE void GemvHalfImpl(const QuantizedMatrix::Data& m, const float* x,
                             size_t padded, float* y, size_t r0, size_t r1) {
  FusedGemvRows(
      m, x, padded, y, r0, r1, [](size_t, size_t) { return HalfLoader<T>(); },
      [](size_t) { return 1.0f; });
}

HWY_NOINLINE void GemvBF16(const QuantizedMatrix::Data& m, const float* x,
                           size_t padded, float* y, size_t r0, size_t r1) {
  GemvHalfImpl<hwy::bfloat16_t>(m, x, padded, y, r0, r1);
}
template <>
struct GemvKernelOf<FormatKind::kBF16, GemvStrategy::kDirect>
    : F32XGemvKernel<&GemvBF16> {};

HWY_NOINLINE void GemvF16(const QuantizedMatrix::Data& m, const float* x,
                          size_t padded, float* y, size_t r0, size_t r1) {
  GemvHalfImpl<hwy::float16_t>(m, x, padded, y, r0, r1);
}
template <>
struct GemvKernelOf<FormatKind::kF16, GemvStrategy::kDirect>
    : F32XGemvKernel<&GemvF16> {};

HWY_NOINLINE void GemvQins8SeedGather(const QuantizedMatrix::Data& m,
                                      const float* x, size_t padded, float* y,
                                      size_t r0, size_t r1) {
  // Per-tensor range: one table for the whole call; per-row: 4 per group.
  HWY_ALIGN float tables[4][256];
  const bool per_row = m.params_per_row != 0;
  if (!per_row) Qins8SeedMagnitudes(m.tensor_params.data(), tables[0]);
  FusedGemvRows(
      m, x, padded, y, r0, r1,
      [&](size_t r, size_t n) {
        Qins8SeedGatherLoader ld;
        ld.cols = m.cols;
        for (size_t i = 0; i < 4; ++i) {
          if (per_row && i < n)
            Qins8SeedMagnitudes(m.row_params_of(r + i), tables[i]);
          ld.table[i] = tables[per_row && i < n ? i : 0];
        }
        return ld;
      },
      [](size_t) { return 1.0f; });
}
template <>
struct GemvKernelOf<FormatKind::kQins8Seed, GemvStrategy::kGather>
    : F32XGemvKernel<&GemvQins8SeedGather> {};
template <>
struct GemvKernelOf<FormatKind::kQins8SeedRow, GemvStrategy::kGather>
    : F32XGemvKernel<&GemvQins8SeedGather> {};

HWY_NOINLINE void GemvQins8SeedArith(const QuantizedMatrix::Data& m,
                                     const float* x, size_t padded, float* y,
                                     size_t r0, size_t r1) {
  FusedGemvRows(
      m, x, padded, y, r0, r1,
      [&](size_t r, size_t n) {
        Qins8SeedArithLoader ld;
        ld.cols = m.cols;
        for (size_t i = 0; i < 4; ++i) {
          const float* range = Qins8SeedRange(m, r + (i < n ? i : 0));
          ld.lo[i] = range[0];
          ld.span[i] = range[1] - range[0];
        }
        return ld;
      },
      [](size_t) { return 1.0f; });
}
template <>
struct GemvKernelOf<FormatKind::kQins8Seed, GemvStrategy::kArith>
    : F32XGemvKernel<&GemvQins8SeedArith> {};
template <>
struct GemvKernelOf<FormatKind::kQins8SeedRow, GemvStrategy::kArith>
    : F32XGemvKernel<&GemvQins8SeedArith> {};

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_GEMV_GEMV_FUSED_INL_H_
