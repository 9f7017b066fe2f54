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

#include "hwy/highway.h"
#include "kernels/formats/half.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/formats/qins4_tables.h"
#include "kernels/formats/qins8_bits-inl.h"

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

// bf16 and f16: 1 promote per vector (a shift for bf16; vcvtph2ps for f16 on
// AVX2/AVX3, integer ops on SSE4/SSSE3).
template <typename T>
void DecodeRowHalf(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<T, decltype(df)> dh;
  const auto* codes = reinterpret_cast<const T*>(m.row(r));
  ForEachVector(df, m.cols, out, [&](size_t c, float* dst) {
    hn::StoreU(hn::PromoteTo(df, hn::LoadU(dh, codes + c)), df, dst);
  });
}

void DecodeRowBF16(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowHalf<hwy::bfloat16_t>(m, r, out);
}

void DecodeRowF16(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowHalf<hwy::float16_t>(m, r, out);
}

// i8row: sign-extend, convert, multiply: 3 ops per vector.
void DecodeRowI8Row(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<int8_t, decltype(df)> d8;
  const auto* codes = reinterpret_cast<const int8_t*>(m.row(r));
  const auto scale = hn::Set(df, m.row_params_of(r)[0]);
  ForEachVector(df, m.cols, out, [&](size_t c, float* dst) {
    const auto q = hn::PromoteTo(di, hn::LoadU(d8, codes + c));
    hn::StoreU(hn::Mul(hn::ConvertTo(df, q), scale), df, dst);
  });
}

// Blocks of 32 with an f16 scale first (q8_0: 34 bytes, q4_0/iq4_nl: 18).
// Vectors of at most 16 lanes, so that a vector never spans two blocks.
using BlockTag = hn::CappedTag<float, 16>;

// q8_0: per block one scalar f16 decode, then 3 ops per vector as i8row.
void DecodeRowQ8_0(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const BlockTag df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<int8_t, decltype(df)> d8;
  const size_t N = hn::Lanes(df);
  const uint8_t* row = m.row(r);
  const size_t blocks = (m.cols + 31) / 32;
  HWY_ALIGN float buf[32];
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * 34;
    uint16_t h;
    memcpy(&h, blk, 2);
    const auto scale = hn::Set(df, F16ToF32(h));
    const auto* q = reinterpret_cast<const int8_t*>(blk + 2);
    float* dst = (b * 32 + 32 <= m.cols) ? out + b * 32 : buf;
    for (size_t j = 0; j < 32; j += N) {
      const auto v = hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(d8, q + j)));
      hn::StoreU(hn::Mul(v, scale), df, dst + j);
    }
    if (dst == buf)
      memcpy(out + b * 32, buf, (m.cols - b * 32) * sizeof(float));
  }
}

// q4_0, iq4_nl and qins4: 16 bytes of nibbles per block (low nibbles =
// weights 0..15, high nibbles = 16..31) and a block header. Each block's 16
// possible values are computed once with the scalar reference's arithmetic
// (BlockTable), then per vector: zero-extending load, and or shift, one
// 16-entry gather. Exact by construction.
template <class BlockTable>
void DecodeRowNibbles(const QuantizedMatrix::Data& m, size_t r, float* out,
                      BlockTable&& block_table) {
  const BlockTag df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::RebindToUnsigned<decltype(df)> du;
  const hn::Rebind<uint8_t, decltype(df)> d8;
  const size_t N = hn::Lanes(df);
  const uint8_t* row = m.row(r);
  const size_t blocks = (m.cols + 31) / 32;
  HWY_ALIGN float buf[32];
  HWY_ALIGN float table16[16];
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* blk = row + b * 18;
    block_table(blk, table16);
    float* dst = (b * 32 + 32 <= m.cols) ? out + b * 32 : buf;
    for (size_t half = 0; half < 2; ++half) {
      for (size_t j = 0; j < 16; j += N) {
        const auto bytes = hn::PromoteTo(du, hn::LoadU(d8, blk + 2 + j));
        const auto nib =
            half ? hn::ShiftRight<4>(bytes) : hn::And(bytes, hn::Set(du, 0xF));
        hn::StoreU(hn::GatherIndex(df, table16, hn::BitCast(di, nib)), df,
                   dst + half * 16 + j);
      }
    }
    if (dst == buf) {
      memcpy(out + b * 32, buf, (m.cols - b * 32) * sizeof(float));
    }
  }
}

