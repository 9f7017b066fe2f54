// Per-target loaders of ggml's K-quant super-blocks (Q2_K .. Q6_K) and
// IQ4_XS: the only place where their bytes become f32 lanes, for the SIMD
// row decoders (kquant_decode-inl.h) and later the fused GEMV kernels. The
// bit layouts and scale unpacking are shared with the scalar codecs
// (kquant_codecs.cc, iq4_xs_codec.cc) through kquant_blocks.h.
//
// Loader shape (one super-block of 256 weights at `sb`, sub-blocks of
// kSub = 16 or 32 weights with one scale each):
// - Scales(sb, dl, ml) writes each sub-block's f32 scale dl[k] and min
//   ml[k] (zero where the format has none) with the scalar codec's
//   products (d * sc, dmin * m), so the values are the codec's bit for bit;
// - Load(sb, w, s, t) returns the weights [w, w + N) of the super-block,
//   with s = Set(dl[k]), t = Set(ml[k]) of the sub-block k holding them.
// Vectors are DB (at most 16 lanes, kernels/formats/loaders-inl.h), so a
// vector never spans two sub-blocks of 16. Every loader computes the
// codec's expression in the codec's order (a multiply, then a subtract; no
// FMA), so its weights equal the scalar decode's, signed zeros included.

#if defined(QINS_KERNELS_FORMATS_KQUANT_LOADERS_INL_H_) == \
    defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_FORMATS_KQUANT_LOADERS_INL_H_
#undef QINS_KERNELS_FORMATS_KQUANT_LOADERS_INL_H_
#else
#define QINS_KERNELS_FORMATS_KQUANT_LOADERS_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include "hwy/highway.h"
#include "kernels/formats/kquant_blocks.h"
#include "kernels/formats/loaders-inl.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// N bytes at p, zero-extended to u32 lanes: 1 op (a load with zero
// extension).
HWY_INLINE hn::Vec<DBU> KQuantBytes(const uint8_t* p) {
  const hn::Rebind<uint8_t, DB> d8;
  return hn::PromoteTo(DBU(), hn::LoadU(d8, p));
}

// (bytes >> shift) & mask: 2 ops.
HWY_INLINE hn::Vec<DBU> KQuantBits(hn::Vec<DBU> bytes, int shift,
                                   uint32_t mask) {
  return hn::And(hn::ShiftRightSame(bytes, shift), hn::Set(DBU(), mask));
}

// Q2_K: 16 sub-blocks of 16; weight 16 k + l is 2 bits of
// qs[32 (k / 8) + 16 (k % 2) + l] at bit 2 (k / 2 % 4); dl * q - ml.
// Per vector: load, shift, and, convert, multiply, subtract: 6 ops.
struct Q2KLoader {
  static constexpr size_t kBytes = q2_k::kBytes;
  static constexpr size_t kSub = 16;
  HWY_INLINE void Scales(const uint8_t* sb, float* dl, float* ml) const {
    const float d = KQuantHalf(sb, q2_k::kD);
    const float min = KQuantHalf(sb, q2_k::kDmin);
    for (int k = 0; k < 16; ++k) {
      const uint8_t sc = sb[q2_k::kScales + k];
      dl[k] = d * (sc & 0xF);
      ml[k] = min * (sc >> 4);
    }
  }
  HWY_INLINE hn::Vec<DB> Load(const uint8_t* sb, size_t w, hn::Vec<DB> s,
                              hn::Vec<DB> t) const {
    const size_t k = w / 16;
    const uint8_t* q = sb + q2_k::kQs + 32 * (k / 8) + 16 * (k % 2) + w % 16;
    const auto v =
        KQuantBits(KQuantBytes(q), static_cast<int>(2 * (k / 2 % 4)), 3);
    return hn::Sub(hn::Mul(s, hn::ConvertTo(DB(), hn::BitCast(DBI(), v))), t);
  }
};

