// One loader per weight format, per target: the only place where a format's
// bytes become f32 lanes. The SIMD decoders (decode-inl.h, which the GEMM
// panel decode and the `decode` GEMV strategy use) and the fused GEMV
// kernels (gemv_fused-inl.h, gemv_blocks-inl.h) both read codes through
// these; the scalar codecs (kernels/formats/*_codec.cc) are the reference
// they are tested against, and share their per-code arithmetic with them
// through the *_code.h headers (qins8_code.h, qins8_seed_code.h,
// qins4_tables.h, iq4_nl_values.h) and block sizes through block_rows.h.
//
// Two loader shapes:
// - row loaders (formats without blocks): Load(i, row, k, p, q) returns the
//   f32 weights [k, k + N) of row i of a group (row = pointer to its
//   codes); p = Param(i) and q = Param2(i) are that row's loop-invariant
//   vectors;
// - block loaders (32 weights per block after a header: an f16 scale, for
//   q4_1/q5_0/q5_1 also an f16 min and/or the fifth code bits): Setup(i, b)
//   and Setup2(i, b) return block b's loop-invariant vectors for row i,
//   Load(i, blk, j, s, t) the f32 weights [j, j + N) of the block at `blk`;
//   LoadBlockParams fills the per-row block scales they read.
// The weights a loader returns are exact (the scalar codec's values), or an
// exact power of two times them where its comment says so.

#if defined(QINS_KERNELS_FORMATS_LOADERS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_FORMATS_LOADERS_INL_H_
#undef QINS_KERNELS_FORMATS_LOADERS_INL_H_
#else
#define QINS_KERNELS_FORMATS_LOADERS_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "kernels/formats/block_rows.h"
#include "kernels/formats/half.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/formats/qins4_tables.h"
#include "kernels/formats/qins8_bits-inl.h"
#include "kernels/formats/qins8_code.h"
#include "kernels/formats/qins8_seed_code.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Loaders: Load(i, row, k, p, q) returns the f32 weights [k, k + N) of row
// i of the group (row = pointer to its codes); p = Param(i) and q = Param2(i)
// are that row's loop-invariant vectors, computed once per group.
using DF = hn::ScalableTag<float>;
using DI = hn::RebindToSigned<DF>;

// qins8, `bitbuild`: the weight from the byte's bits with no table and no
// subnormal (kernels/formats/qins8_bits-inl.h): t = sext(b) << (23 - M)
// holds the magnitude bits in place and the sign in bit 31; the magnitude
// is 4 T = min(F, 2 F - 4) with F = t's magnitude bits | 128 << 23, and the
// sign is or-ed back from t. The factor 4 is taken out of the row sum
// (y = sum / 4 * s). Per vector: sign-extending load, variable shift,
// OrAnd, MulSub, Min, OrAnd, FMA: 7 ops (9 on AVX2, where each OrAnd is an
// and plus an or). The shift count (p) and magnitude mask (q) depend on the
// row's exponent width.
struct Qins8BitsLoader {
  int shift[4];
  HWY_INLINE hn::Vec<DI> Param(int i) const { return hn::Set(DI(), shift[i]); }
  HWY_INLINE hn::Vec<DI> Param2(int i) const {
    return hn::Set(DI(), static_cast<int32_t>(Qins8MagnitudeMask(shift[i])));
  }
  HWY_INLINE hn::Vec<DF> Load(int, const uint8_t* row, size_t k, hn::Vec<DI> sh,
                              hn::Vec<DI> mag_mask) const {
    const DF d;
    const hn::Rebind<int8_t, DF> d8;
    const auto b = hn::PromoteTo(
        DI(), hn::LoadU(d8, reinterpret_cast<const int8_t*>(row) + k));
    const auto t = hn::Shl(b, sh);
    const auto mag = Qins8Magnitude4(d, t, mag_mask);
    return hn::OrAnd(mag, hn::BitCast(d, t), hn::BitCast(d, hn::SignBit(DI())));
  }
};

