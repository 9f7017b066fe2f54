// Proves that a format row listing a GEMV strategy without a kernel does not
// compile (kernels/formats/format_kernels-inl.h). This file is compiled
// twice, for the build's static target:
// - as is, as part of the test build: a q4_0 row listing `direct`,
//   `regtable` and `decode`, each with its kernel, compiles;
// - with QINS_LIST_A_STRATEGY_WITHOUT_KERNEL, by the ctest
//   format_kernels_compile_test.a_listed_strategy_without_kernel, which
//   builds it and passes only if the compiler rejects it naming the pair
//   (GemvKernelOf<qins::FormatKind::kQ4_0, qins::GemvStrategy::kBitbuild>):
//   q4_0 has no `bitbuild` kernel.
#include "hwy/highway.h"
#include "kernels/formats/codec.h"
#include "kernels/formats/format_kernels-inl.h"
#include "kernels/formats/format_table.h"
#include "kernels/gemv/gemv_blocks-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

inline constexpr FormatRow kTestRows[] = {
    {.kind = FormatKind::kQ4_0,
     .name = "q4_0",
     .max_level = 0,
     .block = 32,
     .summary = "a test row",
     .codec = kQ4_0Codec,
#ifdef QINS_LIST_A_STRATEGY_WITHOUT_KERNEL
     .gemv = {GemvStrategy::kDirect, GemvStrategy::kBitbuild,
              GemvStrategy::kDecode},
#else
     .gemv = {GemvStrategy::kDirect, GemvStrategy::kRegtable,
              GemvStrategy::kDecode},
#endif
     .ggml_type = 2,
     .rms_error_bound = {.value = 0.15}},
};

void FillTestKernels(GemvKernels& t) { FillGemvKernels<kTestRows>(t); }

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();
