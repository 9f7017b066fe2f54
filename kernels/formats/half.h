// Scalar IEEE binary16 and bfloat16 conversions (round to nearest even).
#ifndef QINS_KERNELS_FORMATS_HALF_H_
#define QINS_KERNELS_FORMATS_HALF_H_

#include <cmath>
#include <cstdint>
#include <cstring>

namespace qins {

inline uint32_t F32Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float F32FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Finite f32 -> f16 bits, round to nearest even; |f| >= 65520 gives +-Inf
// (callers check the range first).
inline uint16_t F32ToF16(float f) {
  const uint32_t u = F32Bits(f);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t abs = u & 0x7FFFFFFFu;
  if (abs >= 0x47800000u)
    return static_cast<uint16_t>(sign | 0x7C00u);  // >= 65536
  if (abs < 0x38800000u) {  // below 2^-14: f16 subnormal (or zero)
    // value = abs_float; f16 subnormal unit = 2^-24.
    const float a = F32FromBits(abs);
    const float q = std::nearbyint(a * 16777216.0f);  // exact scaling by 2^24
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(q));
  }
  // Normal: rebias exponent 127 -> 15, round mantissa 23 -> 10 bits (RNE);
  // a carry into the exponent is the correct rounding (up to Inf at 65520).
  uint32_t h = ((abs >> 13) - ((127 - 15) << 10));
  const uint32_t rest = abs & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

inline float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
  if (e == 0) {  // zero or subnormal: m * 2^-24
    const float v = static_cast<float>(m) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  if (e == 31) return F32FromBits(sign | 0x7F800000u | (m << 13));
  return F32FromBits(sign | ((e + 127 - 15) << 23) | (m << 13));
}

// Largest finite f16 and the smallest |f| that rounds to Inf.
constexpr float kF16Max = 65504.0f;
constexpr float kF16Overflow = 65520.0f;

// Finite f32 -> bf16 bits, round to nearest even.
inline uint16_t F32ToBF16(float f) {
  const uint32_t u = F32Bits(f);
  const uint32_t lsb = (u >> 16) & 1u;
  return static_cast<uint16_t>((u + 0x7FFFu + lsb) >> 16);
}
inline float BF16ToF32(uint16_t b) {
  return F32FromBits(static_cast<uint32_t>(b) << 16);
}

}  // namespace qins

#endif  // QINS_KERNELS_FORMATS_HALF_H_