// qins8, `gather`: a 256-entry f32 table per row (both signs), one gather per
// vector: zero-extending load, gather, FMA. Costs a 1 KiB table build per
// row (256 scalar ops) and ~14 cycles per 8-lane gather on Zen 3
// (measured on the project's EPYC VM, 2026-11).
struct Qins8GatherLoader {
  const float* table[4];
  HWY_INLINE hn::Vec<DI> Param(int) const { return hn::Zero(DI()); }
  HWY_INLINE hn::Vec<DI> Param2(int) const { return hn::Zero(DI()); }
  HWY_INLINE hn::Vec<DF> Load(int i, const uint8_t* row, size_t k, hn::Vec<DI>,
                              hn::Vec<DI>) const {
    const DF d;
    const hn::RebindToUnsigned<DF> du;
    const hn::Rebind<uint8_t, DF> d8;
    const auto idx =
        hn::BitCast(DI(), hn::PromoteTo(du, hn::LoadU(d8, row + k)));
    return hn::GatherIndex(d, table[i], idx);
  }
};

// i8row: sign-extending load, convert, FMA: 3 ops per vector.
struct I8Loader {
  HWY_INLINE hn::Vec<DI> Param(int) const { return hn::Zero(DI()); }
  HWY_INLINE hn::Vec<DI> Param2(int) const { return hn::Zero(DI()); }
  HWY_INLINE hn::Vec<DF> Load(int, const uint8_t* row, size_t k, hn::Vec<DI>,
                              hn::Vec<DI>) const {
    const hn::Rebind<int8_t, DF> d8;
    return hn::ConvertTo(
        DF(),
        hn::PromoteTo(DI(),
                      hn::LoadU(d8, reinterpret_cast<const int8_t*>(row) + k)));
  }
};

// bf16 and f16 `direct`: one promote per vector (a shift for bf16;
// vcvtph2ps for f16 on AVX2/AVX-512, integer ops on SSE4), FMA: 2 ops.
template <typename T>
struct HalfLoader {
  HWY_INLINE hn::Vec<DI> Param(int) const { return hn::Zero(DI()); }
  HWY_INLINE hn::Vec<DI> Param2(int) const { return hn::Zero(DI()); }
  HWY_INLINE hn::Vec<DF> Load(int, const uint8_t* row, size_t k, hn::Vec<DI>,
                              hn::Vec<DI>) const {
    const hn::Rebind<T, DF> dh;
    return hn::PromoteTo(DF(),
                         hn::LoadU(dh, reinterpret_cast<const T*>(row) + k));
  }
};

// qins8-seed: code bytes [0, cols), then sign bytes (int8 -1/0/+1) [cols,
// 2 cols) of the row. `gather`: the 256 magnitudes of the row's (or
// tensor's) log range in a table; per vector: zero-extending load, gather,
// sign-extending load, convert, multiply, FMA: 6 ops.
// The signs -1/0/+1 of weights [k, k + N) of a qins8-seed row as f32: its
// sign bytes follow its `cols` code bytes. Sign-extending load, convert.
HWY_INLINE hn::Vec<DF> Qins8SeedSigns(const uint8_t* row, size_t cols,
                                      size_t k) {
  const hn::Rebind<int8_t, DF> ds8;
  return hn::ConvertTo(
      DF(),
      hn::PromoteTo(
          DI(),
          hn::LoadU(ds8, reinterpret_cast<const int8_t*>(row + cols) + k)));
}

struct Qins8SeedGatherLoader {
  const float* table[4];
  size_t cols;
  HWY_INLINE hn::Vec<DI> Param(int) const { return hn::Zero(DI()); }
  HWY_INLINE hn::Vec<DI> Param2(int) const { return hn::Zero(DI()); }
  HWY_INLINE hn::Vec<DF> Load(int i, const uint8_t* row, size_t k, hn::Vec<DI>,
                              hn::Vec<DI>) const {
    const DF d;
    const hn::Rebind<uint8_t, DF> d8;
    const auto idx = hn::BitCast(DI(), hn::PromoteTo(hn::RebindToUnsigned<DF>(),
                                                     hn::LoadU(d8, row + k)));
    const auto sign = Qins8SeedSigns(row, cols, k);
    return hn::Mul(sign, hn::GatherIndex(d, table[i], idx));
  }
};

