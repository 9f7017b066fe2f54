// The dispatch seam for the activation kernels
// (kernels/activation/gated_activation-inl.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dispatch/activation_dispatch.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/activation/gated_activation-inl.h"

#ifndef QINS_DISPATCH_ACTIVATION_DISPATCH_ONCE_
#define QINS_DISPATCH_ACTIVATION_DISPATCH_ONCE_
#include "dispatch/activation_kernels.h"
#include "dispatch/target_index.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

const ActivationKernels* GetActivationKernelTable() {
  static const ActivationKernels kTable = {HWY_TARGET, &SiluGate,
                                           &GeluTanhGate};
  return &kTable;
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qins {

QINS_EXPORT_KERNEL_TABLE(GetActivationKernelTable, ActivationKernels,
                         GetActivationKernels)

}  // namespace qins
#endif  // HWY_ONCE
