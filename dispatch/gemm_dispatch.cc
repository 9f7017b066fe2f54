// The dispatch seam for the GEMM kernels (kernels/gemm/gemm-inl.h and
// gemm_dot-inl.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dispatch/gemm_dispatch.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/gemm/gemm-inl.h"
#include "kernels/gemm/gemm_dot-inl.h"

#ifndef QINS_DISPATCH_GEMM_DISPATCH_ONCE_
#define QINS_DISPATCH_GEMM_DISPATCH_ONCE_
#include "dispatch/gemm_kernels.h"
#include "dispatch/target_index.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

const GemmKernels* GetGemmKernelTable() {
  static const GemmKernels kTable = {HWY_TARGET,   &GemmPanelCols,
                                     &GemmPanel,   &GemmDotPack,
                                     &GemmDotRows, kGemmDotRowsI8mm};
  return &kTable;
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qins {

QINS_EXPORT_KERNEL_TABLE(GetGemmKernelTable, GemmKernels, GetGemmKernels)

}  // namespace qins
#endif  // HWY_ONCE
