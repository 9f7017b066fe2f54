// The qins8-seed magnitude of a stored code (see qins8_seed_codec.cc): the
// one formula the scalar codec, the SIMD decoder's and the GEMV's gather
// tables all evaluate.
#ifndef QINS_KERNELS_FORMATS_QINS8_SEED_CODE_H_
#define QINS_KERNELS_FORMATS_QINS8_SEED_CODE_H_

#include <cmath>
#include <cstdint>

namespace qins::qins8_seed {

// exp(lo + (255 - q) / 254 * span), span = hi - lo, with the C library's
// expf (the design documents' decoder, derived).
inline float Magnitude(uint32_t q, float lo, float span) {
  const float n = (255.0f - static_cast<float>(q)) / 254.0f;
  return std::exp(lo + n * span);
}

}  // namespace qins::qins8_seed

#endif  // QINS_KERNELS_FORMATS_QINS8_SEED_CODE_H_
