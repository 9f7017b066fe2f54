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
  static const GemvKernels kTable = [] {
    using K = FormatKind;
    using S = GemvStrategy;
    GemvKernels t = {};
    t.target_bit = HWY_TARGET;
    auto set = [&](K k, S s, FusedGemvFn fn, PrepareXFn prepare_x = nullptr) {
      t.fused[static_cast<size_t>(k)][static_cast<size_t>(s)] = fn;
      t.prepare_x[static_cast<size_t>(k)][static_cast<size_t>(s)] = prepare_x;
    };
    set(K::kBF16, S::kDirect, &GemvBF16);
    set(K::kF16, S::kDirect, &GemvF16);
    set(K::kQ8_0, S::kDirect, &GemvQ8_0);
    set(K::kI8Row, S::kDirect, &GemvI8Row);
    set(K::kQ4_0, S::kDirect, &GemvQ4_0);
    set(K::kQ4_0, S::kRegtable, &GemvQ4_0Regtable);
    set(K::kIQ4_NL, S::kRegtable, &GemvIQ4NLRegtable);
    set(K::kIQ4_NL, S::kGather, &GemvIQ4NLGather);
    set(K::kQ4_1, S::kDirect, &GemvQ4_1);
    set(K::kQ5_0, S::kDirect, &GemvQ5_0);
    set(K::kQ5_1, S::kDirect, &GemvQ5_1);
    set(K::kQins8Seed, S::kGather, &GemvQins8SeedGather);
    set(K::kQins8Seed, S::kArith, &GemvQins8SeedArith);
    set(K::kQins8SeedRow, S::kGather, &GemvQins8SeedGather);
    set(K::kQins8SeedRow, S::kArith, &GemvQins8SeedArith);
    set(K::kQins8, S::kBitbuild, &GemvQins8Bits, Qins8BitsPrepareX());
    set(K::kQins8, S::kGather, &GemvQins8Gather);
    set(K::kQins4, S::kRegtable, &GemvQins4Regtable);
    set(K::kQins4, S::kGather, &GemvQins4Gather);
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