// Q3_K: 16 sub-blocks of 16; the low 2 bits as Q2_K's, the high bit at bit
// k / 2 of hmask[16 (k % 2) + l] (set: q, clear: q - 4); dl * q.
// Per vector: 2 loads, 2 shifts, 2 ands, shift, add, subtract, convert,
// multiply: 11 ops.
struct Q3KLoader {
  static constexpr size_t kBytes = q3_k::kBytes;
  static constexpr size_t kSub = 16;
  HWY_INLINE void Scales(const uint8_t* sb, float* dl, float* ml) const {
    const float d = KQuantHalf(sb, q3_k::kD);
    for (int k = 0; k < 16; ++k) {
      dl[k] = d * Q3KScale(sb + q3_k::kScales, k);
      ml[k] = 0.0f;
    }
  }
  HWY_INLINE hn::Vec<DB> Load(const uint8_t* sb, size_t w, hn::Vec<DB> s,
                              hn::Vec<DB>) const {
    const size_t k = w / 16, off = 16 * (k % 2) + w % 16;
    const auto lo = KQuantBits(KQuantBytes(sb + q3_k::kQs + 32 * (k / 8) + off),
                               static_cast<int>(2 * (k / 2 % 4)), 3);
    const auto hi = KQuantBits(KQuantBytes(sb + q3_k::kHmask + off),
                               static_cast<int>(k / 2), 1);
    const auto q =
        hn::Sub(hn::BitCast(DBI(), hn::Add(lo, hn::ShiftLeft<2>(hi))),
                hn::Set(DBI(), 4));
    return hn::Mul(s, hn::ConvertTo(DB(), q));
  }
};

// Q4_K: 8 sub-blocks of 32 with a 6-bit scale and min; weight 32 j + l is
// the low (j even) or high nibble of qs[32 (j / 2) + l]; dl * q - ml.
// Per vector: load, shift, and, convert, multiply, subtract: 6 ops.
struct Q4KLoader {
  static constexpr size_t kBytes = q4_k::kBytes;
  static constexpr size_t kSub = 32;
  HWY_INLINE void Scales(const uint8_t* sb, float* dl, float* ml) const {
    const float d = KQuantHalf(sb, q4_k::kD);
    const float min = KQuantHalf(sb, q4_k::kDmin);
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      Q4KScaleMin(sb + q4_k::kScales, j, &sc, &m);
      dl[j] = d * sc;
      ml[j] = min * m;
    }
  }
  HWY_INLINE hn::Vec<DB> Load(const uint8_t* sb, size_t w, hn::Vec<DB> s,
                              hn::Vec<DB> t) const {
    const size_t j = w / 32;
    const auto v =
        KQuantBits(KQuantBytes(sb + q4_k::kQs + 32 * (j / 2) + w % 32),
                   static_cast<int>(4 * (j % 2)), 0xF);
    return hn::Sub(hn::Mul(s, hn::ConvertTo(DB(), hn::BitCast(DBI(), v))), t);
  }
};

// Q5_K: Q4_K's nibbles plus a fifth bit, bit j of qh[l]; dl * q - ml.
// Per vector: 2 loads, 2 shifts, 2 ands, shift, or, convert, multiply,
// subtract: 11 ops.
struct Q5KLoader {
  static constexpr size_t kBytes = q5_k::kBytes;
  static constexpr size_t kSub = 32;
  HWY_INLINE void Scales(const uint8_t* sb, float* dl, float* ml) const {
    Q4KLoader().Scales(sb, dl, ml);  // the same header layout
  }
  HWY_INLINE hn::Vec<DB> Load(const uint8_t* sb, size_t w, hn::Vec<DB> s,
                              hn::Vec<DB> t) const {
    const size_t j = w / 32;
    const auto lo =
        KQuantBits(KQuantBytes(sb + q5_k::kQs + 32 * (j / 2) + w % 32),
                   static_cast<int>(4 * (j % 2)), 0xF);
    const auto hi = KQuantBits(KQuantBytes(sb + q5_k::kQh + w % 32),
                               static_cast<int>(j), 1);
    const auto q = hn::Or(lo, hn::ShiftLeft<4>(hi));
    return hn::Sub(hn::Mul(s, hn::ConvertTo(DB(), hn::BitCast(DBI(), q))), t);
  }
};

