// Per-target SIMD decoders: one row of a QuantizedMatrix to f32. Included once
// per target by dispatch/decode_dispatch.cc. Every decoder produces exactly
// the scalar reference's values (kernels/formats/*_codecs.cc), which the tests
// check bit for bit on every target.
//
// Rows are padded to 64 bytes and the matrix allocation has kRowReadSlack
// bytes after the last row, so a decoder may load one whole vector of codes
// past `cols`; the tail vector is decoded into a buffer and only its valid
// lanes are copied out.

#if defined(QINS_KERNELS_FORMATS_DECODE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_FORMATS_DECODE_INL_H_
#undef QINS_KERNELS_FORMATS_DECODE_INL_H_
#else
#define QINS_KERNELS_FORMATS_DECODE_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <type_traits>

#include "hwy/highway.h"
#include "kernels/formats/format_kernels-inl.h"
#include "kernels/formats/loaders-inl.h"
#include "kernels/formats/matrix_data.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Runs decode(c, dst) for each vector of N outputs starting at column c, with
// dst = out + c for full vectors and a buffer for the tail.
template <class D, class F>
HWY_INLINE void ForEachVector(D d, size_t cols, float* HWY_RESTRICT out,
                              F&& decode) {
  const size_t N = hn::Lanes(d);
  size_t c = 0;
  for (; c + N <= cols; c += N) decode(c, out + c);
  if (c < cols) {
    HWY_ALIGN float buf[hn::MaxLanes(d)];
    decode(c, buf);
    memcpy(out + c, buf, (cols - c) * sizeof(float));
  }
}

// f32: a copy.
void DecodeRowF32(const QuantizedMatrix::Data& m, size_t r, float* out) {
  memcpy(out, m.row(r), m.cols * sizeof(float));
}
template <>
struct DecodeKernelOf<FormatKind::kF32> : DecodeKernel<&DecodeRowF32> {};

// Every decoder below reads codes through the format's loader
// (kernels/formats/loaders-inl.h), the same code the fused GEMV kernels use,
// and stores what it returns, times the row scale where the loader leaves it
// out. Exact: equal to the scalar codec's decode_row bit for bit (tested on
// every target by quantize_test).

// Row formats: out = post(Load(row, c)) for each vector of N weights.
template <class Loader, class Post>
HWY_INLINE void DecodeRowVia(const Loader& ld, const uint8_t* row, size_t cols,
                             float* HWY_RESTRICT out, Post&& post) {
  const DF df;
  const auto p = ld.Param(0), q = ld.Param2(0);
  ForEachVector(df, cols, out, [&](size_t c, float* dst) {
    hn::StoreU(post(ld.Load(0, row, c, p, q)), df, dst);
  });
}

// bf16 and f16: 1 promote per vector (a shift for bf16; vcvtph2ps for f16 on
// AVX2/AVX3, integer ops on SSE4/SSSE3).
template <typename T>
void DecodeRowHalf(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowVia(HalfLoader<T>(), m.row(r), m.cols, out,
               [](hn::Vec<DF> v) { return v; });
}

void DecodeRowBF16(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowHalf<hwy::bfloat16_t>(m, r, out);
}
template <>
struct DecodeKernelOf<FormatKind::kBF16> : DecodeKernel<&DecodeRowBF16> {};

void DecodeRowF16(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowHalf<hwy::float16_t>(m, r, out);
}
template <>
struct DecodeKernelOf<FormatKind::kF16> : DecodeKernel<&DecodeRowF16> {};

// i8row: sign-extend, convert, multiply by the row scale: 3 ops per vector.
void DecodeRowI8Row(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const auto scale = hn::Set(DF(), m.row_params_of(r)[0]);
  DecodeRowVia(I8Loader(), m.row(r), m.cols, out,
               [&](hn::Vec<DF> v) { return hn::Mul(v, scale); });
}
template <>
struct DecodeKernelOf<FormatKind::kI8Row> : DecodeKernel<&DecodeRowI8Row> {};

// qins8: the bitbuild loader's signed 4 T (no table, no subnormal), times
// 1/4 (exact), times the row scale (one rounding, as the scalar codec's
// T * s; the sign commutes with both): 9 ops per vector.
void DecodeRowQins8(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const auto quarter = hn::Set(DF(), 1.0f / kQins8MagnitudeFactor);
  const auto scale = hn::Set(DF(), m.row_params_of(r)[0]);
  DecodeRowVia(
      Qins8ShiftLoader<Qins8BitsLoader>(m, r, 1), m.row(r), m.cols, out,
      [&](hn::Vec<DF> v) { return hn::Mul(hn::Mul(v, quarter), scale); });
}
template <>
struct DecodeKernelOf<FormatKind::kQins8> : DecodeKernel<&DecodeRowQins8> {};

