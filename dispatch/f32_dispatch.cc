// The dispatch seam for f32 kernels: compiles kernels/f32 and kernels/common
// once per Highway target and exports one table of function pointers per
// target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dispatch/f32_dispatch.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/common/read_sum-inl.h"
#include "kernels/f32/gemv_f32-inl.h"

#ifndef QINS_DISPATCH_F32_DISPATCH_ONCE_
#define QINS_DISPATCH_F32_DISPATCH_ONCE_
#include "dispatch/f32_kernels.h"
#include "dispatch/target_index.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

size_t F32Lanes() {
  return hwy::HWY_NAMESPACE::Lanes(hwy::HWY_NAMESPACE::ScalableTag<float>());
}

const F32Kernels* GetF32KernelTable() {
  static const F32Kernels kTable = {HWY_TARGET, &F32Lanes, &DotF32,
                                    &GemvRowsF32, &ReadSumU32};
  return &kTable;
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qins {

QINS_EXPORT_KERNEL_TABLE(GetF32KernelTable, F32Kernels, GetF32Kernels)

}  // namespace qins
#endif  // HWY_ONCE
