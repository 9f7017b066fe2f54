// Per-target integer-dot GEMV kernels (strategy `dot`): x arrives quantized
// to int8 blocks of 32 with an f32 scale each (kernels/gemv/quantize_x.h,
// once per Gemv call), and each (row, block) pair becomes one exact int32
// dot product of the weight codes with the x codes. Included once per target
// by dispatch/gemv_dispatch.cc.
//
// Numerics, the same on every target (tests/kernels/gemv/gemv_dot_test.cc
// checks each target bit for bit against a scalar reference):
// - S_b = sum_j w_bj q_bj exactly in int32, w_bj the integer weight code
//   (q8_0, i8row: the int8 code; q4_0: nibble - 8; q4_1: the nibble;
//   iq4_nl: kIQ4NLValues[nibble]; q5_0: (nibble | fifth bit << 4) - 16;
//   q5_1: nibble | fifth bit << 4, the fifth bit of weight j bit j of
//   ggml's little-endian qh; qins4: kQins4I8Values[table][nibble] =
//   +-round(127 * kQins4Tables[table][m - 1]), the block's header h =
//   scale12 << 4 | table, kernels/formats/qins4_tables.h). |S_b| <= 32 *
//   128 * 127 < 2^24, so (float)S_b is exact.
// - Blocks are taken in groups of kDotGroup = 8 (the last group padded with
//   S = 0, dw = 0, dx = 0); block b adds to lane b % 8 of 8 f32 partial
//   sums P, each step rounded as written:
//     P[b % 8] = P[b % 8] + (dw_b * dx_b) * (float)S_b
//   (three roundings: the product of scales, the product with S, the add;
//   never an FMA), dw_b the weight block's f16 scale as f32, dx_b x's;
//   qins4: dw_b = fl(F16ToF32((h >> 4) << 3) * fl(1.0f / 127)), one more
//   rounding (so its weights are dw_b * value: the int8 table moves each
//   by at most 0.5/127 of the block scale, RMS 0.0022 of it over the
//   tables' entries, against qins4's own RMS error 0.079 of the weights').
//   q4_1 and q5_1 then add their min the same way, with x's code sum X_b
//   (as ggml's q8_1): P[b % 8] = P[b % 8] + (m_b * dx_b) * (float)X_b.
// - y = ((P0 + P4) + (P2 + P6)) + ((P1 + P5) + (P3 + P7)); i8row (dw_b =
//   1): y = that * row scale.
//
// Block dot products, per target:
// - AVX3_DL (AVX-512 VNNI): vpdpbusd, unsigned x signed bytes summed in
//   groups of 4 straight into int32, which cannot saturate. The unsigned
//   operand is the weight plus a bias: q4_0's nibble is already q + 8 in
//   [0, 15]; q8_0's code becomes code + 128 in [0, 255] with one xor of
//   0x80. S_b = dot - bias * sum_j q_bj, the x code sums being computed once
//   per call, so the correction is one shift and subtract per 8 blocks. The
//   alternative, ggml's sign trick (|w| times x with w's sign), costs an abs
//   and a sign per block instead of one xor (q8_0) or nothing (q4_0).
//   iq4_nl looks up its value + 128 (1..241) with one vpshufb; qins4 the
//   same from its two blocks' tables (value + 128 in 1..255), put in one
//   512-bit register as [T_j, T_j+1, T_j, T_j+1] per pair; q4_1's
//   nibble needs no bias. q5_0's 5-bit code is w + 16 in [0, 31], q5_1's is
//   w: the fifth bits become a 64-bit byte mask for two blocks (2 pdep) and
//   one masked byte add of 16. 512-bit _mm512_dpbusd_epi32 on two blocks per
//   register (their codes are not contiguous: one insert per pair). The
//   256-bit intrinsic cannot be used: Highway 1.0.3's AVX3_DL attributes
//   enable AVX-VNNI, so GCC 12 emits its VEX form, which Zen 4 lacks
//   (SIGILL, seen here); the 512-bit form exists only as EVEX. The
//   attributes add avx512vnni, which Highway's run-time AVX3_DL check
//   requires.
// - AVX2 and AVX3: vpmaddubsw (unsigned x signed bytes, adjacent pairs
//   summed with int16 SATURATION) then vpmaddwd with ones. q4_0: nibble
//   (<= 15) x code (|q| <= 127): a pair is at most 2 * 15 * 127 = 3810, no
//   saturation; S = dot - 8 * sum q. q5_0 and q5_1: the 5-bit code (<= 31,
//   q5_0's bias 16): pairs <= 2 * 31 * 127 = 7874. q8_0: the bias 128 would
//   overflow (2 * 255 * 127 = 64770), so ggml's sign trick: |w| (<= 128, as
//   unsigned: |-128| = 128) times q with w's sign (|.| <= 127): a pair is at
//   most 2 * 128 * 127 = 32512 <= 32767, no saturation.
// - NEON with dotprod (__ARM_FEATURE_DOTPROD, i.e. built for armv8.2-a+
//   dotprod; the default arm64 build is not): sdot, signed x signed (q5_0
//   and q5_1 decode their codes to int8 first, as the portable path).
// - SVE, SVE2, SVE_256, SVE2_128: the codes decoded to int8 (as the
//   portable path), then SVE's sdot (svdot_s32, base SVE) over the block,
//   predicated to its 32 bytes, and svaddv.
// - Every other target (SSSE3, SSE4, NEON without dotprod, EMU128,
//   SCALAR): Highway, codes promoted to int16 and ReorderWidenMulAccumulate
//   (int16 x int16 -> int32 pairs), then SumOfLanes: exact in any order.
//
// Ops per block of 32 weights and row (AVX2 / AVX3_DL; x codes loaded once
// per group and shared by the 4 rows of a group):
// - q8_0: load, abs, sign, maddubs, madd: 5 (AVX3_DL per 2 blocks: load,
//   insert, xor, vpdpbusd, extract: 2.5 per block), plus per 8 blocks the
//   reduction (6 hadd, 2 permutes, 1 add; a bias: + shift, subtract) and 4 f32
//   ops (convert, 2 multiplies, add): ~2 per block. About 7 ops per 32 weights
//   on AVX2 and 5 on AVX3_DL, against `direct`'s 16 (AVX2, 4 per 8 weights) and
//   8 (AVX-512, 4 per 16).
// - q4_0, q4_1: 128-bit load, shift, insert, and, maddubs, madd: 6 per
//   block (AVX3_DL per 2 blocks: load, insert, shift, insert, and,
//   vpdpbusd, extract, add: 4 per block; x permuted once per group), + ~2
//   per block for the group (q4_1: + 3 per 8 blocks for the min): ~8 and ~6
//   per 32 weights, against `direct`'s 20 (AVX2) and `regtable`'s 8
//   (AVX-512, 4 per 16).
// - iq4_nl: as q4_0 + 1 vpshufb (AVX2 + abs and sign: 9 per block).
// - qins4: as iq4_nl + its block's table: AVX2/AVX3 a header byte load and
//   an and (scalar), one broadcast load: 10 vector ops per block; AVX3_DL
//   per 2 blocks 2 header byte loads and ands (scalar), 2 table loads, an
//   insert and a broadcast: ~5.5 vector ops per block; the scales 3 more
//   ops per 8 blocks (and, shift, multiply by 1/127). ~12 (AVX2) and ~8
//   (AVX3_DL) per 32 weights with the group's share, against `regtable`'s
//   32 (AVX2, 8 per 8) and 8 (AVX-512, 4 per 16) plus its per-block table
//   multiply and header pass (docs/gemv.md).
// - q5_0, q5_1: as q4_0 / q4_1 + the fifth bits: AVX2 broadcast load,
//   vpshufb, and, compare, and, or: 12 per block, ~14 per 32 weights with
//   the group's share; AVX3 (AVX-512BW masks) kmov load, masked add: 8 per
//   block, ~10 per 32; AVX3_DL per 2 blocks 2 scalar loads, 2 pdep, or, kmov,
//   masked add: 4 + 3.5 per block, ~9.5 per 32 (q5_1: + 3 per 8 blocks for
//   the min), against `direct`'s 44 (AVX2: its loader's 10 ops and an FMA
//   per 8 weights) and 22 (AVX-512, per 16).
// - i8row: as q8_0, without the block scales.
// - Block scales, per 8 blocks and row (GroupHalves): AVX3_DL 2 loads, 1
//   vpermi2b, convert (q8_0, q4_1, q5_0, q5_1: twice the loads and
//   permutes + 1 unpack); AVX2 vpgatherdd, and, pack, permute, convert;
//   qins4 (GroupQins4Scales) + and, shift, multiply.

