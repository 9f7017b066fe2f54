// Per-target fused GEMV kernels (kernels/gemv/gemv_fused-inl.h).
#ifndef QINS_DISPATCH_GEMV_KERNELS_H_
#define QINS_DISPATCH_GEMV_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

#include "kernels/formats/matrix_data.h"
#include "qins/targets.h"

namespace qins {

// y[r] for r in [r0, r1); x zero-padded to `padded` floats (a multiple of 64).
using FusedGemvFn = void (*)(const QuantizedMatrix::Data& m, const float* x,
                             size_t padded, float* y, size_t r0, size_t r1);

struct GemvKernels {
  int64_t target_bit;
  FusedGemvFn qins8_bitbuild;
  FusedGemvFn qins8_gather;
  FusedGemvFn i8row;
};

const GemvKernels& GetGemvKernels(Target t);

}  // namespace qins

#endif  // QINS_DISPATCH_GEMV_KERNELS_H_
