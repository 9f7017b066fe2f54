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

// Dot products of kRows rows of W (row r at w + r * stride) with x[0, K).
// Inner loop per 2 vectors of K on AVX2 (kRows = 4): 2 loads of x, 8 loads of
// W, 8 FMAs: 1 load + 1 FMA per W vector, 8 independent FMA chains (enough to
// cover 4-cycle FMA latency at 2 FMAs/cycle).
template <size_t kRows>
HWY_INLINE void DotRowsF32(const float* HWY_RESTRICT w, size_t stride,
                           size_t K, const float* HWY_RESTRICT x,
                           float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const size_t N = hn::Lanes(d);
  V acc0[kRows], acc1[kRows];
  for (size_t r = 0; r < kRows; ++r) {
    acc0[r] = hn::Zero(d);
    acc1[r] = hn::Zero(d);
  }
  size_t k = 0;
  for (; k + 2 * N <= K; k += 2 * N) {
    const V x0 = hn::LoadU(d, x + k);
    const V x1 = hn::LoadU(d, x + k + N);
    for (size_t r = 0; r < kRows; ++r) {
      const float* row = w + r * stride + k;
      acc0[r] = hn::MulAdd(hn::LoadU(d, row), x0, acc0[r]);
      acc1[r] = hn::MulAdd(hn::LoadU(d, row + N), x1, acc1[r]);
    }
  }
  if (k + N <= K) {
    const V x0 = hn::LoadU(d, x + k);
    for (size_t r = 0; r < kRows; ++r) {
      acc0[r] = hn::MulAdd(hn::LoadU(d, w + r * stride + k), x0, acc0[r]);
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
    const V x0 = hn::Load(d, xbuf);
    for (size_t r = 0; r < kRows; ++r) {
      memcpy(wbuf, w + r * stride + k, rest * sizeof(float));
      acc1[r] = hn::MulAdd(hn::Load(d, wbuf), x0, acc1[r]);
    }
  }
  for (size_t r = 0; r < kRows; ++r) {
    out[r] = hn::GetLane(hn::SumOfLanes(d, hn::Add(acc0[r], acc1[r])));
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