#if defined(QINS_KERNELS_GEMV_GEMV_DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_GEMV_GEMV_DOT_INL_H_
#undef QINS_KERNELS_GEMV_GEMV_DOT_INL_H_
#else
#define QINS_KERNELS_GEMV_GEMV_DOT_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <type_traits>

#include "dispatch/gemv_kernels.h"
#include "hwy/highway.h"
#include "kernels/formats/block_rows.h"
#include "kernels/formats/format_kernels-inl.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/loaders-inl.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/formats/qins4_tables.h"
#include "kernels/gemv/group_prefetch.h"
#include "kernels/gemv/quantize_x.h"

#if HWY_TARGET == HWY_NEON && defined(__ARM_FEATURE_DOTPROD)
#include <arm_neon.h>
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || \
    HWY_TARGET == HWY_AVX3_DL
#define QINS_DOT_X86 1
#else
#define QINS_DOT_X86 0
#endif
constexpr bool kDotX86 = QINS_DOT_X86;

#if HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2 || \
    HWY_TARGET == HWY_SVE_256 || HWY_TARGET == HWY_SVE2_128
#define QINS_DOT_SVE 1
#else
#define QINS_DOT_SVE 0
#endif

// Highway 1.0.3's AVX3_DL attributes name AVX-VNNI (the VEX form, which Zen
// 4 lacks), not AVX512-VNNI; its run-time check for AVX3_DL does require
// AVX512-VNNI, so the kernels add that feature for the EVEX vpdpbusd.
#if HWY_TARGET == HWY_AVX3_DL
#define QINS_DOT_ATTR __attribute__((target(HWY_TARGET_STR ",avx512vnni")))
#else
#define QINS_DOT_ATTR
#endif

// The int32 sum of n int8 products (n a multiple of 16), exact in any order:
// NEON with dotprod sdot (signed x signed, 4 products per lane); SVE (every
// SVE target: sdot is in base SVE) svdot over whole vectors, the last one
// predicated (inactive lanes load 0); elsewhere Highway's int16
// ReorderWidenMulAccumulate. The dot kernels' path on every target without
// x86 intrinsics (DotInt8::DotPortable, the K-quants').
#if HWY_TARGET == HWY_NEON && defined(__ARM_FEATURE_DOTPROD)
template <size_t n>
HWY_INLINE int32_t DotI8Portable(const int8_t* w, const int8_t* xq) {
  int32x4_t acc = vdupq_n_s32(0);
  for (size_t k = 0; k < n; k += 16)
    acc = vdotq_s32(acc, vld1q_s8(w + k), vld1q_s8(xq + k));
  return vaddvq_s32(acc);
}
#elif QINS_DOT_SVE
// Per 32 products: 1 sdot on 256-bit and longer vectors (one predicated
// load pair), 2 on 128-bit; then one svaddv.
template <size_t n>
HWY_INLINE int32_t DotI8Portable(const int8_t* w, const int8_t* xq) {
  svint32_t acc = svdup_n_s32(0);
  const size_t vl = svcntb();
  for (size_t k = 0; k < n; k += vl) {
    const svbool_t pg = svwhilelt_b8_u64(k, n);
    acc = svdot_s32(acc, svld1_s8(pg, w + k), svld1_s8(pg, xq + k));
  }
  // |sum| <= n * 128 * 127: the int64 total fits int32 for every n used
  // (<= 256).
  return static_cast<int32_t>(svaddv_s32(svptrue_b32(), acc));
}
#else
template <size_t n>
HWY_INLINE int32_t DotI8Portable(const int8_t* w, const int8_t* xq) {
  const hn::CappedTag<int16_t, 16> d16;
  const hn::Rebind<int8_t, decltype(d16)> d8;
  const hn::RepartitionToWide<decltype(d16)> d32;
  const size_t N = hn::Lanes(d16);
  auto s0 = hn::Zero(d32), s1 = hn::Zero(d32);
  for (size_t k = 0; k < n; k += N) {
    const auto a = hn::PromoteTo(d16, hn::LoadU(d8, w + k));
    const auto b = hn::PromoteTo(d16, hn::LoadU(d8, xq + k));
    s0 = hn::ReorderWidenMulAccumulate(d32, a, b, s0, s1);
  }
  return hn::GetLane(hn::SumOfLanes(d32, hn::Add(s0, s1)));
}
#endif

