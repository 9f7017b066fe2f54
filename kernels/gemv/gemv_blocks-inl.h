// Per-target fused GEMV kernels for the blocked formats (q8_0, q4_0, iq4_nl,
// qins4: 32 weights per block with a 2-byte header first). Weights are
// decoded in registers, multiplied by their block's scale, and fed straight
// into the FMA with x. Included once per target by dispatch/gemv_dispatch.cc
// (after gemv_fused-inl.h, whose contract they share: x zero-padded, one
// fixed summation order per row, independent of threads and row grouping).
//
// Block scales: a scalar f16 decode costs ~10 ops, which per block and row
// would be 5 ops per vector on AVX-512. So each group of rows first copies
// its headers into a u16 array (2 ops per block) and converts them with one
// vector PromoteTo per N blocks; the main loop broadcasts the f32 scale
// from memory (1 op per block).

#if defined(QINS_KERNELS_GEMV_GEMV_BLOCKS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_GEMV_GEMV_BLOCKS_INL_H_
#undef QINS_KERNELS_GEMV_GEMV_BLOCKS_INL_H_
#else
#define QINS_KERNELS_GEMV_GEMV_BLOCKS_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/formats/qins4_tables.h"
#include "kernels/gemv/group_prefetch.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

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
// qins4, the table selectors. `blocks_padded` is a multiple of the lanes.
struct BlockParams {
  const float* scale[4];
  const uint8_t* select[4];
};

// Sums kRows (1 or 4) rows of `blocks` blocks. Loader::Setup(i, b) and
// Setup2(i, b) return block b's loop-invariant vectors for row i (scale,
// offset or register table); Loader::Load(i, blk, j, s, t) returns the f32
// weights [j, j + N) of the block at `blk`. Two accumulators per row over
// even and odd vectors, as in FusedRows.
template <size_t kRows, class Loader>
HWY_INLINE void FusedBlockRows(
    const Loader& ld, const uint8_t* HWY_RESTRICT w, size_t stride,
    size_t blocks, const float* HWY_RESTRICT x, float* HWY_RESTRICT out,
    GroupPrefetch pf = GroupPrefetch(nullptr, 0, 0)) {  // 1 row: unused
  constexpr bool k4 = kRows == 4;
  constexpr size_t kBytes = Loader::kBlockBytes;
  const DB d;
  const size_t N = hn::Lanes(d);
  const uint8_t* w0 = w;
  const uint8_t* w1 = w + (k4 ? 1 : 0) * stride;
  const uint8_t* w2 = w + (k4 ? 2 : 0) * stride;
  const uint8_t* w3 = w + (k4 ? 3 : 0) * stride;
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), b0 = hn::Zero(d), b1 = hn::Zero(d);
  auto c0 = hn::Zero(d), c1 = hn::Zero(d), e0 = hn::Zero(d), e1 = hn::Zero(d);
  for (size_t b = 0; b < blocks; ++b) {
    if constexpr (k4) pf.Step();  // 4-row groups only
    const float* xb = x + b * 32;
    const size_t o = b * kBytes;
    const auto s0 = ld.Setup(0, b), t0 = ld.Setup2(0, b);
    const auto s1 = ld.Setup(k4 ? 1 : 0, b), t1 = ld.Setup2(k4 ? 1 : 0, b);
    const auto s2 = ld.Setup(k4 ? 2 : 0, b), t2 = ld.Setup2(k4 ? 2 : 0, b);
    const auto s3 = ld.Setup(k4 ? 3 : 0, b), t3 = ld.Setup2(k4 ? 3 : 0, b);
    for (size_t j = 0; j < 32; j += 2 * N) {
      const auto x0 = hn::LoadU(d, xb + j);
      const auto x1 = hn::LoadU(d, xb + j + N);
      a0 = hn::MulAdd(ld.Load(0, w0 + o, j, s0, t0), x0, a0);
      a1 = hn::MulAdd(ld.Load(0, w0 + o, j + N, s0, t0), x1, a1);
      if constexpr (k4) {
        b0 = hn::MulAdd(ld.Load(1, w1 + o, j, s1, t1), x0, b0);
        b1 = hn::MulAdd(ld.Load(1, w1 + o, j + N, s1, t1), x1, b1);
        c0 = hn::MulAdd(ld.Load(2, w2 + o, j, s2, t2), x0, c0);
        c1 = hn::MulAdd(ld.Load(2, w2 + o, j + N, s2, t2), x1, c1);
        e0 = hn::MulAdd(ld.Load(3, w3 + o, j, s3, t3), x0, e0);
        e1 = hn::MulAdd(ld.Load(3, w3 + o, j + N, s3, t3), x1, e1);
      }
    }
  }
  out[0] = hn::GetLane(hn::SumOfLanes(d, hn::Add(a0, a1)));
  if constexpr (k4) {
    out[1] = hn::GetLane(hn::SumOfLanes(d, hn::Add(b0, b1)));
    out[2] = hn::GetLane(hn::SumOfLanes(d, hn::Add(c0, c1)));
    out[3] = hn::GetLane(hn::SumOfLanes(d, hn::Add(e0, e1)));
  }
}

