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

// Rearranges the zero-padded x (a multiple of 128 floats) in place into the
// order a kernel reads it in, once per call, before any row is run.
using PrepareXFn = void (*)(float* x, size_t padded);

struct GemvKernels {
  int64_t target_bit;
  FusedGemvFn qins8_bitbuild;
  FusedGemvFn qins8_gather;
  FusedGemvFn i8row;
  FusedGemvFn bf16, f16;
  FusedGemvFn q8_0, q4_0, q4_0_regtable;
  FusedGemvFn iq4_nl_regtable, iq4_nl_gather;
  FusedGemvFn qins4_regtable, qins4_gather;
  FusedGemvFn qins8_seed_gather, qins8_seed_arith;
  // Null where qins8_bitbuild reads x in natural order.
  PrepareXFn qins8_bitbuild_prepare_x;
};

const GemvKernels& GetGemvKernels(Target t);

}  // namespace qins

#endif  // QINS_DISPATCH_GEMV_KERNELS_H_