// y from the 8 f32 partial sums: ((P0 + P4) + (P2 + P6)) + ((P1 + P5) +
// (P3 + P7)), the order every dot kernel uses (DotFinalSum on x86).
HWY_INLINE float DotTreeSum(const float* p) {
  return ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
}

#if QINS_DOT_X86
// 8 vectors of int32 partial sums (block j's in v[j]) -> block j's sum in
// lane j: hadd within 128-bit halves twice, then the halves combined.
QINS_DOT_ATTR HWY_INLINE __m256i DotReduce8(const __m256i* v) {
  const __m256i h01 = _mm256_hadd_epi32(v[0], v[1]);
  const __m256i h23 = _mm256_hadd_epi32(v[2], v[3]);
  const __m256i h45 = _mm256_hadd_epi32(v[4], v[5]);
  const __m256i h67 = _mm256_hadd_epi32(v[6], v[7]);
  // [b0 lo, b1 lo, b2 lo, b3 lo | b0 hi, b1 hi, b2 hi, b3 hi]
  const __m256i a = _mm256_hadd_epi32(h01, h23);
  const __m256i b = _mm256_hadd_epi32(h45, h67);
  return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20),
                          _mm256_permute2x128_si256(a, b, 0x31));
}

// y = ((P0 + P4) + (P2 + P6)) + ((P1 + P5) + (P3 + P7)).
QINS_DOT_ATTR HWY_INLINE float DotFinalSum(__m256 p) {
  const __m128 s4 =
      _mm_add_ps(_mm256_castps256_ps128(p), _mm256_extractf128_ps(p, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

// The f16 at byte kOffset of each of the 8 blocks (kBytes apart) of a group
// starting at `grp`, as f32 (vcvtph2ps: exact; Inf and NaN stay non-finite),
// blocks j >= nb read as 0 (not read at all). Converting the scales of a
// whole row first (LoadBlockParams, as `direct` does) cost 40% of the dot
// kernel's time (hot 1024x1024 on Zen 4: q4_0 14.5 -> 25.0 Gw/s without
// it, 2026-12-06). AVX3_DL, groups within 128 bytes (q4_0, iq4_nl): 2
// loads and one vpermi2b picking the 16 header bytes; otherwise one
// vpgatherdd, and, vpackusdw, vpermq.
#if HWY_TARGET == HWY_AVX3_DL
// Bytes [0, min(n, 64)) and [64, min(n, 128)) of p in two registers, zeros
// past n (not read; n >= 128: both whole).
QINS_DOT_ATTR HWY_INLINE void LoadPrefix128(const uint8_t* p, size_t n,
                                            __m512i& lo, __m512i& hi) {
  if (HWY_LIKELY(n >= 128)) {
    lo = _mm512_loadu_si512(p);
    hi = _mm512_loadu_si512(p + 64);
    return;
  }
  const __mmask64 all = ~__mmask64{0};
  const __mmask64 mlo = n >= 64 ? all : (__mmask64{1} << n) - 1;
  const __mmask64 mhi = n <= 64 ? 0 : (__mmask64{1} << (n - 64)) - 1;
  lo = _mm512_maskz_loadu_epi8(mlo, p);
  hi = _mm512_maskz_loadu_epi8(mhi, p + 64);
}

// The f16s at kOffset of kCount (4 or 8) blocks kBytes apart from p, in
// bytes [0, 2 kCount) of the result; blocks >= nb read as 0. One vpermi2b
// (both registers) for headers within 128 bytes.
template <size_t kBytes, size_t kOffset, size_t kCount>
QINS_DOT_ATTR HWY_INLINE __m128i HeaderBytes(const uint8_t* p, size_t nb) {
  static_assert((kCount - 1) * kBytes + kOffset + 2 <= 128, "");
  __m512i lo, hi;
  LoadPrefix128(p, std::min<size_t>(std::min(nb, kCount) * kBytes, 128), lo,
                hi);
  alignas(64) static constexpr uint8_t kIdx[64] = {
      0 * kBytes + kOffset,
      0 * kBytes + kOffset + 1,
      1 * kBytes + kOffset,
      1 * kBytes + kOffset + 1,
      2 * kBytes + kOffset,
      2 * kBytes + kOffset + 1,
      3 * kBytes + kOffset,
      3 * kBytes + kOffset + 1,
      (kCount > 4 ? 4 : 0) * kBytes + kOffset,
      (kCount > 4 ? 4 : 0) * kBytes + kOffset + 1,
      (kCount > 4 ? 5 : 0) * kBytes + kOffset,
      (kCount > 4 ? 5 : 0) * kBytes + kOffset + 1,
      (kCount > 4 ? 6 : 0) * kBytes + kOffset,
      (kCount > 4 ? 6 : 0) * kBytes + kOffset + 1,
      (kCount > 4 ? 7 : 0) * kBytes + kOffset,
      (kCount > 4 ? 7 : 0) * kBytes + kOffset + 1};
  return _mm512_castsi512_si128(
      _mm512_permutex2var_epi8(lo, _mm512_load_si512(kIdx), hi));
}
#endif

// The 16-bit header at byte kOffset of each of the 8 blocks (kBytes apart)
// of a group starting at `grp`, in the low 128 bits, blocks j >= nb read as
// 0 (not read at all). Converting the scales of a whole row first
// (LoadBlockParams, as `direct` does) cost 40% of the dot kernel's time (hot
// 1024x1024 on Zen 4: q4_0 14.5 -> 25.0 Gw/s without it, 2026-12-06).
// AVX3_DL: vpermi2b picking the header bytes from 128 loaded bytes, once for
// 18-byte blocks, twice (4 blocks each) for q8_0, q4_1, q5_0 and q5_1 (a
// vpgatherdd there cost 25% of q8_0's time); AVX2: one vpgatherdd, and,
// vpackusdw, vpermq.
template <size_t kBytes, size_t kOffset>
QINS_DOT_ATTR HWY_INLINE __m128i GroupHeaders(const uint8_t* grp, size_t nb) {
#if HWY_TARGET == HWY_AVX3_DL
  if constexpr (7 * kBytes + kOffset + 2 <= 128) {
    return HeaderBytes<kBytes, kOffset, 8>(grp, nb);
  } else if constexpr (3 * kBytes + kOffset + 2 <= 128) {
    const __m128i a = HeaderBytes<kBytes, kOffset, 4>(grp, nb);
    const __m128i b =
        HeaderBytes<kBytes, kOffset, 4>(grp + 4 * kBytes, nb > 4 ? nb - 4 : 0);
    return _mm_unpacklo_epi64(a, b);
  }
#endif
  const __m256i idx = _mm256_setr_epi32(
      0 * kBytes + kOffset, 1 * kBytes + kOffset, 2 * kBytes + kOffset,
      3 * kBytes + kOffset, 4 * kBytes + kOffset, 5 * kBytes + kOffset,
      6 * kBytes + kOffset, 7 * kBytes + kOffset);
  const int* base = reinterpret_cast<const int*>(grp);
  __m256i v;
  if (HWY_LIKELY(nb == kDotGroup)) {
    v = _mm256_i32gather_epi32(base, idx, 1);
  } else {
    const __m256i mask =
        _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(nb)),
                           _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    v = _mm256_mask_i32gather_epi32(_mm256_setzero_si256(), base, idx, mask, 1);
  }
  v = _mm256_and_si256(v, _mm256_set1_epi32(0xFFFF));
  // [h0..h3 h0..h3 | h4..h7 h4..h7] -> h0..h7 in the low 128 bits
  v = _mm256_permute4x64_epi64(_mm256_packus_epi32(v, v), 0x08);
  return _mm256_castsi256_si128(v);
}

// The f16 at byte kOffset of each of the 8 blocks of a group as f32
// (vcvtph2ps: exact; Inf and NaN stay non-finite), 0 past nb.
template <size_t kBytes, size_t kOffset>
QINS_DOT_ATTR HWY_INLINE __m256 GroupHalves(const uint8_t* grp, size_t nb) {
  return _mm256_cvtph_ps(GroupHeaders<kBytes, kOffset>(grp, nb));
}

// qins4's dot block weights dw_b = fl(scale_b * fl(1/127)) of the 8 blocks
// of a group, 0 past nb: header h = scale12 << 4 | table, the scale's f16
// bits scale12 << 3 = (h & 0xFFF0) >> 1 (and, shift), vcvtph2ps (exact),
// one multiply: 3 ops per 8 blocks more than GroupHalves.
template <size_t kBytes>
QINS_DOT_ATTR HWY_INLINE __m256 GroupQins4Scales(const uint8_t* grp,
                                                 size_t nb) {
  const __m128i h = GroupHeaders<kBytes, 0>(grp, nb);
  const __m128i bits =
      _mm_srli_epi16(_mm_and_si128(h, _mm_set1_epi16(-16)), 1);  // 0xFFF0
  return _mm256_mul_ps(_mm256_cvtph_ps(bits), _mm256_set1_ps(1.0f / 127));
}

#if HWY_TARGET == HWY_AVX3_DL
// The biased table (kQins4Biased, kernels/formats/qins4_tables.h) of the qins4
// block at `blk` (its header's low 4 bits).
QINS_DOT_ATTR HWY_INLINE __m128i Qins4BiasedTable(const uint8_t* blk) {
  return _mm_load_si128(
      reinterpret_cast<const __m128i*>(kQins4Biased.v[blk[0] & 0xF]));
}
#endif

#if HWY_TARGET != HWY_AVX3_DL
// Codes byte j (0 <= j < 32, bit 4 clear) with bit 4 set where bit j of
// ggml's little-endian qh at `qh` is. AVX2 (ggml's bytes_from_bits_32):
// broadcast load, vpshufb (byte j <- qh byte j / 8), and with 1 << j % 8,
// compare, and 16, or: 6 ops; AVX3: qh as a byte mask (kmov load), one
// masked add of 16: 2 ops.
QINS_DOT_ATTR HWY_INLINE __m256i WithFifthBits(__m256i codes,
                                               const uint8_t* qh) {
  const __m256i sixteen = _mm256_set1_epi8(16);
#if HWY_TARGET == HWY_AVX2
  const __m256i bytes = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(LoadLE32(qh))),
      _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                        0x0101010101010101, 0));
  const __m256i bit = _mm256_set1_epi64x(0x8040201008040201);
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
  return _mm256_or_si256(codes, _mm256_and_si256(set, sixteen));
