// The 16 values of an iq4_nl code (llama.cpp's kvalues_iq4nl): weight =
// d * kIQ4NLValues[q]. Sorted ascending. Used by the codec, the SIMD decoder
// and the fused GEMV.
#ifndef QINS_KERNELS_FORMATS_IQ4_NL_VALUES_H_
#define QINS_KERNELS_FORMATS_IQ4_NL_VALUES_H_

#include <cstdint>

namespace qins {

inline constexpr int8_t kIQ4NLValues[16] = {
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// The same + 128 (1..241): vpdpbusd's unsigned operand, the table the
// integer-dot GEMM's packers and the repacked GEMV look codes up in.
struct IQ4NLBiasedValues {
  alignas(16) uint8_t v[16];
};
constexpr IQ4NLBiasedValues MakeIQ4NLBiasedValues() {
  IQ4NLBiasedValues t{};
  for (int n = 0; n < 16; ++n)
    t.v[n] = static_cast<uint8_t>(kIQ4NLValues[n] + 128);
  return t;
}
inline constexpr IQ4NLBiasedValues kIQ4NLBiased = MakeIQ4NLBiasedValues();

}  // namespace qins

#endif  // QINS_KERNELS_FORMATS_IQ4_NL_VALUES_H_
