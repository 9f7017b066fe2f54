// Per-target `dot` GEMV kernel over qins::Repack's interleaved copy of a
// q4_0, q4_1, q5_0, q5_1, iq4_nl, q2_k .. q6_k, iq4_xs or qins4 matrix
// (kernels/gemv/repacked_nibbles.h).
// Included once per target by dispatch/gemv_dispatch.cc; only AVX3_DL has
// one (the table's entry is null elsewhere, and Gemv then reads the rows as
// usual).
//
// Numerics: those of the `dot` GEMV (kernels/gemv/gemv_dot-inl.h), bit for
// bit: per block the exact int32 S = sum w_j q_j, then P[b % 8] = P[b % 8] +
// (dw * dx) * (float)S (q4_1: then P[b % 8] + (m * dx) * (float)X, X x's
// code sum; qins4: dw = Qins4DotScale of the header), y = ((P0 + P4) + (P2
// + P6)) + ((P1 + P5) + (P3 + P7)); the blocks past the matrix (padding to
// 8) hold scale 0 and add +0. tests/kernels/gemv/gemv_repacked_test.cc
// checks equality with the row kernel on every target.
//
// AVX3_DL, one int32 lane per row of a 16-row panel. Per block of 32
// columns and 16 rows (512 weights): 4 64-byte loads (unaligned: the blocks
// are 288 or 320 bytes); per load an and, a 16-bit shift and an and
// (iq4_nl: + 2 vpshufb from its 16 values + 128; qins4: + 2 x 5 ops of
// Qins4Lookup, each row's table through one vpermi2b), giving 2 groups of 4
// codes per row, each into a vpdpbusd with x's broadcast dword (q4_0's
// nibble is w + 8: the int32 sum starts at -8 times x's code sum; iq4_nl's
// and qins4's w + 128 at -128 times it); then an add of the two sums, the
// 16 f16 scales converted (vcvtph2ps), 2 multiplies, a convert and the add
// into P: ~27 ops per 512 weights (iq4_nl ~35, q4_1 ~32, qins4 ~72 with its
// per-block table and scale unpack of ~8), against the row kernel's ~6 per
// 32 weights and row (~96 per 512; qins4's ~8, ~128).

#if defined(QINS_KERNELS_GEMV_GEMV_REPACKED_INL_H_) == \
    defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_GEMV_GEMV_REPACKED_INL_H_
#undef QINS_KERNELS_GEMV_GEMV_REPACKED_INL_H_
#else
#define QINS_KERNELS_GEMV_GEMV_REPACKED_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hwy/highway.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/qins4_tables.h"
#include "kernels/gemv/quantize_x.h"
#include "kernels/gemv/repacked_nibbles.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_AVX3_DL
#define QINS_REPACK_ATTR __attribute__((target(HWY_TARGET_STR ",avx512vnni")))

// 16 f16 at p (unaligned), as f32.
QINS_REPACK_ATTR HWY_INLINE __m512 LoadHalves16(const uint8_t* p) {
  return _mm512_cvtph_ps(
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// y of panel p's rows from the 8 partial sums: ((P0 + P4) + (P2 + P6)) +
// ((P1 + P5) + (P3 + P7)), lane-wise; the rows past the matrix not stored.
QINS_REPACK_ATTR HWY_INLINE void StorePanelY(const __m512* part,
                                             const RepackedNibbles& r, size_t p,
                                             float* HWY_RESTRICT y) {
  const __m512 v =
      _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(part[0], part[4]),
                                  _mm512_add_ps(part[2], part[6])),
                    _mm512_add_ps(_mm512_add_ps(part[1], part[5]),
                                  _mm512_add_ps(part[3], part[7])));
  const size_t row0 = p * kRepackRows;
  const size_t n = r.rows - row0 < kRepackRows ? r.rows - row0 : kRepackRows;
  _mm512_mask_storeu_ps(y + row0, static_cast<__mmask16>((1u << n) - 1), v);
}

// How a repacked nibble becomes vpdpbusd's unsigned operand.
enum class NibbleLookup {
  kNone,     // q4_0, q4_1, q4_k: the nibble itself
  kShuffle,  // iq4_nl: one 16-entry table for all rows (vpshufb)
  kQins4,    // qins4: each row's block has its own table (vpermi2b)
};

