// ApplyGatedActivation (qins/activation.h): checks, then the Context
// target's kernel (dispatch/activation_kernels.h).
#include <string>

#include "dispatch/activation_kernels.h"
#include "qins/activation.h"

namespace qins {

const char* GateActivationName(GateActivation a) {
  switch (a) {
    case GateActivation::kSilu:
      return "silu";
    case GateActivation::kGeluTanh:
      return "gelu_tanh";
  }
  return "?";
}

Status ApplyGatedActivation(const Context& ctx, GateActivation a, float* gate,
                            const float* up, std::size_t n) {
  if (a != GateActivation::kSilu && a != GateActivation::kGeluTanh) {
    return InvalidArgument("ApplyGatedActivation: unknown activation " +
                           std::to_string(static_cast<int>(a)));
  }
  if (n == 0) return Status::Ok();
  if (gate == nullptr || up == nullptr) {
    return InvalidArgument(std::string("ApplyGatedActivation: ") +
                           (gate == nullptr ? "gate" : "up") +
                           " is null with n = " + std::to_string(n));
  }
  const ActivationKernels& k = GetActivationKernels(ctx.target());
  (a == GateActivation::kSilu ? k.silu_gate : k.gelu_tanh_gate)(gate, up, n);
  return Status::Ok();
}

}  // namespace qins