#else
  return _mm256_mask_add_epi8(codes, static_cast<__mmask32>(LoadLE32(qh)),
                              codes, sixteen);
#endif
}
#endif

#endif  // QINS_DOT_X86

// The formats. Each gives, per block of 32, S_b = sum_j w_bj q_bj in int32
// with w_bj its integer weight code:
// - DotInt8<offset, bytes>: int8 codes `offset` bytes into blocks of
//   `bytes` (q8_0: 2, 34; i8row: 0, 32, a row of codes cut into blocks);
// - DotNibble<offset, bytes, kind>: 4-bit codes (low nibbles weights 0..15,
//   high 16..31) at `offset` (q4_0, iq4_nl: 2; q4_1: 4; q5_0: 6; q5_1: 8):
//   q4_0 nibble - 8, q4_1 the nibble itself (its min is applied with x's
//   code sums), iq4_nl kIQ4NLValues[nibble]; q5_0 and q5_1 add bit 4 of
//   each code from ggml's qh (4 bytes before the nibbles): q5_0 code - 16,
//   q5_1 the code (its min as q4_1's); qins4 kQins4I8Values[table][nibble],
//   the table chosen by the block's header (its low 4 bits), the block
//   weight dw = fl(scale * fl(1/127)) (kernels/formats/qins4_tables.h).
// kBiasShift (x86 only): the x86 dot gives sum_j (w_bj + 2^kBiasShift) q_bj
// (-1: no bias), corrected with x's code sums per group.
enum class NibbleKind { kQ4_0, kQ4_1, kIQ4NL, kQ5_0, kQ5_1, kQins4 };