// qins4's lookup of 64 nibbles (n, in the low 4 bits of each byte, sign <<
// 3 | m) for the 16 rows of a panel: index (table << 3 | m) into
// kQins4BiasedPositive (pos_lo, pos_hi: its two 64-byte halves), tsh
// holding each row's table << 3 in its 4 bytes; then 128 + v negated mod
// 256 where the sign bit is set (the table is sign-symmetric,
// qins4_tables.h): and, or, vpermi2b, vptestmb, masked subtract.
QINS_REPACK_ATTR HWY_INLINE __m512i Qins4Lookup(__m512i n, __m512i tsh,
                                                __m512i pos_lo,
                                                __m512i pos_hi) {
  const __m512i idx =
      _mm512_or_si512(_mm512_and_si512(n, _mm512_set1_epi8(7)), tsh);
  const __m512i v = _mm512_permutex2var_epi8(pos_lo, idx, pos_hi);
  const __mmask64 neg = _mm512_test_epi8_mask(n, _mm512_set1_epi8(8));
  return _mm512_mask_sub_epi8(v, neg, _mm512_setzero_si512(), v);
}

// The int32 sums of one block (32 columns) of a 16-row panel: 4 loads, per
// load an and, a shift and an and (kShuffle: + 2 vpshufb through t0;
// kQins4: + 2 Qins4Lookup through t0, t1 and tsh; with `fifth` (Q5_K) 2 x
// (shift, and, or) for the fifth bits, bits 2 h and 2 h + 1 of its 64
// bytes moved to bit 4), 2 vpdpbusd with x's broadcast dwords, in two
// chains (one from `init`, the bias) added at the end.
template <NibbleLookup kLookup, bool kFifth = false>
QINS_REPACK_ATTR HWY_INLINE __m512i
NibbleBlockDot(const uint8_t* blk, const int8_t* xq, __m512i init, __m512i t0,
               __m512i t1, __m512i tsh, const uint8_t* fifth = nullptr) {
  const __m512i lo4 = _mm512_set1_epi8(0x0F);
  const __m512i b4 = _mm512_set1_epi8(0x10);
  __m512i a = init;
  __m512i c = _mm512_setzero_si512();
  __m512i qh = _mm512_setzero_si512();
  if constexpr (kFifth) qh = _mm512_loadu_si512(fifth);
#pragma GCC unroll 4
  for (size_t h = 0; h < 4; ++h) {
    const __m512i v = _mm512_loadu_si512(blk + 64 * h);
    __m512i lo = _mm512_and_si512(v, lo4);
    __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), lo4);
    if constexpr (kFifth) {
      // Bit 2 h (lo) and 2 h + 1 (hi) to bit 4; 16-bit shifts by at most 4,
      // the mask drops what crosses a byte.
      const int sl = 4 - 2 * static_cast<int>(h), sh = sl - 1;
      const __m512i fl =
          sl >= 0 ? _mm512_slli_epi16(qh, sl) : _mm512_srli_epi16(qh, -sl);
      const __m512i fh =
          sh >= 0 ? _mm512_slli_epi16(qh, sh) : _mm512_srli_epi16(qh, -sh);
      lo = _mm512_or_si512(lo, _mm512_and_si512(fl, b4));
      hi = _mm512_or_si512(hi, _mm512_and_si512(fh, b4));
    }
    if constexpr (kLookup == NibbleLookup::kShuffle) {
      lo = _mm512_shuffle_epi8(t0, lo);
      hi = _mm512_shuffle_epi8(t0, hi);
    } else if constexpr (kLookup == NibbleLookup::kQins4) {
      lo = Qins4Lookup(lo, tsh, t0, t1);
      hi = Qins4Lookup(hi, tsh, t0, t1);
    }
    int32_t x0, x1;
    memcpy(&x0, xq + 8 * h, 4);
    memcpy(&x1, xq + 8 * h + 4, 4);
    a = _mm512_dpbusd_epi32(a, lo, _mm512_set1_epi32(x0));
    c = _mm512_dpbusd_epi32(c, hi, _mm512_set1_epi32(x1));
  }
  return _mm512_add_epi32(a, c);
}

