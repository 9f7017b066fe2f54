// Per-target activation kernels (kernels/activation), resolved for a target.
#ifndef QINS_DISPATCH_ACTIVATION_KERNELS_H_
#define QINS_DISPATCH_ACTIVATION_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

#include "qins/targets.h"

namespace qins {

struct ActivationKernels {
  int64_t target_bit;
  // gate[i] = act(gate[i]) * up[i], i < n (qins/activation.h states them).
  void (*silu_gate)(float* gate, const float* up, size_t n);
  void (*gelu_tanh_gate)(float* gate, const float* up, size_t n);
};

// Precondition: IsCompiled(t).
const ActivationKernels& GetActivationKernels(Target t);

}  // namespace qins

#endif  // QINS_DISPATCH_ACTIVATION_KERNELS_H_