template <size_t kCodeOffset, size_t kBytes>
struct DotInt8 {
  static constexpr size_t kBlockBytes = kBytes;
  static constexpr bool kHasMin = false;
  static constexpr bool kRowScale = kCodeOffset == 0;  // i8row
  static constexpr bool kQins4Header = false;
#if QINS_DOT_X86
  static constexpr int kBiasShift = HWY_TARGET == HWY_AVX3_DL ? 7 : -1;
#if HWY_TARGET == HWY_AVX3_DL
  // Two blocks per 512-bit register (the codes of block j and j + 1, x's
  // two blocks contiguous): load, insert, xor (w + 128), vpdpbusd, and one
  // extract to give DotReduce8 a register per block.
  struct XGroup {
    __m512i v[kDotGroup / 2];
  };
  QINS_DOT_ATTR static HWY_INLINE XGroup LoadX(const int8_t* xq) {
    XGroup x;
    for (size_t k = 0; k < kDotGroup / 2; ++k)
      x.v[k] = _mm512_load_si512(xq + k * 2 * kDotBlock);
    return x;
  }
  QINS_DOT_ATTR static HWY_INLINE __m256i GroupSums(const uint8_t* row,
                                                    const XGroup& x,
                                                    size_t nb) {
    __m256i v[kDotGroup];
    const __m512i bias = _mm512_set1_epi8(-128);
    for (size_t k = 0; k < kDotGroup / 2; ++k) {
      const size_t j = 2 * k;
      const uint8_t* b0 = row + j * kBlockBytes + kCodeOffset;
      __m512i w = _mm512_setzero_si512();
      if (HWY_LIKELY(j + 1 < nb)) {
        w = _mm512_inserti64x4(
            _mm512_castsi256_si512(
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0))),
            _mm256_loadu_si256(
                reinterpret_cast<const __m256i*>(b0 + kBlockBytes)),
            1);
      } else if (j < nb) {
        w = _mm512_zextsi256_si512(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0)));
      }
      // Past the row's blocks x's codes are 0: the biased 128s add 0.
      const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                            _mm512_xor_si512(w, bias), x.v[k]);
      v[j] = _mm512_castsi512_si256(p);
      v[j + 1] = _mm512_extracti64x4_epi64(p, 1);
    }
    return DotReduce8(v);
  }
#else
  // One block per 256-bit register; ggml's sign trick (the bias 128 would
  // saturate vpmaddubsw).
  QINS_DOT_ATTR static HWY_INLINE __m256i Dot(const uint8_t* blk, __m256i xq) {
    const __m256i w =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + kCodeOffset));
    const __m256i p =
        _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(xq, w));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
  }
#endif
#endif  // QINS_DOT_X86
  static HWY_INLINE int32_t DotPortable(const uint8_t* blk, const int8_t* xq) {
    return DotI8Portable<kDotBlock>(
        reinterpret_cast<const int8_t*>(blk + kCodeOffset), xq);
  }
};

// The signed weight value of a 4-bit code (q5_0, q5_1: of the 5-bit code;
// q4_1, q5_1: the unsigned code; qins4's depends on the block's table:
// kQins4I8Values, read in DotNibble).
template <NibbleKind kKind>
HWY_INLINE int8_t NibbleValue(int n) {
  if constexpr (kKind == NibbleKind::kQ4_0) return static_cast<int8_t>(n - 8);
  if constexpr (kKind == NibbleKind::kQ5_0) return static_cast<int8_t>(n - 16);
  if constexpr (kKind == NibbleKind::kIQ4NL) return kIQ4NLValues[n];
  return static_cast<int8_t>(n);  // q4_1, q5_1
}