// kKind: q4_0, iq4_nl, q4_1, q5_0, q5_1 or qins4.
template <FormatKind kKind>
QINS_REPACK_ATTR void GemvRepackedPanels(const RepackedNibbles& r,
                                         const Q8Blocks& x, size_t p0,
                                         size_t p1, float* HWY_RESTRICT y) {
  const size_t nb = r.blocks;
  constexpr bool kIQ4 = kKind == FormatKind::kIQ4_NL;
  constexpr bool kQins4 = kKind == FormatKind::kQins4;
  constexpr bool kMin =
      kKind == FormatKind::kQ4_1 || kKind == FormatKind::kQ5_1;
  constexpr bool kFifth =
      kKind == FormatKind::kQ5_0 || kKind == FormatKind::kQ5_1;
  // q5_0 / q5_1: the fifth bits after the scales (and mins).
  constexpr size_t kFifthAt = kRepackCodeBytes + (kMin ? 64 : 32);
  constexpr NibbleLookup kLookup = kIQ4     ? NibbleLookup::kShuffle
                                   : kQins4 ? NibbleLookup::kQins4
                                            : NibbleLookup::kNone;
  const __m512i t0 =
      kQins4 ? _mm512_loadu_si512(kQins4BiasedPositive.v)
             : _mm512_broadcast_i32x4(_mm_loadu_si128(
                   reinterpret_cast<const __m128i*>(kIQ4NLBiased.v)));
  const __m512i t1 = kQins4 ? _mm512_loadu_si512(kQins4BiasedPositive.v + 64)
                            : _mm512_setzero_si512();
  // The codes' bias: q4_0's nibble is w + 8, q5_0's 5-bit code w + 16,
  // iq4_nl's and qins4's looked-up w + 128; q4_1's nibble and q5_1's code
  // are w.
  const int32_t bias = kIQ4 || kQins4               ? -128
                       : kMin                       ? 0
                       : kKind == FormatKind::kQ5_0 ? -16
                                                    : -8;
  for (size_t p = p0; p < p1; ++p) {
    __m512 part[8];
    for (int j = 0; j < 8; ++j) part[j] = _mm512_setzero_ps();
    for (size_t b0 = 0; b0 < nb; b0 += 8) {
#pragma GCC unroll 8
      for (size_t j = 0; j < 8; ++j) {
        const size_t b = b0 + j;
        const uint8_t* blk = r.block(p, b);
        const int8_t* xq = x.q + b * 32;
        const __m256i h16 = _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(blk + kRepackCodeBytes));
        __m512i tsh = _mm512_setzero_si512();
        __m512 dw;
        if constexpr (kQins4) {
          // Row r's table << 3 in the 4 bytes of dword r (the table < 16,
          // so times 0x01010101 never carries); its 12-bit scale as the f16
          // bits (h & 0xFFF0) >> 1, times fl(1/127): Qins4DotScale.
          const __m512i t =
              _mm512_slli_epi32(_mm512_and_si512(_mm512_cvtepu16_epi32(h16),
                                                 _mm512_set1_epi32(0xF)),
                                3);
          tsh = _mm512_mullo_epi32(t, _mm512_set1_epi32(0x01010101));
          dw = _mm512_mul_ps(
              _mm512_cvtph_ps(_mm256_srli_epi16(
                  _mm256_and_si256(
                      h16, _mm256_set1_epi16(static_cast<int16_t>(0xFFF0))),
                  1)),
              _mm512_set1_ps(1.0f / 127));
        } else {
          dw = _mm512_cvtph_ps(h16);
        }
        const __m512i s = NibbleBlockDot<kLookup, kFifth>(
            blk, xq, _mm512_set1_epi32(bias * x.sum[b]), t0, t1, tsh,
            kFifth ? blk + kFifthAt : nullptr);
        const __m512 dx = _mm512_set1_ps(x.d[b]);
        const __m512 cd = _mm512_mul_ps(dw, dx);
        part[j] =
            _mm512_add_ps(part[j], _mm512_mul_ps(cd, _mm512_cvtepi32_ps(s)));
        if constexpr (kMin) {  // + (m * dx) * X, X x's code sum
          const __m512 m = LoadHalves16(blk + kRepackCodeBytes + 32);
          const __m512 xs = _mm512_set1_ps(static_cast<float>(x.sum[b]));
          part[j] =
              _mm512_add_ps(part[j], _mm512_mul_ps(_mm512_mul_ps(m, dx), xs));
        }
      }
    }
    StorePanelY(part, r, p, y);
  }
}

