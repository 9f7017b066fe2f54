// The dispatch seam for the fused GEMV kernels. Names no format: the
// kernels are found through the format table and the kernels' traits.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dispatch/gemv_dispatch.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/formats/format_kernels-inl.h"
#include "kernels/gemv/gemv_blocks-inl.h"
#include "kernels/gemv/gemv_dot-inl.h"
#include "kernels/gemv/gemv_fused-inl.h"
#include "kernels/gemv/gemv_kquant_dot-inl.h"
#include "kernels/gemv/gemv_qins8_dot-inl.h"
#include "kernels/gemv/gemv_repacked-inl.h"

#ifndef QINS_DISPATCH_GEMV_DISPATCH_ONCE_
#define QINS_DISPATCH_GEMV_DISPATCH_ONCE_
#include "dispatch/gemv_kernels.h"
#include "dispatch/target_index.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

// Every (format, strategy) pair the format table lists, from the
// GemvKernelOf specializations next to the kernels
// (kernels/formats/format_kernels-inl.h): a listed pair without one does not
// compile.
const GemvKernels* GetGemvKernelTable() {
  static const GemvKernels kTable = [] {
    GemvKernels t = {};
    t.target_bit = HWY_TARGET;
    FillGemvKernels(t);
#if HWY_TARGET == HWY_AVX3_DL
    t.repacked_dot = &GemvRepackedDot;
#endif
    return t;
  }();
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