template <size_t kCodeOffset, size_t kBytes, NibbleKind kKind>
struct DotNibble {
  static constexpr size_t kBlockBytes = kBytes;
  static constexpr bool kHasMin =
      kKind == NibbleKind::kQ4_1 || kKind == NibbleKind::kQ5_1;
  static constexpr bool kRowScale = false;
  static constexpr bool kTable = kKind == NibbleKind::kIQ4NL;
  // qins4: a 16-entry int8 table per block, picked by its header's low 4
  // bits, and the 12-bit scale in the header's high bits.
  static constexpr bool kBlockTable = kKind == NibbleKind::kQins4;
  static constexpr bool kQins4Header = kBlockTable;
  // ggml's 5-bit codes: bit 4 of weight j is bit j of the u32 at kQhOffset.
  static constexpr bool kFifth =
      kKind == NibbleKind::kQ5_0 || kKind == NibbleKind::kQ5_1;
  static constexpr size_t kQhOffset = kFifth ? kCodeOffset - 4 : 0;
#if QINS_DOT_X86
  // q4_0: the nibble is w + 8; q5_0: the 5-bit code is w + 16. iq4_nl:
  // AVX3_DL looks up w + 128 (1..241), AVX2 w itself (|w| <= 127) for the
  // sign trick; qins4 the same from its block's table (w + 128 in 1..255).
  // q4_1, q5_1: the code is w.
  static constexpr int kBiasShift =
      kKind == NibbleKind::kQ4_0
          ? 3
          : (kKind == NibbleKind::kQ5_0
                 ? 4
                 : ((kTable || kBlockTable) && HWY_TARGET == HWY_AVX3_DL ? 7
                                                                         : -1));
#if HWY_TARGET == HWY_AVX3_DL
  // Two blocks per 512-bit register: the 16 code bytes of blocks j and
  // j + 1 and the same shifted right by 4, masked: nibbles in the order [j
  // low, j + 1 low, j high, j + 1 high] (16 each), x's two blocks permuted
  // to match once per group (shared by the 4 rows); iq4_nl then one vpshufb
  // from w + 128; q5_0 and q5_1 add 16 where the fifth bit is set, the two
  // qh spread into a 64-bit byte mask in the same order by 2 pdep. vpdpbusd's
  // lanes hold 4 partial sums of block j and 4 of j + 1 in each 256-bit half;
  // adding the halves, 3 vphaddd and a vpermd give the 8 block sums.
  struct XGroup {
    __m512i v[kDotGroup / 2];
  };
  QINS_DOT_ATTR static HWY_INLINE XGroup LoadX(const int8_t* xq) {
    XGroup x;
    const __m512i order = _mm512_set_epi64(7, 6, 3, 2, 5, 4, 1, 0);
    for (size_t k = 0; k < kDotGroup / 2; ++k) {
      x.v[k] = _mm512_permutexvar_epi64(
          order, _mm512_load_si512(xq + k * 2 * kDotBlock));
    }
    return x;
  }
  QINS_DOT_ATTR static HWY_INLINE __m256i GroupSums(const uint8_t* row,
                                                    const XGroup& x,
                                                    size_t nb) {
    __m256i q[kDotGroup / 2];
    const __m512i mask = _mm512_set1_epi8(0x0F);
    __m512i table = _mm512_setzero_si512();
    if constexpr (kTable) {
      alignas(16) int8_t t[16];
      for (int n = 0; n < 16; ++n)
        t[n] = static_cast<int8_t>(NibbleValue<kKind>(n) + 128);
      table = _mm512_broadcast_i32x4(
          _mm_load_si128(reinterpret_cast<const __m128i*>(t)));
    }
    for (size_t k = 0; k < kDotGroup / 2; ++k) {
      const size_t j = 2 * k;
      const uint8_t* b0 = row + j * kBlockBytes + kCodeOffset;
      __m256i raw = _mm256_setzero_si256();
      uint64_t fifth = 0;  // byte i of w gets bit 4 if bit i is set
      if (HWY_LIKELY(j + 1 < nb)) {
        raw = _mm256_inserti128_si256(
            _mm256_castsi128_si256(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0))),
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + kBlockBytes)),
            1);
        if constexpr (kBlockTable) {
          table = _mm512_broadcast_i64x4(_mm256_inserti128_si256(
              _mm256_castsi128_si256(Qins4BiasedTable(b0 - kCodeOffset)),
              Qins4BiasedTable(b0 - kCodeOffset + kBlockBytes), 1));
        }
        if constexpr (kFifth) {
          const uint8_t* qh = b0 - kCodeOffset + kQhOffset;
          fifth = _pdep_u64(LoadLE32(qh), 0x0000FFFF0000FFFFull) |
                  _pdep_u64(LoadLE32(qh + kBlockBytes), 0xFFFF0000FFFF0000ull);
        }
      } else if (j < nb) {
        raw = _mm256_zextsi128_si256(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0)));
        if constexpr (kBlockTable) {
          table = _mm512_broadcast_i32x4(Qins4BiasedTable(b0 - kCodeOffset));
        }
        if constexpr (kFifth) {
          fifth = _pdep_u64(LoadLE32(b0 - kCodeOffset + kQhOffset),
                            0x0000FFFF0000FFFFull);
        }
      }
      __m512i w =
          _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(raw),
                                              _mm256_srli_epi16(raw, 4), 1),
                           mask);
      if constexpr (kFifth) {
        w = _mm512_mask_add_epi8(w, fifth, w, _mm512_set1_epi8(16));
      }
      // Past the row's blocks x's codes are 0, whatever w is there.
      if constexpr (kTable || kBlockTable) w = _mm512_shuffle_epi8(table, w);
      const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w, x.v[k]);
      // [4 lanes of block j | 4 lanes of block j + 1]
      q[k] = _mm256_add_epi32(_mm512_castsi512_si256(p),
                              _mm512_extracti64x4_epi64(p, 1));
    }
    const __m256i h0 = _mm256_hadd_epi32(q[0], q[1]);  // 0 0 2 2 | 1 1 3 3
    const __m256i h1 = _mm256_hadd_epi32(q[2], q[3]);  // 4 4 6 6 | 5 5 7 7
    const __m256i h = _mm256_hadd_epi32(h0, h1);       // 0 2 4 6 | 1 3 5 7
    return _mm256_permutevar8x32_epi32(
        h, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  }
#else
  QINS_DOT_ATTR static HWY_INLINE __m256i Dot(const uint8_t* blk, __m256i xq) {
    // Low nibbles are weights 0..15, high nibbles 16..31.
    const __m128i b =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kCodeOffset));
    __m256i v =
        _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(b),
                                                 _mm_srli_epi16(b, 4), 1),
                         _mm256_set1_epi8(0x0F));
    if constexpr (kFifth) v = WithFifthBits(v, blk + kQhOffset);
    if constexpr (kTable || kBlockTable) {
      // Signed values (|w| <= 127) and the sign trick: pairs <= 2 * 127 *
      // 127 = 32258, no saturation. qins4: its block's table (header byte
      // load, and, one broadcast load).
      const int8_t* values = kIQ4NLValues;
      if constexpr (kBlockTable) values = kQins4I8Values.v[blk[0] & 0xF];
      const __m256i table = _mm256_broadcastsi128_si256(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(values)));
      const __m256i w = _mm256_shuffle_epi8(table, v);
      return _mm256_madd_epi16(
          _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(xq, w)),
          _mm256_set1_epi16(1));
    } else {
      return _mm256_madd_epi16(_mm256_maddubs_epi16(v, xq),
                               _mm256_set1_epi16(1));
    }
  }
#endif
#endif  // QINS_DOT_X86
#if HWY_TARGET == HWY_NEON && defined(__ARM_FEATURE_DOTPROD)
  // The 4-bit formats: the signed values looked up (tbl), then sdot.
  static HWY_INLINE int32_t DotTable(const uint8_t* blk, const int8_t* xq) {
    alignas(16) int8_t t[16];
    for (int n = 0; n < 16; ++n) t[n] = NibbleValue<kKind>(n);
    const int8x16_t table =
        vld1q_s8(kBlockTable ? kQins4I8Values.v[blk[0] & 0xF] : t);
    const uint8x16_t b = vld1q_u8(blk + kCodeOffset);
    const int8x16_t lo = vqtbl1q_s8(table, vandq_u8(b, vdupq_n_u8(0x0F)));
    const int8x16_t hi = vqtbl1q_s8(table, vshrq_n_u8(b, 4));
    int32x4_t acc = vdotq_s32(vdupq_n_s32(0), lo, vld1q_s8(xq));
    acc = vdotq_s32(acc, hi, vld1q_s8(xq + 16));
    return vaddvq_s32(acc);
  }