// The K-quant copies' loop: per panel and super-block, what the
// super-block's 8 blocks share (F::Super, F::LoadSuper: its rows' f16 d,
// ...), then F::Block adds block j (x block b) into the partial sum P[j];
// StorePanelY at the end of each panel.
template <class F>
QINS_REPACK_ATTR HWY_NOINLINE void GemvRepackedSuperBlocks(
    const RepackedNibbles& r, const Q8Blocks& x, size_t p0, size_t p1,
    float* HWY_RESTRICT y) {
  for (size_t p = p0; p < p1; ++p) {
    __m512 part[8];
    for (int j = 0; j < 8; ++j) part[j] = _mm512_setzero_ps();
    for (size_t sb = 0; sb < r.blocks; ++sb) {
      const uint8_t* base = r.block(p, sb);
      const typename F::Super sup = F::LoadSuper(base);
#pragma GCC unroll 8
      for (size_t j = 0; j < 8; ++j)
        part[j] = F::Block(sup, base, j, 8 * sb + j, x, part[j]);
    }
    StorePanelY(part, r, p, y);
  }
}

// Q4_K (numerics of kernels/gemv/gemv_kquant_dot-inl.h, bit for bit): per
// block j of a super-block S_j = sum q x (the nibble is q, no bias), then
// P[j] + ((d * sc_j) * S_j - (dmin * m_j) * X) * dx, the products d * sc_j
// and dmin * m_j exact in f32. Per block and panel: the 4 loads, 12 unpack
// ops and 8 vpdpbusd of q4_0, the 6-bit scale and min widened and
// converted (4), 2 converts and 7 f32 ops.
// Q5_K (kFifth): the same numerics and kernel with the 5-bit codes (the
// fifth bits or'd in at bit 4: a load and 6 ops more per block and panel).
template <bool kFifth>
struct RepackedQ45K {
  static constexpr size_t kD = kFifth ? kRepackQ5KD : kRepackQ4KD;
  static constexpr size_t kDmin = kFifth ? kRepackQ5KDmin : kRepackQ4KDmin;
  static constexpr size_t kScales =
      kFifth ? kRepackQ5KScales : kRepackQ4KScales;
  static constexpr size_t kMins = kFifth ? kRepackQ5KMins : kRepackQ4KMins;
  static constexpr size_t kBlock0 = kFifth ? kRepackQ5KBlock : 0;
  static constexpr size_t kBlockBytes =
      kFifth ? kRepackQ5KBlockBytes : kRepackCodeBytes;

  struct Super {
    __m512 d, dmin;
  };
  QINS_REPACK_ATTR static HWY_INLINE Super LoadSuper(const uint8_t* base) {
    return {LoadHalves16(base + kD), LoadHalves16(base + kDmin)};
  }
  QINS_REPACK_ATTR static HWY_INLINE __m512 Block(const Super& sup,
                                                  const uint8_t* base, size_t j,
                                                  size_t b, const Q8Blocks& x,
                                                  __m512 part) {
    const uint8_t* blk = base + kBlock0 + j * kBlockBytes;
    const __m512i zero = _mm512_setzero_si512();
    const __m512i s = NibbleBlockDot<NibbleLookup::kNone, kFifth>(
        blk, x.q + b * 32, zero, zero, zero, zero,
        kFifth ? blk + kRepackQ5KHigh : nullptr);
    const __m512 sc = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(
        reinterpret_cast<const __m128i*>(base + kScales + 16 * j))));
    const __m512 mn = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(
        reinterpret_cast<const __m128i*>(base + kMins + 16 * j))));
    const __m512 dx = _mm512_set1_ps(x.d[b]);
    const __m512 dw = _mm512_mul_ps(sup.d, sc);     // exact
    const __m512 dm = _mm512_mul_ps(sup.dmin, mn);  // exact
    const __m512 t = _mm512_sub_ps(
        _mm512_mul_ps(dw, _mm512_cvtepi32_ps(s)),
        _mm512_mul_ps(dm, _mm512_set1_ps(static_cast<float>(x.sum[b]))));
    return _mm512_add_ps(part, _mm512_mul_ps(t, dx));
  }
};
using RepackedQ4K = RepackedQ45K<false>;
using RepackedQ5K = RepackedQ45K<true>;