inline float BlockF16Scale(const uint8_t* blk) {
  uint16_t h;
  memcpy(&h, blk, 2);
  return F16ToF32(h);
}

void DecodeRowQins4(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowNibbles(
      m, r, out, [](const uint8_t* blk, float* t) { Qins4BlockTable(blk, t); });
}

void DecodeRowQ4_0(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowNibbles(m, r, out, [](const uint8_t* blk, float* t) {
    const float d = BlockF16Scale(blk);
    for (int q = 0; q < 16; ++q) t[q] = static_cast<float>(q - 8) * d;
  });
}

void DecodeRowIQ4NL(const QuantizedMatrix::Data& m, size_t r, float* out) {
  DecodeRowNibbles(m, r, out, [](const uint8_t* blk, float* t) {
    const float d = BlockF16Scale(blk);
    for (int q = 0; q < 16; ++q) t[q] = d * kIQ4NLValues[q];
  });
}

// qins8: the magnitude built from the code's bits (qins8_bits-inl.h, no
// table, no subnormal), times the row scale, then the sign bit or-ed in.
// Per vector: zero-extend, and + shift (m << (23 - M)), OrAnd, MulSub, Min,
// 2 multiplies (by 1/4, exact, then by s: one rounding, as the scalar
// codec's T * s), and + shift + or for the sign: 11 ops (a GEMV folds the
// multiplies into the row sum and the sign into one OrAnd).
void DecodeRowQins8(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<uint8_t, decltype(df)> d8;
  const float* p = m.row_params_of(r);
  const int shift = 23 - (7 - static_cast<int>(p[1]));
  const auto scale = hn::Set(df, p[0]);
  const auto quarter = hn::Set(df, 1.0f / kQins8MagnitudeFactor);
  const auto mag_mask =
      hn::Set(di, static_cast<int32_t>(Qins8MagnitudeMask(shift)));
  const uint8_t* codes = m.row(r);
  ForEachVector(df, m.cols, out, [&](size_t c, float* dst) {
    const auto b = hn::PromoteTo(du, hn::LoadU(d8, codes + c));
    const auto t = hn::BitCast(di, hn::ShiftLeftSame(b, shift));
    const auto mag = hn::Mul(Qins8Magnitude4(df, t, mag_mask), quarter);
    const auto sign = hn::ShiftLeft<24>(hn::And(b, hn::Set(du, 0x80)));
    hn::StoreU(hn::Or(hn::Mul(mag, scale), hn::BitCast(df, sign)), df, dst);
  });
}

// qins8-seed: the 255 magnitudes of the row's (or tensor's) log range are
// computed once per row with the scalar formula, then per vector: gather,
// sign byte to float, multiply.
void DecodeRowQins8Seed(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const float* range =
      m.params_per_row ? m.row_params_of(r) : m.tensor_params.data();
  HWY_ALIGN float mags[256];
  const float span = range[1] - range[0];
  for (int q = 0; q < 256; ++q) {
    const float n = (255.0f - static_cast<float>(q)) / 254.0f;
    mags[q] = std::exp(range[0] + n * span);
  }
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<uint8_t, decltype(df)> d8;
  const hn::Rebind<int8_t, decltype(df)> ds8;
  const uint8_t* codes = m.row(r);
  const int8_t* signs = reinterpret_cast<const int8_t*>(codes + m.cols);
  ForEachVector(df, m.cols, out, [&](size_t c, float* dst) {
    const auto idx =
        hn::BitCast(di, hn::PromoteTo(hn::RebindToUnsigned<decltype(df)>(),
                                      hn::LoadU(d8, codes + c)));
    const auto mag = hn::GatherIndex(df, mags, idx);
    const auto sign =
        hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(ds8, signs + c)));
    hn::StoreU(hn::Mul(sign, mag), df, dst);
  });
}

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
#endif

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_FORMATS_DECODE_INL_H_