// Q6_K: 16 sub-blocks of 16 with an int8 scale; weight 16 k + l of half
// h = k / 8, quarter c = k / 2 % 4, p = 16 (k % 2) + l: low 4 bits in
// ql[64 h + 32 (c % 2) + p] (high nibble for c >= 2), high 2 bits at bit
// 2 c of qh[32 h + p]; dl * (q - 32).
// Per vector: 2 loads, 2 shifts, 2 ands, shift, or, subtract, convert,
// multiply: 11 ops.
struct Q6KLoader {
  static constexpr size_t kBytes = q6_k::kBytes;
  static constexpr size_t kSub = 16;
  HWY_INLINE void Scales(const uint8_t* sb, float* dl, float* ml) const {
    const float d = KQuantHalf(sb, q6_k::kD);
    const int8_t* sc = reinterpret_cast<const int8_t*>(sb + q6_k::kScales);
    for (int k = 0; k < 16; ++k) {
      dl[k] = d * sc[k];
      ml[k] = 0.0f;
    }
  }
  HWY_INLINE hn::Vec<DB> Load(const uint8_t* sb, size_t w, hn::Vec<DB> s,
                              hn::Vec<DB>) const {
    const size_t k = w / 16, h = k / 8, c = k / 2 % 4;
    const size_t p = 16 * (k % 2) + w % 16;
    const auto lo =
        KQuantBits(KQuantBytes(sb + q6_k::kQl + 64 * h + 32 * (c % 2) + p),
                   static_cast<int>(4 * (c / 2)), 0xF);
    const auto hi = KQuantBits(KQuantBytes(sb + q6_k::kQh + 32 * h + p),
                               static_cast<int>(2 * c), 3);
    const auto q = hn::Sub(hn::BitCast(DBI(), hn::Or(lo, hn::ShiftLeft<4>(hi))),
                           hn::Set(DBI(), 32));
    return hn::Mul(s, hn::ConvertTo(DB(), q));
  }
};

// IQ4_XS: 8 blocks of 32 with a 6-bit scale; weight 32 ib + l is the low
// (l < 16) or high nibble of qs[16 ib + l % 16], an index into iq4_nl's
// 16 values; dl * value. The unscaled values are looked up in registers
// where TableLookupLanes can (kRegTableLanes, loaders-inl.h) and gathered
// elsewhere, then multiplied by dl (the scalar codec's product).
// Per vector: load, shift or and, then one permute (16 lanes) or
// and, two permutes, compare, blend (8 lanes) or a gather; multiply:
// 4 / 8 / 4 ops.
struct IQ4XSLoader {
  static constexpr size_t kBytes = iq4_xs::kBytes;
  static constexpr size_t kSub = 32;
  const float* values;  // GetInt4Tables().iq4_nl, 16 floats
  HWY_INLINE void Scales(const uint8_t* sb, float* dl, float* ml) const {
    const float d = KQuantHalf(sb, iq4_xs::kD);
    for (int ib = 0; ib < 8; ++ib) {
      dl[ib] = d * IQ4XSScale(sb, ib);
      ml[ib] = 0.0f;
    }
  }
  HWY_INLINE hn::Vec<DB> Load(const uint8_t* sb, size_t w, hn::Vec<DB> s,
                              hn::Vec<DB>) const {
    const DB d;
    const size_t l = w % 32;
    const auto bytes = KQuantBytes(sb + iq4_xs::kQs + 16 * (w / 32) + l % 16);
    const auto idx =
        hn::BitCast(DBI(), l < 16 ? hn::And(bytes, hn::Set(DBU(), 0xF))
                                  : hn::ShiftRight<4>(bytes));
    hn::Vec<DB> v;
    if constexpr (kRegTableLanes == 16) {
      v = hn::TableLookupLanes(hn::LoadU(d, values),
                               hn::IndicesFromVec(d, idx));
    } else if constexpr (kRegTableLanes == 8) {
      const auto ix = hn::IndicesFromVec(d, hn::And(idx, hn::Set(DBI(), 7)));
      const auto hi = hn::RebindMask(d, hn::Gt(idx, hn::Set(DBI(), 7)));
      v = hn::IfThenElse(hi, hn::TableLookupLanes(hn::LoadU(d, values + 8), ix),
                         hn::TableLookupLanes(hn::LoadU(d, values), ix));
    } else {
      v = hn::GatherIndex(d, values, idx);
    }
    return hn::Mul(s, v);
  }
};

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_FORMATS_KQUANT_LOADERS_INL_H_