// The f32 step of the formats with a signed int8 scale per 16-column half
// (Q6_K, Q3_K; the row kernels' KHalvesStep): sc the block's 16 rows' scales
// of its first half, then of its second ([half][row]), s_lo / s_hi the
// halves' int32 sums; T = sc_lo s_lo + sc_hi s_hi (exact), part + (d * dx)
// * (float)T. 2 widening loads, 2 vpmulld, an add, a convert, 3 f32 ops.
QINS_REPACK_ATTR HWY_INLINE __m512 HalvesStep(const uint8_t* sc, __m512i s_lo,
                                              __m512i s_hi, __m512 d, float dx,
                                              __m512 part) {
  const __m512i lo = _mm512_cvtepi8_epi32(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(sc)));
  const __m512i hi = _mm512_cvtepi8_epi32(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(sc + 16)));
  const __m512i t = _mm512_add_epi32(_mm512_mullo_epi32(lo, s_lo),
                                     _mm512_mullo_epi32(hi, s_hi));
  return _mm512_add_ps(part, _mm512_mul_ps(_mm512_mul_ps(d, _mm512_set1_ps(dx)),
                                           _mm512_cvtepi32_ps(t)));
}

// Q6_K (numerics of kernels/gemv/gemv_kquant_dot-inl.h, bit for bit): per
// block j of a super-block the exact int32 D_a, D_b = sum (q - 32) x over
// its two 16-column halves, T = sc_a D_a + sc_b D_b (exact, below 2^24),
// then P[j] + (d * dx) * (float)T. The 6-bit code q = nibble | high 2 bits
// << 4 is vpdpbusd's unsigned operand; each half's sum starts at -32 times
// x's code sum over it (Q8Blocks' sum_lo and sum - sum_lo). Per block and
// panel: the 4 loads and 12 unpack ops of q4_0, 2 loads and 4 x (shift, and,
// or) for the high bits, 8 vpdpbusd, 2 scale widenings, 2 vpmulld, an add, a
// convert and 3 f32 ops: ~50 ops per 512 weights, against the row kernel's
// ~9.75 per 32 weights and row (~156 per 512).
struct RepackedQ6K {
  struct Super {
    __m512 d;
  };
  QINS_REPACK_ATTR static HWY_INLINE Super LoadSuper(const uint8_t* base) {
    return {LoadHalves16(base + kRepackQ6KD)};
  }
  QINS_REPACK_ATTR static HWY_INLINE __m512 Block(const Super& sup,
                                                  const uint8_t* base, size_t j,
                                                  size_t b, const Q8Blocks& x,
                                                  __m512 part) {
    const __m512i lo4 = _mm512_set1_epi8(0x0F);
    const __m512i hi2 = _mm512_set1_epi8(0x30);
    const uint8_t* blk = base + kRepackQ6KBlock + j * kRepackQ6KBlockBytes;
    const uint8_t* high = blk + kRepackQ6KHigh;

    const int8_t* xq = x.q + b * 32;
    __m512i acc[2] = {_mm512_set1_epi32(-32 * x.sum_lo[b]),
                      _mm512_set1_epi32(-32 * (x.sum[b] - x.sum_lo[b]))};
#pragma GCC unroll 2
    for (size_t g = 0; g < 2; ++g) {
      const __m512i qh = _mm512_loadu_si512(high + 64 * g);
      // Group h = 2 g: high pairs at bits 0 and 2; h = 2 g + 1: 4, 6.
      const __m512i hb[4] = {_mm512_and_si512(_mm512_slli_epi16(qh, 4), hi2),
                             _mm512_and_si512(_mm512_slli_epi16(qh, 2), hi2),
                             _mm512_and_si512(qh, hi2),
                             _mm512_and_si512(_mm512_srli_epi16(qh, 2), hi2)};
#pragma GCC unroll 2
      for (size_t e = 0; e < 2; ++e) {
        const size_t h = 2 * g + e;
        const __m512i v = _mm512_loadu_si512(blk + 64 * h);
        const __m512i lo = _mm512_or_si512(_mm512_and_si512(v, lo4), hb[2 * e]);
        const __m512i hi = _mm512_or_si512(
            _mm512_and_si512(_mm512_srli_epi16(v, 4), lo4), hb[2 * e + 1]);
        int32_t x0, x1;
        memcpy(&x0, xq + 8 * h, 4);
        memcpy(&x1, xq + 8 * h + 4, 4);
        acc[g] = _mm512_dpbusd_epi32(acc[g], lo, _mm512_set1_epi32(x0));
        acc[g] = _mm512_dpbusd_epi32(acc[g], hi, _mm512_set1_epi32(x1));
      }
    }
    return HalvesStep(base + kRepackQ6KScales + 32 * j, acc[0], acc[1], sup.d,
                      x.d[b], part);
  }
};

