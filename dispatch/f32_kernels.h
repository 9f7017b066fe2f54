// Per-target f32 kernels (kernels/f32, kernels/common), resolved for a target.
#ifndef QINS_DISPATCH_F32_KERNELS_H_
#define QINS_DISPATCH_F32_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

#include "qins/targets.h"

namespace qins {

struct F32Kernels {
  int64_t target_bit;     // the target these pointers were compiled for
  size_t (*f32_lanes)();  // float lanes per vector (run-time on SVE)
  float (*dot)(const float* a, const float* b, size_t n);
  void (*gemv_rows)(const float* w, size_t stride, size_t K, const float* x,
                    float* y, size_t row_begin, size_t row_end);
  uint32_t (*read_sum_u32)(const uint32_t* p, size_t n);
};

// Precondition: IsCompiled(t).
const F32Kernels& GetF32Kernels(Target t);

}  // namespace qins

#endif  // QINS_DISPATCH_F32_KERNELS_H_
