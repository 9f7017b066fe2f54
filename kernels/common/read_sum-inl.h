// Per-target streaming read kernel: the reference for "read bandwidth" that
// GEMV throughput is compared against. It does the least work a GEMV could do
// per byte: one load and one integer add per vector, four independent chains.
// Integer adds, so that arbitrary bytes (codes of any format) never hit
// floating-point assists for denormals or NaNs.

#if defined(QINS_KERNELS_COMMON_READ_SUM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_COMMON_READ_SUM_INL_H_
#undef QINS_KERNELS_COMMON_READ_SUM_INL_H_
#else
#define QINS_KERNELS_COMMON_READ_SUM_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Wrapping sum of the 32-bit words of p[0, n). Per 4 vectors: 4 loads,
// 4 adds.
HWY_NOINLINE uint32_t ReadSumU32(const uint32_t* HWY_RESTRICT p, size_t n) {
  const hn::ScalableTag<uint32_t> d;
  const size_t N = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    s0 = hn::Add(s0, hn::LoadU(d, p + i));
    s1 = hn::Add(s1, hn::LoadU(d, p + i + N));
    s2 = hn::Add(s2, hn::LoadU(d, p + i + 2 * N));
    s3 = hn::Add(s3, hn::LoadU(d, p + i + 3 * N));
  }
  // Lanes summed in scalar code: GCC 12's _mm512_reduce_add_epi32 (behind
  // SumOfLanes on AVX3) adds in signed int, which overflows (UB) on wrapping
  // sums.
  HWY_ALIGN uint32_t lanes[hn::MaxLanes(d)];
  hn::Store(hn::Add(hn::Add(s0, s1), hn::Add(s2, s3)), d, lanes);
  uint32_t sum = 0;
  for (size_t l = 0; l < N; ++l) sum += lanes[l];
  for (; i < n; ++i) sum += p[i];
  return sum;
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_COMMON_READ_SUM_INL_H_
