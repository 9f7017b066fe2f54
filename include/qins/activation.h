// The gated activations of a transformer's feed-forward block, vectorized on
// the Context's target: out = act(gate) * up element by element, with act
// SiLU (Llama's SwiGLU) or GELU in its tanh form (Gemma's GeGLU, as ggml and
// PyTorch's approximate="tanh" state it).
#ifndef QINS_ACTIVATION_H_
#define QINS_ACTIVATION_H_

#include <cstddef>

#include "qins/context.h"
#include "qins/export.h"
#include "qins/status.h"

namespace qins {

enum class GateActivation {
  // silu(g) = g / (1 + exp(-g)).
  kSilu,
  // gelu(g) = 0.5 g (1 + tanh(sqrt(2 / pi) g (1 + 0.044715 g^2))).
  kGeluTanh,
};

// "silu" or "gelu_tanh".
QINS_API const char* GateActivationName(GateActivation a);

// gate[i] = act(gate[i]) * up[i] for i < n, in place, on the calling thread
// (n is one row or a few: a transformer's hidden size times the tokens).
// Accuracy: within 2^-20 of |act(g)| + |0.5 g| (GELU's cancellation where
// tanh is near -1), times |up|, of the exact value; a per-target
// polynomial (Highway's Exp / Tanh), so the last bits may differ between
// targets, never between runs, thread counts or FP environments.
// Subnormal inputs count as zero, and act(g) and the result are written as
// a zero of their sign where they are subnormal (act(g) also where SiLU's
// exp(-g) overflows, g < -88.7, |act(g)| < 3e-37), so that results are
// identical whether or not the caller set flush-to-zero (x86 DAZ/FTZ, Arm
// FPCR.FZ). NaN propagates; Inf gives the limits (silu(+Inf) = +Inf, silu(-Inf)
// = -0, gelu likewise) times up. Errors: InvalidArgument for a null pointer
// with n > 0 or an unknown activation. n == 0 does nothing. gate and up must
// not overlap unless they are the same array.
QINS_API Status ApplyGatedActivation(const Context& ctx, GateActivation a,
                                     float* gate, const float* up,
                                     std::size_t n);

}  // namespace qins

#endif  // QINS_ACTIVATION_H_
