// The dispatch seam for the per-target SIMD encoders (qins8's), from the
// EncodeKernelOf specializations next to them; names no format.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dispatch/encode_dispatch.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/formats/format_kernels-inl.h"
#include "kernels/formats/qins8_encode-inl.h"

#ifndef QINS_DISPATCH_ENCODE_DISPATCH_ONCE_
#define QINS_DISPATCH_ENCODE_DISPATCH_ONCE_
#include "dispatch/encode_kernels.h"
#include "dispatch/target_index.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

const EncodeKernels* GetEncodeKernelTable() {
  static const EncodeKernels kTable = [] {
    EncodeKernels t = {};
    t.target_bit = HWY_TARGET;
    FillEncodeKernels(t);  // the EncodeKernelOf specializations
    return t;
  }();
  return &kTable;
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qins {

QINS_EXPORT_KERNEL_TABLE(GetEncodeKernelTable, EncodeKernels, GetEncodeKernels)

}  // namespace qins
#endif  // HWY_ONCE
