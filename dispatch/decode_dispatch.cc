// The dispatch seam for the SIMD row decoders of every weight format.
// Names no format: the decoders are found through the format table and the
// decoders' traits.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dispatch/decode_dispatch.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/formats/decode-inl.h"
#include "kernels/formats/format_kernels-inl.h"
#include "kernels/formats/kquant_decode-inl.h"

#ifndef QINS_DISPATCH_DECODE_DISPATCH_ONCE_
#define QINS_DISPATCH_DECODE_DISPATCH_ONCE_
#include "dispatch/decode_kernels.h"
#include "dispatch/target_index.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

// Every format's decoder, from the DecodeKernelOf specializations next to
// the decoders (kernels/formats/format_kernels-inl.h): a format without one
// does not compile.
const DecodeKernels* GetDecodeKernelTable() {
  static const DecodeKernels kTable = [] {
    DecodeKernels t = {};
    t.target_bit = HWY_TARGET;
    FillDecodeKernels(t);
    return t;
  }();
  return &kTable;
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qins {

QINS_EXPORT_KERNEL_TABLE(GetDecodeKernelTable, DecodeKernels, GetDecodeKernels)

}  // namespace qins
#endif  // HWY_ONCE
