// The dispatch seam for the fused GEMV kernels.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dispatch/gemv_dispatch.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/gemv/gemv_blocks-inl.h"
#include "kernels/gemv/gemv_dot-inl.h"
#include "kernels/gemv/gemv_fused-inl.h"
#include "kernels/gemv/gemv_kquant_dot-inl.h"

#ifndef QINS_DISPATCH_GEMV_DISPATCH_ONCE_
#define QINS_DISPATCH_GEMV_DISPATCH_ONCE_
#include "dispatch/gemv_kernels.h"
#include "dispatch/target_index.h"
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

// The f32-activation kernels take the zero-padded f32 x (GemvX::f32).
using F32KernelFn = void (*)(const QuantizedMatrix::Data& m, const float* x,
                             size_t padded, float* y, size_t r0, size_t r1);
template <F32KernelFn kFn>
void OnF32X(const QuantizedMatrix::Data& m, const GemvX& x, float* y, size_t r0,
            size_t r1) {
  kFn(m, x.f32, x.padded, y, r0, r1);
}

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
    set(K::kBF16, S::kDirect, &OnF32X<&GemvBF16>);
    set(K::kF16, S::kDirect, &OnF32X<&GemvF16>);
    set(K::kQ8_0, S::kDirect, &OnF32X<&GemvQ8_0>);
    set(K::kI8Row, S::kDirect, &OnF32X<&GemvI8Row>);
    set(K::kQ4_0, S::kDirect, &OnF32X<&GemvQ4_0>);
    set(K::kQ4_0, S::kRegtable, &OnF32X<&GemvQ4_0Regtable>);
    set(K::kIQ4_NL, S::kRegtable, &OnF32X<&GemvIQ4NLRegtable>);
    set(K::kIQ4_NL, S::kGather, &OnF32X<&GemvIQ4NLGather>);
    set(K::kQ4_1, S::kDirect, &OnF32X<&GemvQ4_1>);
    set(K::kQ5_0, S::kDirect, &OnF32X<&GemvQ5_0>);
    set(K::kQ5_1, S::kDirect, &OnF32X<&GemvQ5_1>);
    set(K::kQins8Seed, S::kGather, &OnF32X<&GemvQins8SeedGather>);
    set(K::kQins8Seed, S::kArith, &OnF32X<&GemvQins8SeedArith>);
    set(K::kQins8SeedRow, S::kGather, &OnF32X<&GemvQins8SeedGather>);
    set(K::kQins8SeedRow, S::kArith, &OnF32X<&GemvQins8SeedArith>);
    set(K::kQins8, S::kBitbuild, &OnF32X<&GemvQins8Bits>, Qins8BitsPrepareX());
    set(K::kQins8, S::kGather, &OnF32X<&GemvQins8Gather>);
    set(K::kQins4, S::kRegtable, &OnF32X<&GemvQins4Regtable>);
    set(K::kQins4, S::kGather, &OnF32X<&GemvQins4Gather>);
    // `dot` reads x quantized (GemvX::q8), no f32 copy.
    set(K::kQ8_0, S::kDot, &GemvQ8_0Dot);
    set(K::kQ4_0, S::kDot, &GemvQ4_0Dot);
    set(K::kI8Row, S::kDot, &GemvI8RowDot);
    set(K::kIQ4_NL, S::kDot, &GemvIQ4NLDot);
    set(K::kQ4_1, S::kDot, &GemvQ4_1Dot);
    set(K::kQ5_0, S::kDot, &GemvQ5_0Dot);
    set(K::kQ5_1, S::kDot, &GemvQ5_1Dot);
    set(K::kQ4_K, S::kDot, &GemvQ4KDot);
    set(K::kQ5_K, S::kDot, &GemvQ5KDot);
    set(K::kQ6_K, S::kDot, &GemvQ6KDot);
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
