// The dispatch seam for the SIMD row decoders of every weight format.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dispatch/decode_dispatch.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/formats/decode-inl.h"
#include "kernels/formats/kquant_decode-inl.h"

#ifndef QINS_DISPATCH_DECODE_DISPATCH_ONCE_
#define QINS_DISPATCH_DECODE_DISPATCH_ONCE_
#include "dispatch/decode_kernels.h"
#include "dispatch/target_index.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

const DecodeKernels* GetDecodeKernelTable() {
  static const DecodeKernels kTable = [] {
    DecodeKernels t = {};
    t.target_bit = HWY_TARGET;
    auto set = [&](FormatKind k, DecodeRowFn f) {
      t.row[static_cast<int>(k)] = f;
    };
    set(FormatKind::kF32, &DecodeRowF32);
    set(FormatKind::kBF16, &DecodeRowBF16);
    set(FormatKind::kF16, &DecodeRowF16);
    set(FormatKind::kQ8_0, &DecodeRowQ8_0);
    set(FormatKind::kI8Row, &DecodeRowI8Row);
    set(FormatKind::kQ4_0, &DecodeRowQ4_0);
    set(FormatKind::kIQ4_NL, &DecodeRowIQ4NL);
    set(FormatKind::kQ4_1, &DecodeRowQ4_1);
    set(FormatKind::kQ5_0, &DecodeRowQ5_0);
    set(FormatKind::kQ5_1, &DecodeRowQ5_1);
    set(FormatKind::kQins8Seed, &DecodeRowQins8Seed);
    set(FormatKind::kQins8SeedRow, &DecodeRowQins8Seed);
    set(FormatKind::kQins8, &DecodeRowQins8);
    set(FormatKind::kQins4, &DecodeRowQins4);
    set(FormatKind::kQ2_K, &DecodeRowQ2K);
    set(FormatKind::kQ3_K, &DecodeRowQ3K);
    set(FormatKind::kQ4_K, &DecodeRowQ4K);
    set(FormatKind::kQ5_K, &DecodeRowQ5K);
    set(FormatKind::kQ6_K, &DecodeRowQ6K);
    set(FormatKind::kIQ4_XS, &DecodeRowIQ4XS);
#if HWY_HAVE_FLOAT64
    set(FormatKind::kFpinsSeed, &DecodeRowFpins);
    set(FormatKind::kFpinsNearest, &DecodeRowFpins);
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

QINS_EXPORT_KERNEL_TABLE(GetDecodeKernelTable, DecodeKernels, GetDecodeKernels)

}  // namespace qins
#endif  // HWY_ONCE
