// Per target, the kernels of each weight format as traits, and the
// functions that fill the dispatch tables (decode, GEMV, encode) from them.
//
// Each format's per-target file says which kernel it has, next to the
// kernel, as an explicit specialization:
//   template <> struct DecodeKernelOf<FormatKind::kQ4_0>
//       : DecodeKernel<&DecodeRowQ4_0> {};                    // decode-inl.h
//   template <> struct GemvKernelOf<FormatKind::kQ4_0, GemvStrategy::kDirect>
//       : F32XGemvKernel<&GemvQ4_0> {};                  // gemv_blocks-inl.h
// The primary templates are declared and never defined, so the dispatch
// files (dispatch/decode_dispatch.cc, dispatch/gemv_dispatch.cc), which
// instantiate DecodeKernelOf<K> for every row of the format table and
// GemvKernelOf<K, S> for every strategy S a row lists, do not compile when a
// format lacks its decoder or a kernel for a listed strategy; the compiler
// names the pair ("GemvKernelOf<qins::FormatKind::kQ4_0,
// qins::GemvStrategy::kBitbuild>"; tests/kernels/formats/
// format_kernels_compile_test.cc proves it). Neither dispatch file names a
// format.

#if defined(QINS_KERNELS_FORMATS_FORMAT_KERNELS_INL_H_) == \
    defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_FORMATS_FORMAT_KERNELS_INL_H_
#undef QINS_KERNELS_FORMATS_FORMAT_KERNELS_INL_H_
#else
#define QINS_KERNELS_FORMATS_FORMAT_KERNELS_INL_H_
#endif

#include <stddef.h>

#include <iterator>
#include <utility>

#include "dispatch/decode_kernels.h"
#include "dispatch/encode_kernels.h"
#include "dispatch/gemv_kernels.h"
#include "hwy/highway.h"
#include "kernels/formats/format_table.h"
#include "kernels/formats/matrix_data.h"
#include "qins/format.h"
#include "qins/gemv.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

// The SIMD row decoder of format K: `value`, a DecodeRowFn, or null where
// this target has none (the scalar codec is used).
template <FormatKind K>
struct DecodeKernelOf;  // no definition: every format specializes it

// The fused GEMV kernel of format K with strategy S: `value` (FusedGemvFn)
// and `prepare_x` (PrepareXFn, null when the kernel reads x in order).
template <FormatKind K, GemvStrategy S>
struct GemvKernelOf;  // no definition: one specialization per listed pair

// The per-target encoder of format K, where it has one (qins8); otherwise
// null, and Quantize runs the codec's scalar encode_rows. A format whose
// codec has no encode_rows needs one (checked by quantize_test).
template <FormatKind K>
struct EncodeKernelOf {
  static constexpr EncodeRowsFn value = nullptr;
};

template <DecodeRowFn kFn>
struct DecodeKernel {
  static constexpr DecodeRowFn value = kFn;
};

template <FusedGemvFn kFn, PrepareXFn kPrepareX = nullptr>
struct GemvKernel {
  static constexpr FusedGemvFn value = kFn;
  static constexpr PrepareXFn prepare_x = kPrepareX;
};

// The f32-activation kernels take the zero-padded f32 x (GemvX::f32).
using F32GemvFn = void (*)(const QuantizedMatrix::Data& m, const float* x,
                           size_t padded, float* y, size_t r0, size_t r1);
template <F32GemvFn kFn>
void OnF32X(const QuantizedMatrix::Data& m, const GemvX& x, float* y, size_t r0,
            size_t r1) {
  kFn(m, x.f32, x.padded, y, r0, r1);
}
template <F32GemvFn kFn, PrepareXFn kPrepareX = nullptr>
struct F32XGemvKernel : GemvKernel<&OnF32X<kFn>, kPrepareX> {};

namespace format_kernels_internal {

template <const auto& kRows, size_t kRow, size_t kSlot>
void SetListedGemvKernel(GemvKernels& t) {
  constexpr FormatKind k = kRows[kRow].kind;
  constexpr GemvStrategy s = kRows[kRow].gemv[kSlot];
  // auto is no kernel; decode is the format's decoder with the f32 kernel.
  if constexpr (s != GemvStrategy::kAuto && s != GemvStrategy::kDecode) {
    using Kernel = GemvKernelOf<k, s>;  // a listed pair without one: error
    t.fused[static_cast<size_t>(k)][static_cast<size_t>(s)] = Kernel::value;
    t.prepare_x[static_cast<size_t>(k)][static_cast<size_t>(s)] =
        Kernel::prepare_x;
  }
}

template <const auto& kRows, size_t kRow, size_t... kSlots>
void SetRowGemvKernels(GemvKernels& t, std::index_sequence<kSlots...>) {
  (SetListedGemvKernel<kRows, kRow, kSlots>(t), ...);
}

template <const auto& kRows, size_t... kRowIndex>
void SetGemvKernels(GemvKernels& t, std::index_sequence<kRowIndex...>) {
  (SetRowGemvKernels<kRows, kRowIndex>(
       t, std::make_index_sequence<kMaxFormatStrategies>()),
   ...);
}

// table[kind] = KernelOf<kind>::value for every row's kind (one function
// pointer per format: the decoders, the encoders).
template <template <FormatKind> class KernelOf, const auto& kRows, class Fn,
          size_t... kRowIndex>
void SetPerFormat(Fn* table, std::index_sequence<kRowIndex...>) {
  ((table[static_cast<size_t>(kRows[kRowIndex].kind)] =
        KernelOf<kRows[kRowIndex].kind>::value),
   ...);
}

}  // namespace format_kernels_internal

// Fills t.fused and t.prepare_x with this target's kernel for every
// (format, strategy) pair that `kRows` (an array of FormatRow; the format
// table in the library) lists.
template <const auto& kRows = kFormatTable>
void FillGemvKernels(GemvKernels& t) {
  format_kernels_internal::SetGemvKernels<kRows>(
      t, std::make_index_sequence<std::size(kRows)>());
}

// Fills t.row with this target's decoder of every format in `kRows`.
template <const auto& kRows = kFormatTable>
void FillDecodeKernels(DecodeKernels& t) {
  format_kernels_internal::SetPerFormat<DecodeKernelOf, kRows>(
      t.row, std::make_index_sequence<std::size(kRows)>());
}

// Fills t.rows with this target's encoder of every format in `kRows` that
// has one.
template <const auto& kRows = kFormatTable>
void FillEncodeKernels(EncodeKernels& t) {
  format_kernels_internal::SetPerFormat<EncodeKernelOf, kRows>(
      t.rows, std::make_index_sequence<std::size(kRows)>());
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_FORMATS_FORMAT_KERNELS_INL_H_