#endif
  // The weights decoded to int8 (NEON with dotprod, 4-bit formats: DotTable),
  // then as DotInt8.
  static HWY_INLINE int32_t DotPortable(const uint8_t* blk, const int8_t* xq) {
#if HWY_TARGET == HWY_NEON && defined(__ARM_FEATURE_DOTPROD)
    if constexpr (!kFifth) return DotTable(blk, xq);
#endif
    const uint32_t qh = kFifth ? LoadLE32(blk + kQhOffset) : 0;
    int8_t w[kDotBlock];
    if constexpr (kBlockTable) {
      const int8_t* values = kQins4I8Values.v[blk[0] & 0xF];
      for (size_t j = 0; j < 16; ++j) {
        const uint8_t byte = blk[kCodeOffset + j];
        w[j] = values[byte & 0xF];
        w[j + 16] = values[byte >> 4];
      }
      return DotI8Portable<kDotBlock>(w, xq);
    }
    for (size_t j = 0; j < 16; ++j) {
      const uint8_t byte = blk[kCodeOffset + j];
      w[j] = NibbleValue<kKind>((byte & 0xF) | (qh >> j & 1) << 4);
      w[j + 16] = NibbleValue<kKind>((byte >> 4) | (qh >> (j + 16) & 1) << 4);
    }
    return DotI8Portable<kDotBlock>(w, xq);
  }
};

using DotQ8_0 = DotInt8<2, kQ8_0BlockBytes>;
using DotI8Row = DotInt8<0, kDotBlock>;
using DotQ4_0 = DotNibble<2, kNibbleBlockBytes, NibbleKind::kQ4_0>;
using DotIQ4NL = DotNibble<2, kNibbleBlockBytes, NibbleKind::kIQ4NL>;
using DotQ4_1 = DotNibble<4, kQ4_1BlockBytes, NibbleKind::kQ4_1>;
using DotQ5_0 = DotNibble<6, kQ5_0BlockBytes, NibbleKind::kQ5_0>;
using DotQ5_1 = DotNibble<8, kQ5_1BlockBytes, NibbleKind::kQ5_1>;
using DotQins4 = DotNibble<2, kNibbleBlockBytes, NibbleKind::kQins4>;

#if QINS_DOT_X86
// The x86 group step of format F: F's own LoadX/GroupSums where it has them
// (AVX3_DL: two blocks per 512-bit vpdpbusd), else one block per 256-bit
// register (F::Dot) and DotReduce8.
template <class F, class = void>
struct DotX86 {
  struct XGroup {
    __m256i v[kDotGroup];
  };
  QINS_DOT_ATTR static HWY_INLINE XGroup LoadX(const int8_t* xq) {
    XGroup x;
    for (size_t j = 0; j < kDotGroup; ++j) {
      x.v[j] = _mm256_load_si256(
          reinterpret_cast<const __m256i*>(xq + j * kDotBlock));
    }
    return x;
  }
  QINS_DOT_ATTR static HWY_INLINE __m256i GroupSums(const uint8_t* row,
                                                    const XGroup& x,
                                                    size_t nb) {
    __m256i v[kDotGroup];
    if (HWY_LIKELY(nb == kDotGroup)) {
      for (size_t j = 0; j < kDotGroup; ++j)
        v[j] = F::Dot(row + j * F::kBlockBytes, x.v[j]);
    } else {
      for (size_t j = 0; j < kDotGroup; ++j) {
        v[j] = j < nb ? F::Dot(row + j * F::kBlockBytes, x.v[j])
                      : _mm256_setzero_si256();
      }
    }
    return DotReduce8(v);
  }
};
template <class F>
struct DotX86<F, std::void_t<typename F::XGroup>> : F {};

// kRows (1 or 4) rows; scale[i] = row i's block scales, min[i] its block
// mins (q4_1, q5_1) (blocks_padded each, zero past the row's blocks).
template <size_t kRows, class F>
QINS_DOT_ATTR HWY_INLINE void DotRows(const uint8_t* HWY_RESTRICT w,
                                      size_t stride, const Q8Blocks& x,
                                      const float* const* scale,
                                      const float* const* min, float* out,
                                      GroupPrefetch pf) {
  __m256 acc[kRows];
  for (size_t i = 0; i < kRows; ++i) acc[i] = _mm256_setzero_ps();
  for (size_t g = 0; g < x.blocks_padded; g += kDotGroup) {
    const size_t nb = std::min(kDotGroup, x.blocks - g);
    if constexpr (kRows == 4) {
      for (size_t j = 0; j < kDotGroup; ++j) pf.Step();
    }
    const auto xg = DotX86<F>::LoadX(x.q + g * kDotBlock);
    const __m256 dx = _mm256_loadu_ps(x.d + g);
    __m256i bias = _mm256_setzero_si256();
    if constexpr (F::kBiasShift >= 0) {
      bias = _mm256_slli_epi32(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.sum + g)),
          F::kBiasShift);
    }
    for (size_t i = 0; i < kRows; ++i) {
      const uint8_t* row = w + i * stride + g * F::kBlockBytes;
      __m256i s = DotX86<F>::GroupSums(row, xg, nb);
      if constexpr (F::kBiasShift >= 0) s = _mm256_sub_epi32(s, bias);
      __m256 dw = _mm256_set1_ps(1.0f);  // i8row: the row scale at the end
      if constexpr (F::kQins4Header) {
        dw = GroupQins4Scales<F::kBlockBytes>(row, nb);
      } else if constexpr (!F::kRowScale) {
        dw = GroupHalves<F::kBlockBytes, 0>(row, nb);
      }
      const __m256 c = _mm256_mul_ps(dw, dx);
      acc[i] = _mm256_add_ps(acc[i], _mm256_mul_ps(c, _mm256_cvtepi32_ps(s)));
      if constexpr (F::kHasMin) {
        const __m256 xs = _mm256_cvtepi32_ps(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.sum + g)));
        const __m256 cm =
            _mm256_mul_ps(GroupHalves<F::kBlockBytes, 2>(row, nb), dx);
        acc[i] = _mm256_add_ps(acc[i], _mm256_mul_ps(cm, xs));
      }
    }
  }
  for (size_t i = 0; i < kRows; ++i) out[i] = DotFinalSum(acc[i]);
}
#else
template <size_t kRows, class F>
HWY_INLINE void DotRows(const uint8_t* HWY_RESTRICT w, size_t stride,
                        const Q8Blocks& x, const float* const* scale,
                        const float* const* min, float* out, GroupPrefetch pf) {
  float acc[kRows][kDotGroup] = {};
  for (size_t g = 0; g < x.blocks_padded; g += kDotGroup) {
    const size_t nb = std::min(kDotGroup, x.blocks - g);
    for (size_t j = 0; j < kDotGroup; ++j) {
      if constexpr (kRows == 4) pf.Step();
    }
    for (size_t i = 0; i < kRows; ++i) {
      const uint8_t* row = w + i * stride + g * F::kBlockBytes;
      int32_t s[kDotGroup] = {};
      for (size_t j = 0; j < nb; ++j) {
        s[j] =
            F::DotPortable(row + j * F::kBlockBytes, x.q + (g + j) * kDotBlock);
      }
      for (size_t j = 0; j < kDotGroup; ++j) {
        const float c = scale[i][g + j] * x.d[g + j];
        acc[i][j] = acc[i][j] + c * static_cast<float>(s[j]);
        if constexpr (F::kHasMin) {
          const float cm = min[i][g + j] * x.d[g + j];
          acc[i][j] = acc[i][j] + cm * static_cast<float>(x.sum[g + j]);
        }
      }
    }
  }
  for (size_t i = 0; i < kRows; ++i) out[i] = DotTreeSum(acc[i]);
}
#endif  // QINS_DOT_X86

