// The dispatch seam for the fused GEMV kernels.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dispatch/gemv_dispatch.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/gemv/gemv_blocks-inl.h"
#include "kernels/gemv/gemv_fused-inl.h"

#ifndef QINS_DISPATCH_GEMV_DISPATCH_ONCE_
#define QINS_DISPATCH_GEMV_DISPATCH_ONCE_
#include "dispatch/gemv_kernels.h"
#include "dispatch/target_index.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

const GemvKernels* GetGemvKernelTable() {
  static const GemvKernels kTable = {
      HWY_TARGET,          &GemvQins8Bits,
      &GemvQins8Gather,    &GemvI8Row,
      &GemvBF16,           &GemvF16,
      &GemvQ8_0,           &GemvQ4_0,
      &GemvQ4_0Regtable,   &GemvIQ4NLRegtable,
      &GemvIQ4NLGather,    &GemvQins4Regtable,
      &GemvQins4Gather,    &GemvQins8SeedGather,
      &GemvQins8SeedArith, &GemvQins8BitsScaledX};
  return &kTable;
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qins {

QINS_EXPORT_KERNEL_TABLE(GetGemvKernelTable, GemvKernels, GetGemvKernels)

}  // namespace qins
#endif  // HWY_ONCE