// qins8-seed `arith`: the magnitude computed from the code as the documents
// define it, exp(lo + (255 - q) / 254 * (hi - lo)), with Highway's Exp
// (within ~2 ulp of std::exp; the tests allow for it). Per vector:
// zero-extending load, convert, subtract, divide, multiply, add, Exp
// (~15 ops), sign load + convert + multiply, FMA: ~25 ops.
struct Qins8SeedArithLoader {
  float lo[4], span[4];
  size_t cols;
  HWY_INLINE hn::Vec<DI> Param(int) const { return hn::Zero(DI()); }
  HWY_INLINE hn::Vec<DI> Param2(int) const { return hn::Zero(DI()); }
  HWY_INLINE hn::Vec<DF> Load(int i, const uint8_t* row, size_t k, hn::Vec<DI>,
                              hn::Vec<DI>) const {
    const DF d;
    const hn::Rebind<uint8_t, DF> d8;
    const auto q = hn::ConvertTo(
        d, hn::BitCast(DI(), hn::PromoteTo(hn::RebindToUnsigned<DF>(),
                                           hn::LoadU(d8, row + k))));
    const auto n = hn::Div(hn::Sub(hn::Set(d, 255.0f), q), hn::Set(d, 254.0f));
    const auto mag =
        hn::Exp(d, hn::Add(hn::Set(d, lo[i]), hn::Mul(n, hn::Set(d, span[i]))));
    const auto sign = Qins8SeedSigns(row, cols, k);
    return hn::Mul(sign, mag);
  }
};

// A qins8 bits loader for rows [r, r + n) of a group: each row's shift
// 23 - M = 16 + E (E from its parameters).
template <class Loader>
HWY_INLINE Loader Qins8ShiftLoader(const QuantizedMatrix::Data& m, size_t r,
                                   size_t n) {
  Loader ld;
  for (size_t i = 0; i < 4; ++i) {
    const size_t row = r + (i < n ? i : 0);
    ld.shift[i] = 16 + static_cast<int>(m.row_params_of(row)[1]);
  }
  return ld;
}

#if HWY_TARGET == HWY_AVX3_DL
// The AVX3_DL qins8 kernel's byte tables (gemv_fused-inl.h): the hi and lo
// bytes of each magnitude's bf16 (every qins8 value is a normal bf16).
struct Qins8VbmiTables {
  // [E - 1]: hi bytes of the 128 magnitudes, then lo bytes.
  HWY_ALIGN uint8_t bytes[3][2][128];
};

inline const Qins8VbmiTables& GetQins8VbmiTables() {
  static const Qins8VbmiTables kTables = [] {
    Qins8VbmiTables t;
    for (int e_bits = 1; e_bits <= 3; ++e_bits) {
      for (uint32_t m = 0; m < 128; ++m) {
        const uint32_t bits = F32Bits(qins8::DecodeIndex(m, e_bits));
        t.bytes[e_bits - 1][0][m] = static_cast<uint8_t>(bits >> 24);
        t.bytes[e_bits - 1][1][m] = static_cast<uint8_t>(bits >> 16);
      }
    }
    return t;
  }();
  return kTables;
}
#endif  // HWY_TARGET == HWY_AVX3_DL

// The (lo, hi) log range of a qins8-seed row: per row or per tensor.
inline const float* Qins8SeedRange(const QuantizedMatrix::Data& m, size_t r) {
  return m.params_per_row ? m.row_params_of(r) : m.tensor_params.data();
}

// The 256 magnitudes of a log range, with the scalar codec's arithmetic
// (qins8_seed_code.h), for the gather tables of the decoder and the GEMV.
inline void Qins8SeedMagnitudes(const float* range, float* mags) {
  const float span = range[1] - range[0];
  for (uint32_t q = 0; q < 256; ++q) {
    mags[q] = qins8_seed::Magnitude(q, range[0], span);
  }
}

// At most 16 lanes, so a vector never spans two blocks of 32.
using DB = hn::CappedTag<float, 16>;
using DBI = hn::RebindToSigned<DB>;
using DBU = hn::RebindToUnsigned<DB>;

// True where TableLookupLanes serves as a 16-entry register table: one
// permute on 16-lane targets (AVX-512), two permutes and a blend on 8-lane
// ones (AVX2). Elsewhere (128-bit, SVE with its run-time length, scalar)
// `regtable` reads the block's 16 values with GatherIndex instead.
#if HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2 ||         \
    HWY_TARGET == HWY_SVE_256 || HWY_TARGET == HWY_SVE2_128 || \
    HWY_TARGET == HWY_SCALAR || HWY_TARGET == HWY_EMU128