// Rows [r0, r1) in groups of 4 (each row's arithmetic is the same in a group
// of 4 and alone, so y does not depend on the thread split). Block formats:
// each row's f16 block scales (and q4_1's and q5_1's mins) converted first, as
// for `direct`; i8row: block scales 1 and y = sum * row scale.
template <class F>
QINS_DOT_ATTR HWY_INLINE void GemvDotRows(const QuantizedMatrix::Data& m,
                                          const Q8Blocks& x, float* y,
                                          size_t r0, size_t r1) {
  struct DotScratch {};
  const BlockScratch sc =
      GetBlockScratch<DotScratch>(x.blocks_padded * kDotBlock, 8);
  if constexpr (F::kRowScale) {
    std::fill(sc.scale, sc.scale + x.blocks_padded, 1.0f);
  }
  for (size_t r = r0; r < r1; r += 4) {
    const size_t n = std::min<size_t>(4, r1 - r);
    // Block scales and mins as f32 (x86 reads them per group instead).
    const float* scale[4] = {};
    const float* min[4] = {};
    for (size_t i = 0; i < n && !kDotX86; ++i) {
      if constexpr (F::kRowScale) {
        scale[i] = sc.scale;
      } else if constexpr (F::kQins4Header) {
        // dw = fl(scale * fl(1/127)), as GroupQins4Scales.
        float* s = sc.scale + i * sc.bp;
        LoadBlockParams<Qins4Header>(m.row(r + i), x.blocks, sc.bp,
                                     F::kBlockBytes, sc.bits, s,
                                     sc.select + i * sc.bp);
        for (size_t b = 0; b < x.blocks; ++b) s[b] = s[b] * (1.0f / 127);
        scale[i] = s;
      } else {
        float* s = sc.scale + i * sc.bp;
        LoadBlockParams<F16Header>(m.row(r + i), x.blocks, sc.bp,
                                   F::kBlockBytes, sc.bits, s,
                                   sc.select + i * sc.bp);
        scale[i] = s;
      }
      if constexpr (F::kHasMin) {
        float* mn = sc.scale + (4 + i) * sc.bp;
        LoadBlockParams<F16Header>(m.row(r + i) + 2, x.blocks, sc.bp,
                                   F::kBlockBytes, sc.bits, mn,
                                   sc.select + (4 + i) * sc.bp);
        min[i] = mn;
      }
    }
    float out[4];
    if (n == 4) {
      DotRows<4, F>(m.row(r), m.row_stride, x, scale, min, out,
                    GroupPrefetch::ForGroup(m, r, r1, x.blocks_padded));
    } else {
      for (size_t i = 0; i < n; ++i) {
        DotRows<1, F>(m.row(r + i), m.row_stride, x, scale + i, min + i,
                      out + i, GroupPrefetch(nullptr, 0, 0));
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if constexpr (F::kRowScale) {
        y[r + i] = out[i] * m.row_params_of(r + i)[0];
      } else {
        y[r + i] = out[i];
      }
    }
  }
}

#define QINS_DOT_KERNEL(Name, Format)                                       \
  QINS_DOT_ATTR HWY_NOINLINE void Name(const QuantizedMatrix::Data& m,      \
                                       const GemvX& x, float* y, size_t r0, \
                                       size_t r1) {                         \
    GemvDotRows<Format>(m, x.q8, y, r0, r1);                                \
  }
QINS_DOT_KERNEL(GemvQ8_0Dot, DotQ8_0)
QINS_DOT_KERNEL(GemvI8RowDot, DotI8Row)
QINS_DOT_KERNEL(GemvQ4_0Dot, DotQ4_0)
QINS_DOT_KERNEL(GemvIQ4NLDot, DotIQ4NL)
QINS_DOT_KERNEL(GemvQ4_1Dot, DotQ4_1)
QINS_DOT_KERNEL(GemvQ5_0Dot, DotQ5_0)
QINS_DOT_KERNEL(GemvQ5_1Dot, DotQ5_1)
QINS_DOT_KERNEL(GemvQins4Dot, DotQins4)

// `dot` reads x quantized (GemvX::q8), no f32 copy.
template <>
struct GemvKernelOf<FormatKind::kQ8_0, GemvStrategy::kDot>
    : GemvKernel<&GemvQ8_0Dot> {};
template <>
struct GemvKernelOf<FormatKind::kI8Row, GemvStrategy::kDot>
    : GemvKernel<&GemvI8RowDot> {};
template <>
struct GemvKernelOf<FormatKind::kQ4_0, GemvStrategy::kDot>
    : GemvKernel<&GemvQ4_0Dot> {};
template <>
struct GemvKernelOf<FormatKind::kIQ4_NL, GemvStrategy::kDot>
    : GemvKernel<&GemvIQ4NLDot> {};
template <>
struct GemvKernelOf<FormatKind::kQ4_1, GemvStrategy::kDot>
    : GemvKernel<&GemvQ4_1Dot> {};
template <>
struct GemvKernelOf<FormatKind::kQ5_0, GemvStrategy::kDot>
    : GemvKernel<&GemvQ5_0Dot> {};
template <>
struct GemvKernelOf<FormatKind::kQ5_1, GemvStrategy::kDot>
    : GemvKernel<&GemvQ5_1Dot> {};
template <>
struct GemvKernelOf<FormatKind::kQins4, GemvStrategy::kDot>
    : GemvKernel<&GemvQins4Dot> {};
#undef QINS_DOT_KERNEL

#undef QINS_DOT_X86
#undef QINS_DOT_SVE
#undef QINS_DOT_ATTR

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_GEMV_GEMV_DOT_INL_H_
