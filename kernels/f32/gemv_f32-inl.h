// Per-target f32 dot products and GEMV rows. Included once per target by
// dispatch/f32_dispatch.cc through hwy/foreach_target.h.
//
// Summation order (the contract every caller relies on for results that do not
// depend on the thread count or on which rows share a call): for each row,
// two vector accumulators; full vector pairs go to (acc0, acc1), then at most
// one full vector to acc0, then the zero-padded tail vector to acc1; the
// result is SumOfLanes(acc0 + acc1). The same template serves 1 row and 4
// rows, so the order is the same whichever path a row takes.

#if defined(QINS_KERNELS_F32_GEMV_F32_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_F32_GEMV_F32_INL_H_
#undef QINS_KERNELS_F32_GEMV_F32_INL_H_
#else
#define QINS_KERNELS_F32_GEMV_F32_INL_H_
#endif

#include <stddef.h>
#include <string.h>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Dot products of kRows (1 or 4) rows of W (row r at w + r * stride) with
// x[0, K). Inner loop per 2 vectors of K on AVX2 (kRows = 4): 2 loads of x,
// 8 loads of W, 8 FMAs: 1 load + 1 FMA per W vector, 8 independent FMA chains
// (enough to cover 4-cycle FMA latency at 2 FMAs/cycle). No software
// prefetch: 1 KiB-ahead prefetches in every row lowered cold throughput from
// 0.90-1.0 to 0.75-0.88 of read bandwidth (bench_gemv, 2-vCPU AMD EPYC VM
// with AVX-512, 2026-11-23); the hardware prefetcher does better alone.
// The next-group L2 prefetch of the quantized kernels
// (kernels/gemv/group_prefetch.h) was tried here too (2026-12-04): it raised
// f32's fraction of same-run bandwidth a little (0.90 -> 0.97 at 3072x8192
// cold, 2 threads), but in an interleaved A/B run the kernel without it
// reached 9.5-9.7 Gweights/s in 3 of 6 rounds and the one with it never
// more than 7.7 in 12. It was taken out so as not to slow the f32 baseline
// that every format is compared with.
// Accumulators are named variables, not arrays: SVE vectors are sizeless and
// cannot be array elements.
template <size_t kRows>
HWY_INLINE void DotRowsF32(const float* HWY_RESTRICT w, size_t stride, size_t K,
                           const float* HWY_RESTRICT x,
                           float* HWY_RESTRICT out) {
  static_assert(kRows == 1 || kRows == 4, "1 or 4 rows");
  constexpr bool k4 = kRows == 4;
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const float* HWY_RESTRICT w0 = w;
  const float* HWY_RESTRICT w1 = w + (k4 ? 1 : 0) * stride;
  const float* HWY_RESTRICT w2 = w + (k4 ? 2 : 0) * stride;
  const float* HWY_RESTRICT w3 = w + (k4 ? 3 : 0) * stride;
  auto a0 = hn::Zero(d), a1 = hn::Zero(d);  // row 0: even / odd vectors
  auto b0 = hn::Zero(d), b1 = hn::Zero(d);  // row 1
  auto c0 = hn::Zero(d), c1 = hn::Zero(d);  // row 2
  auto e0 = hn::Zero(d), e1 = hn::Zero(d);  // row 3
  size_t k = 0;
  for (; k + 2 * N <= K; k += 2 * N) {
    const auto x0 = hn::LoadU(d, x + k);
    const auto x1 = hn::LoadU(d, x + k + N);
    a0 = hn::MulAdd(hn::LoadU(d, w0 + k), x0, a0);
    a1 = hn::MulAdd(hn::LoadU(d, w0 + k + N), x1, a1);
    if constexpr (k4) {
      b0 = hn::MulAdd(hn::LoadU(d, w1 + k), x0, b0);
      b1 = hn::MulAdd(hn::LoadU(d, w1 + k + N), x1, b1);
      c0 = hn::MulAdd(hn::LoadU(d, w2 + k), x0, c0);
      c1 = hn::MulAdd(hn::LoadU(d, w2 + k + N), x1, c1);
      e0 = hn::MulAdd(hn::LoadU(d, w3 + k), x0, e0);
      e1 = hn::MulAdd(hn::LoadU(d, w3 + k + N), x1, e1);
    }
  }
  if (k + N <= K) {
    const auto x0 = hn::LoadU(d, x + k);
    a0 = hn::MulAdd(hn::LoadU(d, w0 + k), x0, a0);
    if constexpr (k4) {
      b0 = hn::MulAdd(hn::LoadU(d, w1 + k), x0, b0);
      c0 = hn::MulAdd(hn::LoadU(d, w2 + k), x0, c0);
      e0 = hn::MulAdd(hn::LoadU(d, w3 + k), x0, e0);
    }
    k += N;
  }
  if (k < K) {
    // Tail of fewer than N elements: copy into zeroed buffers so that nothing
    // past the end of a row or of x is read.
    const size_t rest = K - k;
    HWY_ALIGN float xbuf[hn::MaxLanes(d)] = {};
    HWY_ALIGN float wbuf[hn::MaxLanes(d)] = {};
    memcpy(xbuf, x + k, rest * sizeof(float));
    const auto x0 = hn::Load(d, xbuf);
    memcpy(wbuf, w0 + k, rest * sizeof(float));
    a1 = hn::MulAdd(hn::Load(d, wbuf), x0, a1);
    if constexpr (k4) {
      memcpy(wbuf, w1 + k, rest * sizeof(float));
      b1 = hn::MulAdd(hn::Load(d, wbuf), x0, b1);
      memcpy(wbuf, w2 + k, rest * sizeof(float));
      c1 = hn::MulAdd(hn::Load(d, wbuf), x0, c1);
      memcpy(wbuf, w3 + k, rest * sizeof(float));
      e1 = hn::MulAdd(hn::Load(d, wbuf), x0, e1);
    }
  }
  out[0] = hn::GetLane(hn::SumOfLanes(d, hn::Add(a0, a1)));
  if constexpr (k4) {
    out[1] = hn::GetLane(hn::SumOfLanes(d, hn::Add(b0, b1)));
    out[2] = hn::GetLane(hn::SumOfLanes(d, hn::Add(c0, c1)));
    out[3] = hn::GetLane(hn::SumOfLanes(d, hn::Add(e0, e1)));
  }
}

// y[i] = W[i,:] . x for i in [row_begin, row_end), four rows at a time.
HWY_NOINLINE void GemvRowsF32(const float* HWY_RESTRICT w, size_t stride,
                              size_t K, const float* HWY_RESTRICT x,
                              float* HWY_RESTRICT y, size_t row_begin,
                              size_t row_end) {
  size_t i = row_begin;
  for (; i + 4 <= row_end; i += 4) {
    DotRowsF32<4>(w + i * stride, stride, K, x, y + i);
  }
  for (; i < row_end; ++i) {
    DotRowsF32<1>(w + i * stride, stride, K, x, y + i);
  }
}

HWY_NOINLINE float DotF32(const float* HWY_RESTRICT a,
                          const float* HWY_RESTRICT b, size_t n) {
  float out;
  DotRowsF32<1>(a, 0, n, b, &out);
  return out;
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_F32_GEMV_F32_INL_H_
