// Per-target qins8 magnitude construction, used by the qins8 bitbuild loader
// (loaders-inl.h), which the SIMD decoder and the portable fused GEMV both
// read through, so a qins8 code's bits are turned into a float in one place
// per target (the AVX3_DL kernel reads byte tables made from the scalar
// codec instead).
//
// A code's magnitude index m = (e, f) (E exponent bits, M = 7 - E mantissa
// bits) has the value T = 2^(e-1) (1 + f / 2^M) for e >= 1 and f / 2^M for
// e = 0 (kernels/formats/qins8_code.h). With t = m << (23 - M) (the mantissa
// bits in place, e in the low exponent bits):
//   F = f32 from the bits t | (128 << 23)   (or = add: 128 has its low 3
//                                            bits clear and e < 8)
//     = 2^(e+1) (1 + f / 2^M)               = 4 T for e >= 1, and
//                                            2 + 2 f / 2^M for e = 0,
//   4 T = min(F, 2 F - 4):   e = 0: 2 F - 4 = 4 f / 2^M (exact: 2 F is, and
//                            the subtraction of 4 from [4, 8) is exact),
//                            smaller than F;
//                            e >= 1: F >= 4, so 2 F - 4 >= F (rounding is
//                            monotone, so also after rounding) and min = F.
// Every intermediate is a normal float (F >= 2), so the result is the same
// with or without denormals-are-zero / flush-to-zero, and no CPU takes a
// subnormal-operand assist. Cost per vector: OrAnd (one vpternlogd on
// AVX-512, and + or elsewhere), MulSub, Min.

#if defined(QINS_KERNELS_FORMATS_QINS8_BITS_INL_H_) == \
    defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_FORMATS_QINS8_BITS_INL_H_
#undef QINS_KERNELS_FORMATS_QINS8_BITS_INL_H_
#else
#define QINS_KERNELS_FORMATS_QINS8_BITS_INL_H_
#endif

#include <stdint.h>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The factor between Qins8Magnitude4's result and the code's value T.
constexpr float kQins8MagnitudeFactor = 4.0f;

// The mask that keeps the 7 magnitude bits of t = code << shift
// (shift = 23 - M = 16 + E).
inline uint32_t Qins8MagnitudeMask(int shift) { return 0x7Fu << shift; }

// 4 T for each lane's t = code << (23 - M) (any bits above the magnitude's,
// such as a sign extension, are masked off by `mag_mask`).
template <class DF, class VI>
HWY_INLINE hn::Vec<DF> Qins8Magnitude4(DF df, VI t, VI mag_mask) {
  const hn::RebindToSigned<DF> di;
  const auto f = hn::BitCast(
      df, hn::OrAnd(hn::Set(di, int32_t{128} << 23), t, mag_mask));
  return hn::Min(f, hn::MulSub(f, hn::Set(df, 2.0f), hn::Set(df, 4.0f)));
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_FORMATS_QINS8_BITS_INL_H_