// qins8-seed: the 256 magnitudes of the row's (or tensor's) log range once
// per row with the scalar formula, then per vector the gather loader: gather,
// sign byte to float, multiply.
void DecodeRowQins8Seed(const QuantizedMatrix::Data& m, size_t r, float* out) {
  HWY_ALIGN float mags[256];
  Qins8SeedMagnitudes(Qins8SeedRange(m, r), mags);
  const Qins8SeedGatherLoader ld{{mags, mags, mags, mags}, m.cols};
  DecodeRowVia(ld, m.row(r), m.cols, out, [](hn::Vec<DF> v) { return v; });
}
template <>
struct DecodeKernelOf<FormatKind::kQins8Seed>
    : DecodeKernel<&DecodeRowQins8Seed> {};
template <>
struct DecodeKernelOf<FormatKind::kQins8SeedRow>
    : DecodeKernel<&DecodeRowQins8Seed> {};

// Blocked formats: the row's block scales (LoadBlockParams), then per block
// the loader's Setup and per vector its Load. Vectors of at most 16 lanes
// (DB), so that a vector never spans two blocks.
// kHasMin: the block's f16 min follows its f16 scale (q4_1, q5_1); the mins
// go to BlockParams::min, converted as the scales are.
template <class Header, bool kHasMin = false, class MakeLoader>
HWY_INLINE void DecodeBlockRow(const QuantizedMatrix::Data& m, size_t r,
                               float* HWY_RESTRICT out, size_t block_bytes,
                               MakeLoader&& make) {
  struct DecodeScratch {};
  const BlockScratch sc =
      GetBlockScratch<DecodeScratch>(m.cols, kHasMin ? 2 : 1);
  const DB d;
  const size_t N = hn::Lanes(d), blocks = sc.blocks;
  const uint8_t* row = m.row(r);
  LoadBlockParams<Header>(row, blocks, sc.bp, block_bytes, sc.bits, sc.scale,
                          sc.select);
  if constexpr (kHasMin) {
    LoadBlockParams<F16Header>(row + 2, blocks, sc.bp, block_bytes, sc.bits,
                               sc.scale + sc.bp, sc.select);
  }
  BlockParams p;
  for (int i = 0; i < 4; ++i) {
    p.scale[i] = sc.scale;
    p.select[i] = sc.select;
    p.min[i] = kHasMin ? sc.scale + sc.bp : nullptr;
  }
  HWY_ALIGN float stored[4][16];
  const auto ld = make(p, stored);
  HWY_ALIGN float buf[kWeightBlock];
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * block_bytes;
    const auto s = ld.Setup(0, b), t = ld.Setup2(0, b);
    const bool full = (b + 1) * kWeightBlock <= m.cols;
    float* dst = full ? out + b * kWeightBlock : buf;
    for (size_t j = 0; j < kWeightBlock; j += N) {
      hn::StoreU(ld.Load(0, blk, j, s, t), d, dst + j);
    }
    if (!full) {
      memcpy(out + b * kWeightBlock, buf,
             (m.cols - b * kWeightBlock) * sizeof(float));
    }
  }
}

// q8_0: sign-extend, convert, multiply by the block scale: 3 ops per vector.
void DecodeRowQ8_0(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeBlockRow<F16Header>(
      m, r, out, kQ8_0BlockBytes,
      [](const BlockParams& p, float(*)[16]) { return Q8_0Loader{p}; });
}
template <>
struct DecodeKernelOf<FormatKind::kQ8_0> : DecodeKernel<&DecodeRowQ8_0> {};

// q4_0, iq4_nl and qins4: the block's 16 scaled values stored once per
// block (16 multiplies, the scalar codec's products), then per vector:
// nibble, one 16-entry gather. (q4_0's `direct` loader, q d - 8 d in one
// FMA, gives +0 where the codec's (q - 8) d gives -0 for a negative scale:
// the same in a GEMV sum, not bit for bit.)
template <class Table>
HWY_INLINE void DecodeRowInt4Table(const QuantizedMatrix::Data& m, size_t r,
                                   float* out, Table table) {
  using Header = std::conditional_t<std::is_same_v<Table, Qins4Table>,
                                    Qins4Header, F16Header>;
  DecodeBlockRow<Header>(m, r, out, kNibbleBlockBytes,
                         [table](const BlockParams& p, float(*st)[16]) {
                           return Int4TableLoader<Table, true>{p, table, st};
                         });
}

