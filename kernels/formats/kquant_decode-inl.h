// Per-target SIMD row decoders of ggml's K-quants (Q2_K .. Q6_K) and
// IQ4_XS, through their loaders (kquant_loaders-inl.h). Included once per
// target by dispatch/decode_dispatch.cc. Exact: equal to the scalar codecs'
// decode_row bit for bit (tests/kernels/formats/kquant_codecs_test.cc, on
// every target). Rows are whole super-blocks (col_multiple = 256), so there
// is no tail.

#if defined(QINS_KERNELS_FORMATS_KQUANT_DECODE_INL_H_) == \
    defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_FORMATS_KQUANT_DECODE_INL_H_
#undef QINS_KERNELS_FORMATS_KQUANT_DECODE_INL_H_
#else
#define QINS_KERNELS_FORMATS_KQUANT_DECODE_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include "hwy/highway.h"
#include "kernels/formats/format_kernels-inl.h"
#include "kernels/formats/kquant_loaders-inl.h"
#include "kernels/formats/matrix_data.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Per super-block: the loader's sub-block scales (16 scalar products), then
// per sub-block two broadcasts and per vector one Load and a store.
template <class Loader>
HWY_INLINE void DecodeRowKQuant(const Loader& ld,
                                const QuantizedMatrix::Data& m, size_t r,
                                float* HWY_RESTRICT out) {
  const DB d;
  const size_t N = hn::Lanes(d);
  const uint8_t* row = m.row(r);
  HWY_ALIGN float dl[16], ml[16];
  for (size_t b = 0; b < m.cols / kSuperBlock; ++b) {
    const uint8_t* sb = row + b * Loader::kBytes;
    float* y = out + b * kSuperBlock;
    ld.Scales(sb, dl, ml);
    for (size_t k = 0; k < kSuperBlock / Loader::kSub; ++k) {
      const auto s = hn::Set(d, dl[k]), t = hn::Set(d, ml[k]);
      for (size_t w = k * Loader::kSub; w < (k + 1) * Loader::kSub; w += N) {
        hn::StoreU(ld.Load(sb, w, s, t), d, y + w);
      }
    }
  }
}

void DecodeRowQ2K(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowKQuant(Q2KLoader(), m, r, out);
}
template <>
struct DecodeKernelOf<FormatKind::kQ2_K> : DecodeKernel<&DecodeRowQ2K> {};

void DecodeRowQ3K(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowKQuant(Q3KLoader(), m, r, out);
}
template <>
struct DecodeKernelOf<FormatKind::kQ3_K> : DecodeKernel<&DecodeRowQ3K> {};

void DecodeRowQ4K(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowKQuant(Q4KLoader(), m, r, out);
}
template <>
struct DecodeKernelOf<FormatKind::kQ4_K> : DecodeKernel<&DecodeRowQ4K> {};

void DecodeRowQ5K(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowKQuant(Q5KLoader(), m, r, out);
}
template <>
struct DecodeKernelOf<FormatKind::kQ5_K> : DecodeKernel<&DecodeRowQ5K> {};

void DecodeRowQ6K(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowKQuant(Q6KLoader(), m, r, out);
}
template <>
struct DecodeKernelOf<FormatKind::kQ6_K> : DecodeKernel<&DecodeRowQ6K> {};

void DecodeRowIQ4XS(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowKQuant(IQ4XSLoader{GetInt4Tables().iq4_nl}, m, r, out);
}
template <>
struct DecodeKernelOf<FormatKind::kIQ4_XS> : DecodeKernel<&DecodeRowIQ4XS> {};

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_FORMATS_KQUANT_DECODE_INL_H_
