// The 16 values of an iq4_nl code (llama.cpp's kvalues_iq4nl): weight =
// d * kIQ4NLValues[q]. Sorted ascending. Used by the codec, the SIMD decoder
// and the fused GEMV.
#ifndef QINS_KERNELS_FORMATS_IQ4_NL_VALUES_H_
#define QINS_KERNELS_FORMATS_IQ4_NL_VALUES_H_

#include <cstdint>

namespace qins {

inline constexpr int8_t kIQ4NLValues[16] = {
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

}  // namespace qins

#endif  // QINS_KERNELS_FORMATS_IQ4_NL_VALUES_H_
