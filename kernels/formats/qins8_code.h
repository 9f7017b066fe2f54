// The qins8 magnitude code (see kernels/formats/qins8_codec.cc): scalar
// helpers shared by the codec, the SIMD decoders' tests and the tools.
#ifndef QINS_KERNELS_FORMATS_QINS8_CODE_H_
#define QINS_KERNELS_FORMATS_QINS8_CODE_H_

#include <cmath>
#include <cstdint>

#include "kernels/formats/half.h"

namespace qins::qins8 {

inline int MantissaBits(int e_bits) { return 7 - e_bits; }

// Unscaled magnitude of index m (0..127): the f32 whose bits are
// m << (23 - M), times 2^126 (exact: f32 subnormals cover the e = 0
// segment).
inline float DecodeIndex(uint32_t m, int e_bits) {
  return F32FromBits(m << (23 - MantissaBits(e_bits))) * 0x1p126f;
}

// Largest unscaled magnitude, index 127: 2^(2^E - 2) * (2 - 2^-M).
inline float MaxValue(int e_bits) { return DecodeIndex(127, e_bits); }

// Index of the code nearest to a >= 0 (ties to even index), clamped to 127.
// Integer arithmetic on a's bits: no subnormal floats are formed, so the
// result does not depend on denormals-are-zero modes.
inline uint8_t NearestIndex(float a, int e_bits) {
  const int M = MantissaBits(e_bits);
  if (!(a < 1.0f)) {
    // a = 2^k * 1.f with k >= 0 is index ((k + 1) << M) + f / 2^(23 - M):
    // subtract 126 from the biased exponent, then round the mantissa to M
    // bits (a carry into the exponent is the correct rounding).
    if (a >= 256.0f) return 127;
    const uint32_t u = F32Bits(a) - (126u << 23);
    const int shift = 23 - M;
    uint32_t m = u >> shift;
    const uint32_t rest = u & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (m & 1))) ++m;
    return static_cast<uint8_t>(m > 127 ? 127 : m);
  }
  // Linear segment [0, 1): step 2^-M, ties to even. Adding and subtracting
  // 2^23 rounds to an integer in the current (nearest-even) rounding mode
  // without a libm call (the library is built without SSE4.1's roundss).
  const float t = a * static_cast<float>(1 << M);
  return static_cast<uint8_t>((t + 0x1p23f) - 0x1p23f);
}

// The exchange (QINS-oriented) code of a stored byte and back: sign in bit 7,
// magnitude code (128 - m) mod 128, so 1 is the largest magnitude and 0 zero.
inline uint8_t ToQinsCode(uint8_t stored) {
  return static_cast<uint8_t>((stored & 0x80) |
                              ((128 - (stored & 0x7F)) & 0x7F));
}
inline uint8_t FromQinsCode(uint8_t code) { return ToQinsCode(code); }

}  // namespace qins::qins8

#endif  // QINS_KERNELS_FORMATS_QINS8_CODE_H_