// The 4-bit index vector for weights [j, j + N) of a nibble block (q4_0's
// order: low nibbles of bytes 0..15 are weights 0..15, high nibbles 16..31):
// zero-extending load, then and or shift: 2 ops.
HWY_INLINE hn::Vec<DBU> Nibbles(const uint8_t* blk, size_t j) {
  const DBU du;
  const hn::Rebind<uint8_t, DB> d8;
  if (j < 16) {
    return hn::And(hn::PromoteTo(du, hn::LoadU(d8, blk + 2 + j)),
                   hn::Set(du, 0xF));
  }
  return hn::ShiftRight<4>(hn::PromoteTo(du, hn::LoadU(d8, blk + 2 + j - 16)));
}

// q8_0 `direct`: sign-extending load, convert, multiply by the block scale,
// FMA: 4 ops per vector.
struct Q8_0Loader {
  static constexpr size_t kBlockBytes = 34;
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
// both products have at most 4 + 11 significant bits), FMA: 5 ops.
struct Q4_0Loader {
  static constexpr size_t kBlockBytes = 18;
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
  static constexpr size_t kBlockBytes = 18;
  static constexpr size_t kLanes = kUseGather ? 0 : kRegTableLanes;
  BlockParams p;
  BaseTable base;
  float (*stored)[16];  // per-row block table for the gather path
  HWY_INLINE hn::Vec<DB> Setup(int i, size_t b) const {
    const DB d;
    const float* t = base(p, i, b);
    const auto s = hn::Set(d, p.scale[i][b]);
    if constexpr (kLanes != 0) {
      return hn::Mul(hn::LoadU(d, t), s);
    } else {
      const size_t N = hn::Lanes(d);
      for (size_t k = 0; k < 16; k += N) {
        hn::Store(hn::Mul(hn::LoadU(d, t + k), s), d, stored[i] + k);
      }
      return s;
    }
  }
  HWY_INLINE hn::Vec<DB> Setup2(int i, size_t b) const {
    if constexpr (kLanes == 8) {
      return hn::Mul(hn::LoadU(DB(), base(p, i, b) + 8),
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
  const float* t;
  HWY_INLINE const float* operator()(const BlockParams&, int, size_t) const {
    return t;
  }
};
struct Qins4Table {
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

// Runs rows [r0, r1) of a blocked format in groups of 4: block parameters of
// the group first, then FusedBlockRows.
template <class Header, class MakeLoader>
HWY_INLINE void FusedBlockGemvRows(const QuantizedMatrix::Data& m,
                                   const float* x, float* y, size_t r0,
                                   size_t r1, size_t block_bytes,
                                   MakeLoader&& make) {
  const DB d;
  const size_t N = hn::Lanes(d);
  const size_t blocks = (m.cols + 31) / 32;
  const size_t bp = (blocks + N - 1) / N * N;
  // Per-thread scratch, grown once: small matrices (a 128-column layer of a
  // tiny model) would otherwise pay three allocations per call.
  thread_local std::vector<float> scales;
  thread_local std::vector<uint16_t> bits;
  thread_local std::vector<uint8_t> select;
  if (scales.size() < 4 * bp) scales.resize(4 * bp);
  if (select.size() < 4 * bp) select.resize(4 * bp);
  if (bits.size() < bp) bits.resize(bp);
  HWY_ALIGN float stored[4][16];
  const hn::Rebind<hwy::float16_t, DB> dh;
  // Plain pointers from here on: each use of a thread_local in this shared
  // library is a __tls_get_addr call, which the compiler does not hoist out
  // of the block loop (measured: 15.2 -> 10.4 Gw/s, q4_0 hot).
  float* const scale_base = scales.data();
  uint8_t* const select_base = select.data();
  uint16_t* const bits_p = bits.data();
  std::fill(bits_p, bits_p + bp, uint16_t{0});
  float out[4];
  for (size_t r = r0; r < r1; r += 4) {
    const size_t n = std::min<size_t>(4, r1 - r);
    BlockParams p;
    for (size_t i = 0; i < 4; ++i) {
      const size_t row = r + (i < n ? i : 0);
      float* sc = scale_base + i * bp;
      uint8_t* sel = select_base + i * bp;
      const uint8_t* w = m.row(row);
      for (size_t b = 0; b < blocks; ++b) {
        uint16_t h;
        memcpy(&h, w + b * block_bytes, 2);
        bits_p[b] = Header::ScaleBits(h);
        sel[b] = Header::Select(h);
      }
      for (size_t b = 0; b < bp; b += N) {
        hn::StoreU(
            hn::PromoteTo(
                d,
                hn::LoadU(dh,
                          reinterpret_cast<const hwy::float16_t*>(bits_p) + b)),
            d, sc + b);
      }
      p.scale[i] = sc;
      p.select[i] = sel;
    }
    const auto ld = make(p, stored);
    if (n == 4) {
      FusedBlockRows<4>(ld, m.row(r), m.row_stride, blocks, x, out,
                        GroupPrefetch::ForGroup(m, r, r1, blocks));
      for (size_t i = 0; i < 4; ++i) y[r + i] = out[i];
    } else {
      for (size_t i = 0; i < n; ++i) {
        // Row i of the group as row 0 of a one-row loader.
        BlockParams p1 = p;
        p1.scale[0] = p.scale[i];
        p1.select[0] = p.select[i];
        const auto ld1 = make(p1, stored);
        FusedBlockRows<1>(ld1, m.row(r + i), m.row_stride, blocks, x, out);
        y[r + i] = out[0];
      }
    }
  }
}

HWY_NOINLINE void GemvQ8_0(const QuantizedMatrix::Data& m, const float* x,
                           size_t, float* y, size_t r0, size_t r1) {
  FusedBlockGemvRows<F16Header>(
      m, x, y, r0, r1, 34,
      [](const BlockParams& p, float(*)[16]) { return Q8_0Loader{p}; });
}

HWY_NOINLINE void GemvQ4_0(const QuantizedMatrix::Data& m, const float* x,
                           size_t, float* y, size_t r0, size_t r1) {
  FusedBlockGemvRows<F16Header>(
      m, x, y, r0, r1, 18,
      [](const BlockParams& p, float(*)[16]) { return Q4_0Loader{p}; });
}

template <bool kGather>
HWY_INLINE void GemvInt4Fixed(const QuantizedMatrix::Data& m, const float* x,
                              float* y, size_t r0, size_t r1,
                              const float* table) {
  FusedBlockGemvRows<F16Header>(
      m, x, y, r0, r1, 18, [table](const BlockParams& p, float(*st)[16]) {
        return Int4TableLoader<FixedTable, kGather>{p, FixedTable{table}, st};
      });
}

HWY_NOINLINE void GemvQ4_0Regtable(const QuantizedMatrix::Data& m,
                                   const float* x, size_t, float* y, size_t r0,
                                   size_t r1) {
  GemvInt4Fixed<false>(m, x, y, r0, r1, GetInt4Tables().q4_0);
}

HWY_NOINLINE void GemvIQ4NLRegtable(const QuantizedMatrix::Data& m,
                                    const float* x, size_t, float* y, size_t r0,
                                    size_t r1) {
  GemvInt4Fixed<false>(m, x, y, r0, r1, GetInt4Tables().iq4_nl);
}

HWY_NOINLINE void GemvIQ4NLGather(const QuantizedMatrix::Data& m,
                                  const float* x, size_t, float* y, size_t r0,
                                  size_t r1) {
  GemvInt4Fixed<true>(m, x, y, r0, r1, GetInt4Tables().iq4_nl);
}

template <bool kGather>
HWY_INLINE void GemvQins4Impl(const QuantizedMatrix::Data& m, const float* x,
                              float* y, size_t r0, size_t r1) {
  const float(*tables)[16] = GetInt4Tables().qins4;
  FusedBlockGemvRows<Qins4Header>(
      m, x, y, r0, r1, 18, [tables](const BlockParams& p, float(*st)[16]) {
        return Int4TableLoader<Qins4Table, kGather>{p, Qins4Table{tables}, st};
      });
}

HWY_NOINLINE void GemvQins4Regtable(const QuantizedMatrix::Data& m,
                                    const float* x, size_t, float* y, size_t r0,
                                    size_t r1) {
  GemvQins4Impl<false>(m, x, y, r0, r1);
}

HWY_NOINLINE void GemvQins4Gather(const QuantizedMatrix::Data& m,
                                  const float* x, size_t, float* y, size_t r0,
                                  size_t r1) {
  GemvQins4Impl<true>(m, x, y, r0, r1);
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_GEMV_GEMV_BLOCKS_INL_H_