void DecodeRowQ4_0(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowInt4Table(m, r, out, FixedTable{GetInt4Tables().q4_0});
}
template <>
struct DecodeKernelOf<FormatKind::kQ4_0> : DecodeKernel<&DecodeRowQ4_0> {};

void DecodeRowIQ4NL(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowInt4Table(m, r, out, FixedTable{GetInt4Tables().iq4_nl});
}
template <>
struct DecodeKernelOf<FormatKind::kIQ4_NL> : DecodeKernel<&DecodeRowIQ4NL> {};

void DecodeRowQins4(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowInt4Table(m, r, out, Qins4Table{GetInt4Tables().qins4});
}
template <>
struct DecodeKernelOf<FormatKind::kQins4> : DecodeKernel<&DecodeRowQins4> {};

// q4_1 and q5_1: the block scales and mins, then per vector the code times
// d, plus m (5 ops for q4_1, 10 for q5_1; GgmlMinLoader).
void DecodeRowQ4_1(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeBlockRow<F16Header, true>(m, r, out, kQ4_1BlockBytes,
                                  [](const BlockParams& p, float(*)[16]) {
                                    return GgmlMinLoader<false>{p};
                                  });
}
template <>
struct DecodeKernelOf<FormatKind::kQ4_1> : DecodeKernel<&DecodeRowQ4_1> {};

void DecodeRowQ5_1(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeBlockRow<F16Header, true>(m, r, out, kQ5_1BlockBytes,
                                  [](const BlockParams& p, float(*)[16]) {
                                    return GgmlMinLoader<true>{p};
                                  });
}
template <>
struct DecodeKernelOf<FormatKind::kQ5_1> : DecodeKernel<&DecodeRowQ5_1> {};

// q5_0: (q - 16) times the block scale: 10 ops per vector (Q5_0Loader).
void DecodeRowQ5_0(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeBlockRow<F16Header>(
      m, r, out, kQ5_0BlockBytes,
      [](const BlockParams& p, float(*)[16]) { return Q5_0Loader{p}; });
}
template <>
struct DecodeKernelOf<FormatKind::kQ5_0> : DecodeKernel<&DecodeRowQ5_0> {};

#if HWY_HAVE_FLOAT64
// fpins<L>: magnitude = 256 / prod(256 - b_i) in f64, multiplied in level
// order exactly as the scalar codec, then rounded to f32 and multiplied by
// the sign byte. Per vector of f64 lanes: per level load+widen, subtract,
// convert, multiply (4 ops); then one f64 divide, a demote and a multiply.
void DecodeRowFpins(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;  // same lane count as dd
  const hn::Rebind<int32_t, decltype(dd)> di;
  const hn::Rebind<uint32_t, decltype(dd)> du;
  const hn::Rebind<uint8_t, decltype(dd)> d8;
  const hn::Rebind<int8_t, decltype(dd)> ds8;
  const int depth = m.format.level;
  const uint8_t* row = m.row(r);
  const auto k256 = hn::Set(dd, 256.0);
  ForEachVector(df, m.cols, out, [&](size_t c, float* dst) {
    auto product = hn::Set(dd, 1.0);
    for (int l = 0; l <= depth; ++l) {
      const auto b = hn::BitCast(
          di, hn::PromoteTo(du, hn::LoadU(d8, row + (1 + l) * m.cols + c)));
      const auto level = hn::Sub(hn::Set(di, 256), b);  // byte 0 is level 256
      product = hn::Mul(product, hn::PromoteTo(dd, level));
    }
    const auto mag = hn::DemoteTo(df, hn::Div(k256, product));
    const auto sign = hn::ConvertTo(
        df, hn::PromoteTo(
                di, hn::LoadU(ds8, reinterpret_cast<const int8_t*>(row) + c)));
    hn::StoreU(hn::Mul(sign, mag), df, dst);
  });
}
template <>
struct DecodeKernelOf<FormatKind::kFpinsSeed> : DecodeKernel<&DecodeRowFpins> {
};
template <>
struct DecodeKernelOf<FormatKind::kFpinsNearest>
    : DecodeKernel<&DecodeRowFpins> {};
#else
// No f64 lanes on this target: FPINS rows go through the scalar codec.
template <>
struct DecodeKernelOf<FormatKind::kFpinsSeed> : DecodeKernel<nullptr> {};
template <>
struct DecodeKernelOf<FormatKind::kFpinsNearest> : DecodeKernel<nullptr> {};
#endif

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_FORMATS_DECODE_INL_H_
