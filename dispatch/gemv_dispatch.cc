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
      .target_bit = HWY_TARGET,
      .qins8_bitbuild = &GemvQins8Bits,
      .qins8_gather = &GemvQins8Gather,
      .i8row = &GemvI8Row,
      .bf16 = &GemvBF16,
      .f16 = &GemvF16,
      .q8_0 = &GemvQ8_0,
      .q4_0 = &GemvQ4_0,
      .q4_0_regtable = &GemvQ4_0Regtable,
      .iq4_nl_regtable = &GemvIQ4NLRegtable,
      .iq4_nl_gather = &GemvIQ4NLGather,
      .qins4_regtable = &GemvQins4Regtable,
      .qins4_gather = &GemvQins4Gather,
      .qins8_seed_gather = &GemvQins8SeedGather,
      .qins8_seed_arith = &GemvQins8SeedArith,
      .qins8_bitbuild_prepare_x = Qins8BitsPrepareX(),
  };
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