constexpr size_t kRegTableLanes = 0;
#else
constexpr size_t kRegTableLanes =
    (hn::MaxLanes(DB()) == 16 || hn::MaxLanes(DB()) == 8) ? hn::MaxLanes(DB())
                                                          : 0;
#endif

// Per-row block parameters of a group of up to 4 rows: f32 scales and, for
// qins4, the table selectors; for q4_1 and q5_1 the f32 block mins; the
// rows themselves, for a loader that reads its block headers in the loop.
// `blocks_padded` is a multiple of the lanes.
struct BlockParams {
  const float* scale[4];
  const uint8_t* select[4];
  const float* min[4];
  const uint8_t* row[4];
};

// The 4-bit codes of weights [j, j + N) of a block whose 16 code bytes
// start at `qs` (q4_0's order: low nibbles of bytes 0..15 are weights
// 0..15, high nibbles 16..31): zero-extending load, then and or shift: 2 ops.
HWY_INLINE hn::Vec<DBU> NibblesAt(const uint8_t* qs, size_t j) {
  const DBU du;
  const hn::Rebind<uint8_t, DB> d8;
  if (j < 16) {
    return hn::And(hn::PromoteTo(du, hn::LoadU(d8, qs + j)), hn::Set(du, 0xF));
  }
  return hn::ShiftRight<4>(hn::PromoteTo(du, hn::LoadU(d8, qs + j - 16)));
}

// The same for the blocks with a 2-byte header (q4_0, iq4_nl, qins4).
HWY_INLINE hn::Vec<DBU> Nibbles(const uint8_t* blk, size_t j) {
  return NibblesAt(blk + 2, j);
}