// x's dword (4 codes) at xq broadcast to every lane.
QINS_REPACK_ATTR HWY_INLINE __m512i BroadcastX4(const int8_t* xq) {
  int32_t v;
  memcpy(&v, xq, 4);
  return _mm512_set1_epi32(v);
}

// One 16-column half of a 2-bit block (repacked_nibbles.h, Q2_K): the 4
// groups' codes (a shift and an and each; group 0 an and) into vpdpbusd
// with x's codes from xq, starting at acc; with `high` (Q3_K) the third
// bit of each code from bits 4 half + s of high (a shift and an and, an or).
template <bool kHigh>
QINS_REPACK_ATTR HWY_INLINE __m512i TwoBitHalfDot(const uint8_t* codes,
                                                  const uint8_t* high,
                                                  size_t half, const int8_t* xq,
                                                  __m512i acc) {
  const __m512i m3 = _mm512_set1_epi8(0x03);
  const __m512i m4 = _mm512_set1_epi8(0x04);
  const __m512i v = _mm512_loadu_si512(codes + 64 * half);
  __m512i hb = _mm512_setzero_si512();
  if constexpr (kHigh) hb = _mm512_loadu_si512(high);
#pragma GCC unroll 4
  for (int s = 0; s < 4; ++s) {
    __m512i u = _mm512_and_si512(s == 0 ? v : _mm512_srli_epi16(v, 2 * s), m3);
    if constexpr (kHigh) {
      // Bit 4 half + s to bit 2 (16-bit shifts; the mask drops what
      // crosses a byte).
      const int sh = 4 * static_cast<int>(half) + s - 2;
      const __m512i h =
          sh >= 0 ? _mm512_srli_epi16(hb, sh) : _mm512_slli_epi16(hb, -sh);
      u = _mm512_or_si512(u, _mm512_and_si512(h, m4));
    }
    acc = _mm512_dpbusd_epi32(acc, u, BroadcastX4(xq + 16 * half + 4 * s));
  }
  return acc;
}

