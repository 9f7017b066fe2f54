// The qins8 magnitude code (see kernels/formats/qins8_codec.cc): scalar
// helpers shared by the codec, the SIMD decoders' tests and the tools.
#ifndef QINS_KERNELS_FORMATS_QINS8_CODE_H_
#define QINS_KERNELS_FORMATS_QINS8_CODE_H_

#include <cmath>
#include <cstdint>

#include "kernels/formats/half.h"

namespace qins::qins8 {

constexpr int MantissaBits(int e_bits) { return 7 - e_bits; }

// Unscaled magnitude of index m (0..127), e = m >> M, f = m mod 2^M:
// 2^(e-1) * (1 + f / 2^M) for e >= 1 (the normal f32 with biased exponent
// e + 126 and mantissa f), f / 2^M for e = 0 (an integer times a power of
// two: exact). No subnormal float is formed, so the value does not depend
// on denormals-are-zero / flush-to-zero modes (the code's bits shifted into
// place, m << (23 - M), would be an f32 subnormal for e = 0).
inline float DecodeIndex(uint32_t m, int e_bits) {
  const int M = MantissaBits(e_bits);
  const uint32_t e = m >> M, f = m & ((1u << M) - 1);
  if (e == 0) return static_cast<float>(f) / static_cast<float>(1u << M);
  return F32FromBits(((e + 126u) << 23) | (f << (23 - M)));
}

// The magnitude of index m as an integer: DecodeIndex(m, E) * 2^M exactly
// (e = 0: f; e >= 1: (2^M + f) << (e - 1)). At most 127 (E = 1), 252
// (E = 2) or 1984 (E = 3, 11 bits). The integer-dot GEMV multiplies these.
constexpr uint32_t IntegerMagnitude(uint32_t m, int e_bits) {
  const int M = MantissaBits(e_bits);
  const uint32_t e = m >> M, f = m & ((1u << M) - 1);
  return e == 0 ? f : ((1u << M) + f) << (e - 1);
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
