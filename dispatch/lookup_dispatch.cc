// The dispatch seam for the lookup family (QINS table lookups and their float
// counterparts): compiles kernels/qins_tables/lookup_ops-inl.h once per
// Highway target and exports one table of function pointers per target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dispatch/lookup_dispatch.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/qins_tables/lookup_ops-inl.h"

#ifndef QINS_DISPATCH_LOOKUP_DISPATCH_ONCE_
#define QINS_DISPATCH_LOOKUP_DISPATCH_ONCE_
#include "dispatch/lookup_kernels.h"
#include "dispatch/target_index.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

size_t LookupI32Lanes() {
  return hwy::HWY_NAMESPACE::Lanes(hwy::HWY_NAMESPACE::ScalableTag<int32_t>());
}

const LookupKernels* GetLookupKernelTable() {
  static const LookupKernels kTable = {HWY_TARGET, &LookupI32Lanes,
                                       &LookupPairsU8, &HarmonicAddF32Vec,
                                       &MulF32Vec};
  return &kTable;
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qins {

QINS_EXPORT_KERNEL_TABLE(GetLookupKernelTable, LookupKernels, GetLookupKernels)

}  // namespace qins
#endif  // HWY_ONCE