// Q2_K (numerics of kernels/gemv/gemv_kquant_dot-inl.h, KDotQ2K, bit for
// bit): per block j of a super-block the exact int32 D_lo, D_hi over its
// halves (codes 0..3, unsigned: the sums start at 0), A = sc_lo D_lo +
// sc_hi D_hi and M = m_lo Xh_lo + m_hi Xh_hi (Q8Blocks' sum_lo and sum -
// sum_lo), then P[j] + (d * (float)A - dmin * (float)M) * dx. Per block
// and panel: 2 loads, 7 shift/and, 8 vpdpbusd, the scale bytes (2 loads
// with widening, 2 ands, 2 shifts), 4 vpmulld, 2 adds, 2 converts and 5 f32
// ops: ~36 ops per 512 weights, against the row kernel's ~7.5 per 32
// weights and row (~120 per 512).
struct RepackedQ2K {
  struct Super {
    __m512 d, dmin;
  };
  QINS_REPACK_ATTR static HWY_INLINE Super LoadSuper(const uint8_t* base) {
    return {LoadHalves16(base + kRepackQ2KD),
            LoadHalves16(base + kRepackQ2KDmin)};
  }
  QINS_REPACK_ATTR static HWY_INLINE __m512 Block(const Super& sup,
                                                  const uint8_t* base, size_t j,
                                                  size_t b, const Q8Blocks& x,
                                                  __m512 part) {
    const __m512i lo4 = _mm512_set1_epi32(0x0F);
    const uint8_t* blk = base + kRepackQ2KBlock + j * kRepackQ2KBlockBytes;
    const int8_t* xq = x.q + b * 32;
    const __m512i zero = _mm512_setzero_si512();
    const __m512i s0 = TwoBitHalfDot<false>(blk, nullptr, 0, xq, zero);
    const __m512i s1 = TwoBitHalfDot<false>(blk, nullptr, 1, xq, zero);
    const __m512i b0 = _mm512_cvtepu8_epi32(_mm_loadu_si128(
        reinterpret_cast<const __m128i*>(base + kRepackQ2KScales + 32 * j)));
    const __m512i b1 =
        _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(
            base + kRepackQ2KScales + 32 * j + 16)));
    const __m512i a =
        _mm512_add_epi32(_mm512_mullo_epi32(_mm512_and_si512(b0, lo4), s0),
                         _mm512_mullo_epi32(_mm512_and_si512(b1, lo4), s1));
    const int32_t xh0 = x.sum_lo[b], xh1 = x.sum[b] - x.sum_lo[b];
    const __m512i m = _mm512_add_epi32(
        _mm512_mullo_epi32(_mm512_srli_epi32(b0, 4), _mm512_set1_epi32(xh0)),
        _mm512_mullo_epi32(_mm512_srli_epi32(b1, 4), _mm512_set1_epi32(xh1)));
    const __m512 t =
        _mm512_sub_ps(_mm512_mul_ps(sup.d, _mm512_cvtepi32_ps(a)),
                      _mm512_mul_ps(sup.dmin, _mm512_cvtepi32_ps(m)));
    return _mm512_add_ps(part, _mm512_mul_ps(t, _mm512_set1_ps(x.d[b])));
  }
};

// Q3_K (numerics of KDotQ3K, bit for bit: Q6_K's with codes -4..3): per
// block j the exact int32 D_lo, D_hi of (u - 4) x over its halves (u = the
// code + 4, 0..7, vpdpbusd's unsigned operand; each sum starts at -4 times
// x's code sum over the half), T = sc_lo D_lo + sc_hi D_hi, then P[j] + (d
// * dx) * (float)T. Per block and panel: 3 loads, 7 shift/and and 8 x
// (shift, and, or) for the codes, 8 vpdpbusd, 2 scale widenings, 2
// vpmulld, an add, a convert and 3 f32 ops: ~57 ops per 512 weights,
// against the row kernel's ~11 per 32 weights and row (~176 per 512).
struct RepackedQ3K {
  struct Super {
    __m512 d;
  };
  QINS_REPACK_ATTR static HWY_INLINE Super LoadSuper(const uint8_t* base) {
    return {LoadHalves16(base + kRepackQ3KD)};
  }
  QINS_REPACK_ATTR static HWY_INLINE __m512 Block(const Super& sup,
                                                  const uint8_t* base, size_t j,
                                                  size_t b, const Q8Blocks& x,
                                                  __m512 part) {
    const uint8_t* blk = base + kRepackQ3KBlock + j * kRepackQ3KBlockBytes;
    const uint8_t* high = blk + kRepackQ3KHigh;
    const int8_t* xq = x.q + b * 32;
    const __m512i s0 = TwoBitHalfDot<true>(blk, high, 0, xq,
                                           _mm512_set1_epi32(-4 * x.sum_lo[b]));
    const __m512i s1 = TwoBitHalfDot<true>(
        blk, high, 1, xq, _mm512_set1_epi32(-4 * (x.sum[b] - x.sum_lo[b])));
    return HalvesStep(base + kRepackQ3KScales + 32 * j, s0, s1, sup.d, x.d[b],
                      part);
  }
};