// Bit 4 of ggml's 5-bit codes of weights [j, j + N), in place (0 or 16):
// qh (little endian at `qh`) broadcast, shifted right by each lane's weight
// index (loaded from a constant table), and 1, shifted left by 4: 4 ops.
// Not Iota(du, j): Highway 1.0.3's AVX2 Iota writes 8 scalars to the stack
// and loads them as one vector, a failed store-to-load forward per call
// that made AVX2's q5_0/q5_1 `direct` 9x slower than their `decode` (1521
// us against 170, hot 1024x1024, 1 thread, AMD EPYC Zen 4, 2026-12-06).
HWY_INLINE hn::Vec<DBU> FifthBits(const uint8_t* qh, size_t j) {
  const DBU du;
  alignas(64) static constexpr uint32_t kWeightIndex[32] = {
      0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
      16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
  const auto bits =
      hn::Shr(hn::Set(du, LoadLE32(qh)), hn::LoadU(du, kWeightIndex + j));
  return hn::ShiftLeft<4>(hn::And(bits, hn::Set(du, 1)));
}

// q8_0 `direct`: sign-extending load, convert, multiply by the block scale,
// FMA: 4 ops per vector.
struct Q8_0Loader {
  static constexpr size_t kBlockBytes = kQ8_0BlockBytes;
  BlockParams p;
  HWY_INLINE hn::Vec<DB> Setup(int i, size_t b) const {
    return hn::Set(DB(), p.scale[i][b]);
  }
  HWY_INLINE hn::Vec<DB> Setup2(int, size_t) const { return hn::Zero(DB()); }
  HWY_INLINE hn::Vec<DB> Load(int, const uint8_t* blk, size_t j, hn::Vec<DB> s,
                              hn::Vec<DB>) const {
    const hn::Rebind<int8_t, DB> d8;
    const auto q = hn::PromoteTo(
        DBI(), hn::LoadU(d8, reinterpret_cast<const int8_t*>(blk + 2) + j));
    return hn::Mul(hn::ConvertTo(DB(), q), s);
  }
};

// q4_0 `direct`: nibble (2 ops), convert, q * d - 8 d in one FMA (exact:
// both products have at most 4 + 11 significant bits), FMA: 5 ops. Code 8
// gives +0 where the scalar codec's (q - 8) d is -0 for a negative d, so
// the decoder uses the table loader instead (same sums, not the same bits).
struct Q4_0Loader {
  static constexpr size_t kBlockBytes = kNibbleBlockBytes;
  BlockParams p;
  HWY_INLINE hn::Vec<DB> Setup(int i, size_t b) const {
    return hn::Set(DB(), p.scale[i][b]);
  }
  HWY_INLINE hn::Vec<DB> Setup2(int i, size_t b) const {
    return hn::Set(DB(), -8.0f * p.scale[i][b]);
  }
  HWY_INLINE hn::Vec<DB> Load(int, const uint8_t* blk, size_t j, hn::Vec<DB> s,
                              hn::Vec<DB> t) const {
    const auto q = hn::ConvertTo(DB(), hn::BitCast(DBI(), Nibbles(blk, j)));
    return hn::MulAdd(q, s, t);
  }
};

// ggml's q4_1 and q5_1 (decode only): d * q + m with gguf-py's two
// roundings, a multiply then an add (never an FMA); Setup gives the block
// scale d, Setup2 its min m. Per vector: q4_1 nibble (2), convert,
// multiply, add: 5 ops; q5_1 also the fifth bits (4) and an or: 10 ops.
template <bool k5Bit>
struct GgmlMinLoader {
  static constexpr size_t kBlockBytes =
      k5Bit ? kQ5_1BlockBytes : kQ4_1BlockBytes;
  BlockParams p;
  HWY_INLINE hn::Vec<DB> Setup(int i, size_t b) const {
    return hn::Set(DB(), p.scale[i][b]);
  }
  HWY_INLINE hn::Vec<DB> Setup2(int i, size_t b) const {
    return hn::Set(DB(), p.min[i][b]);
  }
  HWY_INLINE hn::Vec<DB> Load(int, const uint8_t* blk, size_t j, hn::Vec<DB> s,
                              hn::Vec<DB> t) const {
    auto q = NibblesAt(blk + (k5Bit ? 8 : 4), j);
    if constexpr (k5Bit) q = hn::Or(q, FifthBits(blk + 4, j));
    const auto qf = hn::ConvertTo(DB(), hn::BitCast(DBI(), q));
    return hn::Add(hn::Mul(qf, s), t);
  }
};

// ggml's q5_0 (decode only): (q - 16) * d, the subtraction in integers as
// gguf-py does (so code 16 gives -0 for a negative d, as the scalar codec).
// Per vector: nibble (2), fifth bits (4), or, subtract, convert, multiply:
// 10 ops.
struct Q5_0Loader {
  static constexpr size_t kBlockBytes = kQ5_0BlockBytes;
  BlockParams p;
  HWY_INLINE hn::Vec<DB> Setup(int i, size_t b) const {
    return hn::Set(DB(), p.scale[i][b]);
  }
  HWY_INLINE hn::Vec<DB> Setup2(int, size_t) const { return hn::Zero(DB()); }
  HWY_INLINE hn::Vec<DB> Load(int, const uint8_t* blk, size_t j, hn::Vec<DB> s,
                              hn::Vec<DB>) const {
    const auto q = hn::Or(NibblesAt(blk + 6, j), FifthBits(blk + 2, j));
    const auto centered = hn::Sub(hn::BitCast(DBI(), q), hn::Set(DBI(), 16));
    return hn::Mul(hn::ConvertTo(DB(), centered), s);
  }
};

// The 16 unscaled values of a 4-bit code, per format: q4_0 q - 8, iq4_nl
// llama.cpp's table, qins4 the signed magnitudes of each of its 16 tables
// (index sign << 3 | m). Scaled per block with one multiply, which rounds
// exactly as the scalar decoder does.
struct Int4Tables {
  HWY_ALIGN float q4_0[16];
  HWY_ALIGN float iq4_nl[16];
  HWY_ALIGN float qins4[16][16];
};

inline const Int4Tables& GetInt4Tables() {
  static const Int4Tables t = [] {
    Int4Tables r;
    for (int q = 0; q < 16; ++q) {
      r.q4_0[q] = static_cast<float>(q - 8);
      r.iq4_nl[q] = kIQ4NLValues[q];
    }
    for (int s = 0; s < 16; ++s) {
      r.qins4[s][0] = r.qins4[s][8] = 0.0f;
      for (int m = 1; m < 8; ++m) {
        r.qins4[s][m] = kQins4Tables[s][m - 1];
        r.qins4[s][8 + m] = -kQins4Tables[s][m - 1];
      }
    }
    return r;
  }();
  return t;
}

// `regtable` for the 4-bit table formats. Per block and row: the scaled
// table, 1 multiply per table vector. Per vector of weights:
// - 16 lanes (AVX-512): nibble (2), one permute, FMA: 4 ops;
// - 8 lanes (AVX2): nibble (2), and 7, two permutes, compare, blend, FMA: 8;
// - otherwise the table is stored per block (16 floats) and read with
//   GatherIndex: nibble (2), gather, FMA (this is the `gather` strategy).
// `base[i]` returns row i's unscaled table for block b.
template <class BaseTable, bool kUseGather>
struct Int4TableLoader {
  static constexpr size_t kBlockBytes = kNibbleBlockBytes;
  static constexpr size_t kLanes = kUseGather ? 0 : kRegTableLanes;
  BlockParams p;
  BaseTable base;
  float (*stored)[16];  // per-row block table for the gather path
  // The scaled table entries t[k] * scale; where the format defines a code
  // as exactly zero whatever the scale (qins4's m = 0, BaseTable::
  // kZeroIsExact), that entry stays +0 even for an Inf or NaN block scale,
  // as the scalar codec decodes it (found by from_parts_fuzzer).
  HWY_INLINE hn::Vec<DB> Scaled(hn::Vec<DB> t, hn::Vec<DB> s) const {
    const auto v = hn::Mul(t, s);
    if constexpr (BaseTable::kZeroIsExact) {
      return hn::IfThenZeroElse(hn::Eq(t, hn::Zero(DB())), v);
    } else {
      return v;
    }
  }
  HWY_INLINE hn::Vec<DB> Setup(int i, size_t b) const {
    const DB d;
    const float* t = base(p, i, b);
    const auto s = hn::Set(d, p.scale[i][b]);
    if constexpr (kLanes != 0) {
      return Scaled(hn::LoadU(d, t), s);
    } else {
      const size_t N = hn::Lanes(d);
      for (size_t k = 0; k < 16; k += N) {
        hn::Store(Scaled(hn::LoadU(d, t + k), s), d, stored[i] + k);
      }
      return s;
    }
  }
  HWY_INLINE hn::Vec<DB> Setup2(int i, size_t b) const {
    if constexpr (kLanes == 8) {
      return Scaled(hn::LoadU(DB(), base(p, i, b) + 8),
                    hn::Set(DB(), p.scale[i][b]));
    } else {
      return hn::Zero(DB());
    }
  }
  HWY_INLINE hn::Vec<DB> Load(int i, const uint8_t* blk, size_t j,
                              hn::Vec<DB> s, hn::Vec<DB> t) const {
    const DB d;
    const auto idx = hn::BitCast(DBI(), Nibbles(blk, j));
    if constexpr (kLanes == 16) {
      return hn::TableLookupLanes(s, hn::IndicesFromVec(d, idx));
    } else if constexpr (kLanes == 8) {
      const auto lo = hn::And(idx, hn::Set(DBI(), 7));
      const auto ix = hn::IndicesFromVec(d, lo);
      const auto hi_mask = hn::RebindMask(d, hn::Gt(idx, hn::Set(DBI(), 7)));
      return hn::IfThenElse(hi_mask, hn::TableLookupLanes(t, ix),
                            hn::TableLookupLanes(s, ix));
    } else {
      (void)s;
      (void)t;
      return hn::GatherIndex(d, stored[i], idx);
    }
  }
};

struct FixedTable {
  // q4_0's (q - 8) d and iq4_nl's v d: a non-finite d gives NaN for code 8
  // too, in the scalar codec as here.
  static constexpr bool kZeroIsExact = false;
  const float* t;
  HWY_INLINE const float* operator()(const BlockParams&, int, size_t) const {
    return t;
  }
};
struct Qins4Table {
  static constexpr bool kZeroIsExact = true;  // m = 0 is 0 (Qins4BlockTable)
  const float (*t)[16];
  HWY_INLINE const float* operator()(const BlockParams& p, int i,
                                     size_t b) const {
    return t[p.select[i][b]];
  }
};

// Header of a block -> f16 bits of its scale (and the qins4 selector).
struct F16Header {
  static uint16_t ScaleBits(uint16_t h) { return h; }
  static uint8_t Select(uint16_t) { return 0; }
};
struct Qins4Header {
  // scale12 << 4 | table; the scale's f16 bits are scale12 << 3.
  static uint16_t ScaleBits(uint16_t h) {
    return static_cast<uint16_t>((h >> 4) << 3);
  }
  static uint8_t Select(uint16_t h) { return static_cast<uint8_t>(h & 0xF); }
};

// Per-thread scratch for the block scales and table selectors of up to
// `rows` rows of `cols` weights, and one row of header bits (zeroed), grown
// once and reused: small matrices (a 128-column layer of a tiny model) would
// otherwise pay three allocations per call, and a decode per row must not
// allocate. Plain pointers are returned because each use of a thread_local
// in this shared library is a __tls_get_addr call, which the compiler does
// not hoist out of a block loop (measured: 15.2 -> 10.4 Gw/s, q4_0 hot).
// `Owner` gives each caller its own storage.
struct BlockScratch {
  size_t blocks;  // blocks per row
  size_t bp;      // blocks rounded up to a multiple of the lanes
  float* scale;   // rows * bp
  uint8_t* select;
  uint16_t* bits;  // bp, zero
};

template <class Owner>
HWY_INLINE BlockScratch GetBlockScratch(size_t cols, size_t rows) {
  const size_t N = hn::Lanes(DB());
  BlockScratch s;
  s.blocks = (cols + kWeightBlock - 1) / kWeightBlock;
  s.bp = (s.blocks + N - 1) / N * N;
  thread_local std::vector<float> scale;
  thread_local std::vector<uint8_t> select;
  thread_local std::vector<uint16_t> bits;
  if (scale.size() < rows * s.bp) scale.resize(rows * s.bp);
  if (select.size() < rows * s.bp) select.resize(rows * s.bp);
  if (bits.size() < s.bp) bits.resize(s.bp);
  s.scale = scale.data();
  s.select = select.data();
  s.bits = bits.data();
  std::fill(s.bits, s.bits + s.bp, uint16_t{0});
  return s;
}

// Block scales (f32) and qins4 table selectors of one row's `blocks`
// blocks of `block_bytes`: each header's scale bits are copied into `bits`
// (bp u16, bp = blocks rounded up to a multiple of the lanes, zero past
// `blocks`) and converted with one vector PromoteTo per N blocks (a scalar
// f16 decode per block would cost ~10 ops). An Inf or NaN scale (exponent
// 31) is converted by the scalar codecs' F16ToF32 instead: Highway 1.0.3's
// emulated PromoteTo (SSE4, SSSE3, SCALAR; no F16C) turns it into a finite
// 2^16 .. 2^17, so an f16 overflow of a block scale decoded finite there
// and Quantize kept it (found 2026-12-06 with q4_1/q5_0; q8_0, q4_0 and
// iq4_nl too); native conversions also quiet a signalling NaN, which
// F16ToF32 keeps as the scalar decoders do.
template <class Header>
HWY_INLINE void LoadBlockParams(const uint8_t* row, size_t blocks, size_t bp,
                                size_t block_bytes, uint16_t* HWY_RESTRICT bits,
                                float* HWY_RESTRICT scale,
                                uint8_t* HWY_RESTRICT select) {
  const DB d;
  const size_t N = hn::Lanes(d);
  const hn::Rebind<hwy::float16_t, DB> dh;
  bool non_finite = false;
  for (size_t b = 0; b < blocks; ++b) {
    uint16_t h;
    memcpy(&h, row + b * block_bytes, 2);
    bits[b] = Header::ScaleBits(h);
    select[b] = Header::Select(h);
    non_finite |= (bits[b] & 0x7C00u) == 0x7C00u;
  }
  for (size_t b = 0; b < bp; b += N) {
    hn::StoreU(
        hn::PromoteTo(
            d,
            hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(bits) + b)),
        d, scale + b);
  }
  if (HWY_UNLIKELY(non_finite)) {
    for (size_t b = 0; b < blocks; ++b) {
      if ((bits[b] & 0x7C00u) == 0x7C00u) scale[b] = F16ToF32(bits[b]);
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_FORMATS_LOADERS_INL_H_