// IQ4_XS (numerics of KDotIQ4XS, bit for bit): per block j S_j from
// iq4_nl's looked-up values + 128 (the sum starting at -128 times x's code
// sum), dw_j = d * (ls_j - 32) (exact), then P[j] + (dw_j * dx) *
// (float)S_j. Per block and panel: iq4_nl's ~35 ops, the scales widened
// and converted (2) and one more multiply.
struct RepackedIQ4XS {
  struct Super {
    __m512 d;
  };
  QINS_REPACK_ATTR static HWY_INLINE Super LoadSuper(const uint8_t* base) {
    return {LoadHalves16(base + kRepackIQ4XSD)};
  }
  QINS_REPACK_ATTR static HWY_INLINE __m512 Block(const Super& sup,
                                                  const uint8_t* base, size_t j,
                                                  size_t b, const Q8Blocks& x,
                                                  __m512 part) {
    const __m512i t0 = _mm512_broadcast_i32x4(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(kIQ4NLBiased.v)));
    const __m512i zero = _mm512_setzero_si512();
    const __m512i s = NibbleBlockDot<NibbleLookup::kShuffle>(
        base + kRepackIQ4XSBlock + j * kRepackCodeBytes, x.q + b * 32,
        _mm512_set1_epi32(-128 * x.sum[b]), t0, zero, zero);
    const __m512 ls = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(
        reinterpret_cast<const __m128i*>(base + kRepackIQ4XSScales + 16 * j))));
    const __m512 dw = _mm512_mul_ps(sup.d, ls);  // exact
    return _mm512_add_ps(
        part, _mm512_mul_ps(_mm512_mul_ps(dw, _mm512_set1_ps(x.d[b])),
                            _mm512_cvtepi32_ps(s)));
  }
};

// y rows of panels [p0, p1).
void GemvRepackedDot(const RepackedNibbles& r, const Q8Blocks& x, size_t p0,
                     size_t p1, float* y) {
  if (r.kind == FormatKind::kQ2_K) {
    GemvRepackedSuperBlocks<RepackedQ2K>(r, x, p0, p1, y);
  } else if (r.kind == FormatKind::kQ3_K) {
    GemvRepackedSuperBlocks<RepackedQ3K>(r, x, p0, p1, y);
  } else if (r.kind == FormatKind::kQ4_K) {
    GemvRepackedSuperBlocks<RepackedQ4K>(r, x, p0, p1, y);
  } else if (r.kind == FormatKind::kQ5_K) {
    GemvRepackedSuperBlocks<RepackedQ5K>(r, x, p0, p1, y);
  } else if (r.kind == FormatKind::kIQ4_XS) {
    GemvRepackedSuperBlocks<RepackedIQ4XS>(r, x, p0, p1, y);
  } else if (r.kind == FormatKind::kQ6_K) {
    GemvRepackedSuperBlocks<RepackedQ6K>(r, x, p0, p1, y);
  } else if (r.kind == FormatKind::kIQ4_NL) {
    GemvRepackedPanels<FormatKind::kIQ4_NL>(r, x, p0, p1, y);
  } else if (r.kind == FormatKind::kQ4_1) {
    GemvRepackedPanels<FormatKind::kQ4_1>(r, x, p0, p1, y);
  } else if (r.kind == FormatKind::kQ5_0) {
    GemvRepackedPanels<FormatKind::kQ5_0>(r, x, p0, p1, y);
  } else if (r.kind == FormatKind::kQ5_1) {
    GemvRepackedPanels<FormatKind::kQ5_1>(r, x, p0, p1, y);
  } else if (r.kind == FormatKind::kQins4) {
    GemvRepackedPanels<FormatKind::kQins4>(r, x, p0, p1, y);
  } else {
    GemvRepackedPanels<FormatKind::kQ4_0>(r, x, p0, p1, y);
  }
}
#undef QINS_REPACK_ATTR
#endif  // HWY_TARGET == HWY_AVX3_DL

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_GEMV_GEMV_REPACKED_INL_H_
