// Per-target integer-dot GEMV kernels (strategy `dot`) for ggml's K-quants
// Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and for IQ4_XS (numerics at KDotQ2K, KDotQ3K
// and KDotIQ4XS below), fused: the super-block's codes go straight into
// integer dot products with x quantized as for the other dot formats
// (kernels/gemv/quantize_x.h: int8 blocks of 32, an f32 scale dx_b and the
// code sum X_b each), never through f32 weights. Included once per target
// by dispatch/gemv_dispatch.cc, after gemv_dot-inl.h (whose final f32 sum,
// DotFinalSum, it shares).
//
// A super-block (256 weights) is exactly one group of kDotGroup = 8 x
// blocks (rows are whole super-blocks: col_multiple = 256), so lane j of
// the 8 f32 partial sums P is x block 8 s + j of super-block s, and there
// is no padding. Numerics, the same on every target
// (tests/kernels/gemv/gemv_kquant_dot_test.cc checks each target bit for bit
// against a scalar reference):
// - Q4_K / Q5_K, sub-block j (32 weights, 6-bit scale sc_j and min m_j,
//   ggml's get_scale_min_k4; weight d sc_j q - dmin m_j, q the 4-bit (Q5_K:
//   5-bit) code):
//     S_j = sum_l q_jl xq_jl            int32, |S_j| <= 32 * 31 * 127 = 125984
//     T_j = (d * sc_j) * (float)S_j - (dmin * m_j) * (float)X_b
//     P[j] = P[j] + T_j * dx_b
//   d * sc_j and dmin * m_j are exact (an f16 times a 6-bit integer: at
//   most 17 significant bits); every other operation rounds as written
//   (never an FMA). So the GEMM's panel (kernels/gemm/dot_panel.h) holds
//   one scale and one min per block and row, and its step per block and
//   row of X takes 3 multiplies for 16 rows of W (DotPanelMode
//   kFoldedMin), against 4 for q4_1's order ((d sc) dx) S, ((dmin m) dx) X
//   and 5 for (d dx) (sc S), (dmin dx) (m X) (both used on 2026-12-06/07).
// - Q6_K, 16 groups of 16 weights with an int8 scale sc_k (|sc_k| <= 128),
//   weight d sc_k (q - 32), q the 6-bit code; x block j holds groups 2j and
//   2j + 1:
//     D_k = sum_l (q_kl - 32) xq_kl     int32, |D_k| <= 16 * 32 * 127 = 65024
//     T_j = sc_2j D_2j + sc_2j+1 D_2j+1 int32, |T_j| <= 2 * 128 * 65024
//                                       = 16646144 < 2^24 = 16777216
//     P[j] = P[j] + (d * dx_b) * (float)T_j
//   So T_j cannot overflow and (float)T_j is exact: the per-16 scales are
//   applied exactly, in integers, and y rounds as for q8_0.
// - y = ((P0 + P4) + (P2 + P6)) + ((P1 + P5) + (P3 + P7)).
//
// Per target:
// - AVX2, AVX3, AVX3_DL: vpmaddubsw (code unsigned, x signed) on 256-bit
//   registers, one x block each. Pairs never saturate int16: Q4_K 2 * 15 *
//   127 = 3810, Q5_K 2 * 31 * 127 = 7874, Q6_K 2 * 63 * 127 = 16002 for the
//   code and 2 * 32 * 127 = 8128 for the bias 32, subtracted in int16 (the
//   difference is a sum of two (q - 32) xq, |.| <= 8128). The bias term
//   vpmaddubsw(32, xq) depends on x only: computed once per group and
//   shared by the 4 rows. The pair sums of 8 blocks are reduced by two
//   levels of vphaddw, still in int16: a lane then holds 8 products, at
//   most Q4_K 8 * 15 * 127 = 15240, Q5_K 8 * 31 * 127 = 31496, Q6_K 8 * 32
//   * 127 = 32512 <= 32767; then vpmaddwd with ones gives each block's two
//   16-weight halves in int32 (HalfSums16). Q4_K/Q5_K add the halves; Q6_K
//   multiplies them by its scales first (2 vpmulld), then pairs them.
//   (Against vpmaddwd per block and DotReduce8's int32 vphaddd tree: 6
//   fewer instructions per super-block and row, 4-5% less CPU time, 6
//   alternating runs, 2026-12-06.) AVX3_DL's 512-bit vpdpbusd (two x
//   blocks per register, as q4_0 uses it) was tried for all three and
//   measured slower on Zen 4: CPU time of hot 1024x1024 on 1 thread, 5
//   alternating runs, 2026-12-06, the AVX3 target (vpmaddubsw) against
//   AVX3_DL with vpdpbusd: q4_k 39.0 against 41.8 us, q5_k 46.4 against
//   52.8, q6_k 48.0 against 50.5 (Zen 4 splits 512-bit ops in two, and each
//   register needs an extract for the reduction).
// - Q3_K on x86: Q6_K's code with its own codes, bias 4 and scale unpack
//   (KDotQ3K below).
// - Every format on the other targets (SSSE3, SSE4, NEON, SVE, EMU128,
//   SCALAR): the codes
//   unpacked to int8 (Q6_K: q - 32) and a Highway block dot (int16
//   ReorderWidenMulAccumulate, as DotInt8::DotPortable), scales and sums
//   in scalar int32; NEON with dotprod (__ARM_FEATURE_DOTPROD; tested under
//   qemu by the arm64-dotprod preset) and the SVE targets (svdot; the arm64
//   preset's SVE runs) do the block dots with sdot instead, as
//   gemv_dot-inl.h's.
//
// Ops per 32 weights and row (x86; x loaded once per group for 4 rows):
// - Q4_K: per 64 weights load, shift, 2 and, 2 vpmaddubsw = 3 per 32. Plus
//   per super-block the reduction (6 vphaddw, 2 vpmaddwd, 2 permutes, add:
//   11), the scale unpack (one 16-byte load, 2 vpshufd, vpsrlvd, vpsrld, 2
//   and, shift, or, 2 vpmovzxbd: 11), 4 converts, the f16 d and dmin
//   (load, vcvtph2ps, 2 broadcasts), 5 multiplies, subtract, add:
//   ~37, ~4.6 per 32. About 7.6 per 32 weights, against `decode`'s 6 per 8
//   (24 per 32) plus the f32 GEMV over the decoded row.
// - Q5_K: Q4_K + per 64 weights 2 shifts, 2 and, 2 or of the fifth bits:
//   ~10.6 per 32.
// - Q6_K: per 128 weights 3 loads; per 32 weights ~1 (ql shift/and), 2
//   (qh shift, and), or, vpmaddubsw, subtract: ~6.75; per super-block the
//   reduction (8), the scales (load, vpshufb, 2 vpmovsxbd, shift), 2
//   vpmulld, 2 permutes, add, convert, d (3) and 2 multiplies, add: ~25,
//   ~3 per 32. About 9.75 per 32 weights.

#if defined(QINS_KERNELS_GEMV_GEMV_KQUANT_DOT_INL_H_) == \
    defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_GEMV_GEMV_KQUANT_DOT_INL_H_
#undef QINS_KERNELS_GEMV_GEMV_KQUANT_DOT_INL_H_
#else
#define QINS_KERNELS_GEMV_GEMV_KQUANT_DOT_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>

#include "dispatch/gemv_kernels.h"
#include "hwy/highway.h"
#include "kernels/formats/format_kernels-inl.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/kquant_blocks.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/gemv/gemv_dot-inl.h"
#include "kernels/gemv/group_prefetch.h"
#include "kernels/gemv/quantize_x.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || \
    HWY_TARGET == HWY_AVX3_DL
#define QINS_KDOT_X86 1
#else
#define QINS_KDOT_X86 0
#endif

// As gemv_dot-inl.h's QINS_DOT_ATTR (its helpers carry it: a caller needs
// the same target attributes to inline them).
#if HWY_TARGET == HWY_AVX3_DL
#define QINS_KDOT_ATTR __attribute__((target(HWY_TARGET_STR ",avx512vnni")))
#else
#define QINS_KDOT_ATTR
#endif

static_assert(kSuperBlock == kDotGroup * kDotBlock,
              "a K-quant super-block is one group of x blocks");

#if QINS_KDOT_X86
// The vpmaddubsw outputs p[0..7] of x blocks 0..7 (16 int16 lanes each, a
// sum of 2 products per lane) -> a = [D0 D2 D4 D6 | D1 D3 D5 D7], b = [D8
// D10 D12 D14 | D9 D11 D13 D15] in int32, D_2j and D_2j+1 the sums of block
// j's first and last 16 products: two levels of vphaddw (sums of 4, then 8
// products, in int16), then vpmaddwd with ones. The caller guarantees that
// every sum of 8 products fits int16. 8 instructions per 8 blocks, against
// 8 vpmaddwd and 6 vphaddd for DotReduce8's tree on int32.
QINS_KDOT_ATTR HWY_INLINE void HalfSums16(const __m256i* p, __m256i& a,
                                          __m256i& b) {
  const __m256i ones = _mm256_set1_epi16(1);
  a = _mm256_madd_epi16(_mm256_hadd_epi16(_mm256_hadd_epi16(p[0], p[1]),
                                          _mm256_hadd_epi16(p[2], p[3])),
                        ones);
  b = _mm256_madd_epi16(_mm256_hadd_epi16(_mm256_hadd_epi16(p[4], p[5]),
                                          _mm256_hadd_epi16(p[6], p[7])),
                        ones);
}
#endif

#if QINS_KDOT_X86
// x's 8 blocks, one per 256-bit register: the x group of the steps that take
// x's codes as they are (Q4_K, Q5_K, IQ4_XS; Q6_K adds its bias products).
struct KDotX8 {
  __m256i v[kDotGroup];
};
QINS_KDOT_ATTR HWY_INLINE KDotX8 LoadKDotX8(const int8_t* xq) {
  KDotX8 x;
  for (size_t j = 0; j < kDotGroup; ++j) {
    x.v[j] =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(xq + j * kDotBlock));
  }
  return x;
}
#endif

#if QINS_KDOT_X86
// x's 8 blocks with the products of a code bias: the x group of the steps
// whose codes are stored biased (Q6_K q = c + 32, Q3_K q = c + 4), which
// take vpmaddubsw(q, xq) - vpmaddubsw(kBias, xq) = pairs of c xq (exact in
// int16 while |c| <= 32: 2 * 32 * 127 = 8128). The bias products depend on
// x only: computed once per group, shared by the rows.
struct KDotBiasedX8 {
  __m256i v[kDotGroup];
  __m256i bias[kDotGroup];  // vpmaddubsw(kBias, xq): pairs of kBias xq
};
template <int kBias>
QINS_KDOT_ATTR HWY_INLINE KDotBiasedX8 LoadKDotBiasedX8(const int8_t* xq) {
  static_assert(kBias > 0 && kBias <= 32, "pairs must fit int16");
  KDotBiasedX8 x;
  const __m256i k = _mm256_set1_epi8(kBias);
  for (size_t j = 0; j < kDotGroup; ++j) {
    x.v[j] =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(xq + j * kDotBlock));
    x.bias[j] = _mm256_maddubs_epi16(k, x.v[j]);
  }
  return x;
}

// The f32 step of the formats with 16 int8 scales per super-block (Q6_K,
// Q3_K; DotPanelMode kHalves): v[j] the 16 int16 pair sums of x block j
// (its first 16 weights in the low 8 lanes; every sum of 8 products must
// fit int16), sc the 16 scales sc_k as int8 in bytes 0..15, hd the f16 d:
//   T_j = sc_2j D_2j + sc_2j+1 D_2j+1 (int32), acc + (d dx) (float)T.
// HalfSums16 (8), the scale shuffle and widening (4), 2 vpmulld, 2
// permutes and an add, the f16 d (3), convert, 2 multiplies, add: ~23.
QINS_KDOT_ATTR HWY_INLINE __m256 KHalvesStep(const __m256i* v, __m128i sc,
                                             const uint8_t* hd, __m256 dx,
                                             __m256 acc) {
  // a = [D0 D2 D4 D6 | D1 D3 D5 D7], b = [D8 D10 D12 D14 | D9 D11 D13
  // D15] (D_k: weights 16 k .. 16 k + 15).
  __m256i a, b;
  HalfSums16(v, a, b);
  // The scales in the same order.
  const __m128i s = _mm_shuffle_epi8(
      sc, _mm_setr_epi8(0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15));
  const __m256i sa = _mm256_mullo_epi32(a, _mm256_cvtepi8_epi32(s));
  const __m256i sb =
      _mm256_mullo_epi32(b, _mm256_cvtepi8_epi32(_mm_srli_si128(s, 8)));
  // T_j = sc_2j D_2j + sc_2j+1 D_2j+1 in lane j.
  const __m256i t = _mm256_add_epi32(_mm256_permute2x128_si256(sa, sb, 0x20),
                                     _mm256_permute2x128_si256(sa, sb, 0x31));
  uint16_t h;
  memcpy(&h, hd, 2);
  const __m256 d = _mm256_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
  const __m256 c = _mm256_mul_ps(d, dx);
  return _mm256_add_ps(acc, _mm256_mul_ps(c, _mm256_cvtepi32_ps(t)));
}
#endif

// Q4_K (kBits = 4) and Q5_K (kBits = 5).
template <int kBits>
struct KDotQ45 {
  static constexpr size_t kBytes = kBits == 4 ? q4_k::kBytes : q5_k::kBytes;
  static constexpr size_t kQs = kBits == 4 ? q4_k::kQs : q5_k::kQs;

  // The portable step: one super-block `sb` of one row into p[0, 8).
  static HWY_INLINE void StepPortable(const uint8_t* sb, const int8_t* xq,
                                      const float* dx, const int32_t* xsum,
                                      const int32_t* /*xsum_lo*/, float* p) {
    const float d = KQuantHalf(sb, q4_k::kD);
    const float dmin = KQuantHalf(sb, q4_k::kDmin);
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      Q4KScaleMin(sb + q4_k::kScales, j, &sc, &m);
      alignas(16) int8_t w[kDotBlock];
      const uint8_t* q = sb + kQs + 32 * (j / 2);
      for (size_t l = 0; l < kDotBlock; ++l) {
        int v = (q[l] >> (4 * (j % 2))) & 0xF;
        if constexpr (kBits == 5) v |= ((sb[q5_k::kQh + l] >> j) & 1) << 4;
        w[l] = static_cast<int8_t>(v);
      }
      const int32_t s = DotI8Portable<kDotBlock>(w, xq + j * kDotBlock);
      const float dw = d * static_cast<float>(sc);    // exact
      const float dm = dmin * static_cast<float>(m);  // exact
      const float t =
          dw * static_cast<float>(s) - dm * static_cast<float>(xsum[j]);
      p[j] = p[j] + t * dx[j];
    }
  }

#if QINS_KDOT_X86
  using XGroup = KDotX8;
  QINS_KDOT_ATTR static HWY_INLINE XGroup LoadX(const int8_t* xq) {
    return LoadKDotX8(xq);
  }

  // S_j in lane j.
  QINS_KDOT_ATTR static HWY_INLINE __m256i Sums(const uint8_t* sb,
                                                const XGroup& x) {
    __m256i v[kDotGroup];
    const __m256i mask = _mm256_set1_epi8(0x0F);
    __m256i qh = _mm256_setzero_si256();
    if constexpr (kBits == 5) {
      qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sb + q5_k::kQh));
    }
    for (size_t k = 0; k < kDotGroup / 2; ++k) {
      const __m256i b = _mm256_loadu_si256(
          reinterpret_cast<const __m256i*>(sb + kQs + 32 * k));
      __m256i lo = _mm256_and_si256(b, mask);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(b, 4), mask);
      if constexpr (kBits == 5) {
        // Bit j of qh to bit 4: 16-bit shifts by at most 4 move no bit
        // across a byte into bit 4.
        const __m256i b4 = _mm256_set1_epi8(0x10);
        const int s0 = static_cast<int>(2 * k), s1 = s0 + 1;
        const __m256i h0 = s0 <= 4 ? _mm256_slli_epi16(qh, 4 - s0)
                                   : _mm256_srli_epi16(qh, s0 - 4);
        const __m256i h1 = s1 <= 4 ? _mm256_slli_epi16(qh, 4 - s1)
                                   : _mm256_srli_epi16(qh, s1 - 4);
        lo = _mm256_or_si256(lo, _mm256_and_si256(h0, b4));
        hi = _mm256_or_si256(hi, _mm256_and_si256(h1, b4));
      }
      v[2 * k] = _mm256_maddubs_epi16(lo, x.v[2 * k]);
      v[2 * k + 1] = _mm256_maddubs_epi16(hi, x.v[2 * k + 1]);
    }
    // Sums of 8 products: q4_k 8 * 15 * 127 = 15240, q5_k 8 * 31 * 127 =
    // 31496 <= 32767. Then block j's two halves added.
    __m256i a, b;
    HalfSums16(v, a, b);
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20),
                            _mm256_permute2x128_si256(a, b, 0x31));
  }

  // One super-block of one row into acc (lane j: sub-block j).
  QINS_KDOT_ATTR static HWY_INLINE __m256 Step(const uint8_t* sb,
                                               const XGroup& x, __m256 dx,
                                               __m256i xsum, __m256 acc) {
    const __m256i s = Sums(sb, x);
    // ggml's scale unpack on 32-bit lanes t0, t1, t2 of the 12 bytes:
    // [t0 & 0x3f.., (t2 & 0x0f..) | ((t0 >> 6) & 0x03..) << 4,
    //  t1 & 0x3f.., ((t2 >> 4) & 0x0f..) | ((t1 >> 6) & 0x03..) << 4]
    // = sc_0..7, m_0..7 as bytes. 16 bytes loaded from byte 4 (the 4th lane
    // is qs, unused).
    const __m128i t =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(sb + q4_k::kScales));
    const __m128i a = _mm_shuffle_epi32(t, _MM_SHUFFLE(2, 1, 2, 0));
    const __m128i b = _mm_shuffle_epi32(t, _MM_SHUFFLE(1, 1, 0, 0));
    const __m128i u = _mm_or_si128(
        _mm_and_si128(
            _mm_srlv_epi32(a, _mm_setr_epi32(0, 0, 0, 4)),
            _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f)),
        _mm_slli_epi32(
            _mm_and_si128(_mm_srli_epi32(b, 6),
                          _mm_setr_epi32(0, 0x03030303, 0, 0x03030303)),
            4));
    const __m256i sc = _mm256_cvtepu8_epi32(u);
    const __m256i m = _mm256_cvtepu8_epi32(_mm_unpackhi_epi64(u, u));
    int32_t h;
    memcpy(&h, sb + q4_k::kD, 4);
    const __m128 dd = _mm_cvtph_ps(_mm_cvtsi32_si128(h));  // d, dmin
    // d sc_j and dmin m_j: exact.
    const __m256 dw =
        _mm256_mul_ps(_mm256_broadcastss_ps(dd), _mm256_cvtepi32_ps(sc));
    const __m256 dm = _mm256_mul_ps(_mm256_broadcastss_ps(_mm_movehdup_ps(dd)),
                                    _mm256_cvtepi32_ps(m));
    const __m256 tj =
        _mm256_sub_ps(_mm256_mul_ps(dw, _mm256_cvtepi32_ps(s)),
                      _mm256_mul_ps(dm, _mm256_cvtepi32_ps(xsum)));
    return _mm256_add_ps(acc, _mm256_mul_ps(tj, dx));
  }
#endif  // QINS_KDOT_X86
};

struct KDotQ6K {
  static constexpr size_t kBytes = q6_k::kBytes;

  static HWY_INLINE void StepPortable(const uint8_t* sb, const int8_t* xq,
                                      const float* dx, const int32_t*,
                                      const int32_t*, float* p) {
    const float d = KQuantHalf(sb, q6_k::kD);
    const int8_t* sc = reinterpret_cast<const int8_t*>(sb + q6_k::kScales);
    for (int j = 0; j < 8; ++j) {
      uint8_t q[kDotBlock];
      Q6KBlockCodes(sb, j, q);
      alignas(16) int8_t w[kDotBlock];
      for (size_t l = 0; l < kDotBlock; ++l)
        w[l] = static_cast<int8_t>(q[l] - 32);
      const int32_t d0 = DotI8Portable<16>(w, xq + j * kDotBlock);
      const int32_t d1 = DotI8Portable<16>(w + 16, xq + j * kDotBlock + 16);
      const int32_t t = sc[2 * j] * d0 + sc[2 * j + 1] * d1;
      p[j] = p[j] + (d * dx[j]) * static_cast<float>(t);
    }
  }

#if QINS_KDOT_X86
  using XGroup = KDotBiasedX8;
  QINS_KDOT_ATTR static HWY_INLINE XGroup LoadX(const int8_t* xq) {
    return LoadKDotBiasedX8<32>(xq);
  }

  // Per x block j, 16 int16 pair sums of (q - 32) xq, its first 16
  // weights in the low 8 lanes.
  QINS_KDOT_ATTR static HWY_INLINE void BlockSums(const uint8_t* sb,
                                                  const XGroup& x, __m256i* v) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i m30 = _mm256_set1_epi8(0x30);
    for (size_t h = 0; h < 2; ++h) {
      const __m256i ql0 = _mm256_loadu_si256(
          reinterpret_cast<const __m256i*>(sb + q6_k::kQl + 64 * h));
      const __m256i ql1 = _mm256_loadu_si256(
          reinterpret_cast<const __m256i*>(sb + q6_k::kQl + 64 * h + 32));
      const __m256i qh = _mm256_loadu_si256(
          reinterpret_cast<const __m256i*>(sb + q6_k::kQh + 32 * h));
      // Quarter c: ql low (c < 2) or high nibble, qh bits 2c..2c+1 at bit 4
      // (16-bit shifts; the 0x30 mask drops what crosses a byte).
      __m256i q[4];
      q[0] = _mm256_or_si256(_mm256_and_si256(ql0, m4),
                             _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30));
      q[1] = _mm256_or_si256(_mm256_and_si256(ql1, m4),
                             _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30));
      q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                             _mm256_and_si256(qh, m30));
      q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                             _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30));
      for (size_t c = 0; c < 4; ++c) {
        const size_t j = 4 * h + c;
        // Pairs of (q - 32) xq: |.| <= 8128, exact in int16.
        v[j] = _mm256_sub_epi16(_mm256_maddubs_epi16(q[c], x.v[j]), x.bias[j]);
      }
    }
  }
  QINS_KDOT_ATTR static HWY_INLINE __m256 Step(const uint8_t* sb,
                                               const XGroup& x, __m256 dx,
                                               __m256i, __m256 acc) {
    __m256i v[kDotGroup];
    BlockSums(sb, x, v);
    // Sums of 8 products (q - 32) xq: |.| <= 8 * 32 * 127 = 32512 <=
    // 32767, exact in int16.
    return KHalvesStep(
        v,
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(sb + q6_k::kScales)),
        sb + q6_k::kD, dx, acc);
  }
#endif  // QINS_KDOT_X86
};

// IQ4_XS: block j (32 weights) has the 6-bit scale ls_j - 32 (-32..31,
// IQ4XSScale) and iq4_nl codes (kIQ4NLValues, -127..113) in qs[16 j ..
// 16 j + 15] (low nibbles weights 0..15, high 16..31): iq4_nl's numerics
// with the block scale dw_j = d * (ls_j - 32) (exact: an f16 times a 6-bit
// integer):
//   S_j = sum_l v_jl xq_jl              int32, |S_j| <= 32 * 127 * 127
//   P[j] = P[j] + (dw_j * dx_b) * (float)S_j
// (the GEMM's DotPanelMode kPlain with scale dw_j). x86: per block a
// 16-byte broadcast load, and/shift/and, a lane blend, vpshufb of the 16
// values, abs, sign, vpmaddubsw (pairs <= 2 * 127 * 127 = 32258: no
// saturation), vpmaddwd: 10 ops per 32 weights and row; per super-block a
// 9-op int32 reduction, ~10 ops for the scales, 4 for the f32 step.
struct KDotIQ4XS {
  static constexpr size_t kBytes = iq4_xs::kBytes;

  static HWY_INLINE void StepPortable(const uint8_t* sb, const int8_t* xq,
                                      const float* dx, const int32_t*,
                                      const int32_t*, float* p) {
    const float d = KQuantHalf(sb, iq4_xs::kD);
    for (int j = 0; j < 8; ++j) {
      alignas(16) int8_t w[kDotBlock];
      IQ4XSBlockValues(sb, j, w);
      const int32_t s = DotI8Portable<kDotBlock>(w, xq + j * kDotBlock);
      const float dw = d * static_cast<float>(IQ4XSScale(sb, j));  // exact
      p[j] = p[j] + (dw * dx[j]) * static_cast<float>(s);
    }
  }

#if QINS_KDOT_X86
#if HWY_TARGET == HWY_AVX3_DL
  // AVX3_DL: 512-bit vpdpbusd on two blocks per register (x blocks 2k and
  // 2k + 1 in one zmm), the codes as values + 128 (unsigned) so that the
  // sums need no sign trick; the bias 128 X_j comes off after the
  // reduction. Per pair of blocks and row: a 32-byte load, vpermq (block
  // 2k twice, then 2k + 1 twice), vpsrlvw (the high-nibble lanes by 4),
  // and, vpshufb, vpdpbusd: 6 ops per 64 weights, against 20 for the
  // vpmaddubsw path below; ~18 ops of reduction per super-block.
  // x as the 32-block formats' AVX3_DL dot reads it (gemv_dot-inl.h):
  // blocks 2k and 2k + 1 in one zmm.
  using XGroup = DotQ8_0::XGroup;
  QINS_KDOT_ATTR static HWY_INLINE XGroup LoadX(const int8_t* xq) {
    return DotQ8_0::LoadX(xq);
  }

  // S_j in lane j.
  QINS_KDOT_ATTR static HWY_INLINE __m256i Sums(const uint8_t* sb,
                                                const XGroup& x, __m256i xsum) {
    const __m512i table = _mm512_broadcast_i32x4(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(kIQ4NLBiased.v)));
    const __m512i mask = _mm512_set1_epi8(0x0F);
    const __m512i twice = _mm512_setr_epi64(0, 1, 0, 1, 2, 3, 2, 3);
    const int64_t k4 = 0x0004000400040004;
    const __m512i shifts = _mm512_setr_epi64(0, 0, k4, k4, 0, 0, k4, k4);
    __m512i r[kDotGroup / 2];
    for (size_t k = 0; k < kDotGroup / 2; ++k) {
      const __m512i b = _mm512_castsi256_si512(_mm256_loadu_si256(
          reinterpret_cast<const __m256i*>(sb + iq4_xs::kQs + 32 * k)));
      const __m512i nib = _mm512_and_si512(
          _mm512_srlv_epi16(_mm512_permutexvar_epi64(twice, b), shifts), mask);
      // Lanes 0..7: block 2k (4 products each), 8..15: block 2k + 1.
      r[k] = _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                 _mm512_shuffle_epi8(table, nib), x.v[k]);
    }
    // Per 128-bit lane L, element k: the sum of r[k]'s 4 lanes in L.
    const __m512i t01 = _mm512_add_epi32(_mm512_unpacklo_epi32(r[0], r[1]),
                                         _mm512_unpackhi_epi32(r[0], r[1]));
    const __m512i t23 = _mm512_add_epi32(_mm512_unpacklo_epi32(r[2], r[3]),
                                         _mm512_unpackhi_epi32(r[2], r[3]));
    const __m512i u = _mm512_add_epi32(_mm512_unpacklo_epi64(t01, t23),
                                       _mm512_unpackhi_epi64(t01, t23));
    // Lanes 0 + 1: blocks 0, 2, 4, 6; lanes 2 + 3: blocks 1, 3, 5, 7.
    const __m256i lo = _mm512_castsi512_si256(u);
    const __m256i hi = _mm512_extracti64x4_epi64(u, 1);
    const __m128i even = _mm_add_epi32(_mm256_castsi256_si128(lo),
                                       _mm256_extracti128_si256(lo, 1));
    const __m128i odd = _mm_add_epi32(_mm256_castsi256_si128(hi),
                                      _mm256_extracti128_si256(hi, 1));
    const __m256i s = _mm256_set_m128i(_mm_unpackhi_epi32(even, odd),
                                       _mm_unpacklo_epi32(even, odd));
    return _mm256_sub_epi32(s, _mm256_slli_epi32(xsum, 7));  // - 128 X_j
  }
#else
  using XGroup = KDotX8;
  QINS_KDOT_ATTR static HWY_INLINE XGroup LoadX(const int8_t* xq) {
    return LoadKDotX8(xq);
  }

  // S_j in lane j.
  QINS_KDOT_ATTR static HWY_INLINE __m256i Sums(const uint8_t* sb,
                                                const XGroup& x, __m256i) {
    const __m256i values = _mm256_broadcastsi128_si256(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(kIQ4NLValues)));
    const __m256i mask = _mm256_set1_epi8(0x0F);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i v[kDotGroup];
    for (size_t j = 0; j < kDotGroup; ++j) {
      // The block's 16 bytes in both halves: low nibbles for weights
      // 0..15 (low half), high nibbles for 16..31.
      const __m256i b = _mm256_broadcastsi128_si256(_mm_loadu_si128(
          reinterpret_cast<const __m128i*>(sb + iq4_xs::kQs + 16 * j)));
      const __m256i nib = _mm256_blend_epi32(
          _mm256_and_si256(b, mask),
          _mm256_and_si256(_mm256_srli_epi16(b, 4), mask), 0xF0);
      const __m256i w = _mm256_shuffle_epi8(values, nib);
      // Pairs |.| <= 2 * 127 * 127 = 32258: no saturation.
      v[j] = _mm256_madd_epi16(
          _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(x.v[j], w)),
          ones);
    }
    // v[j]: 8 int32, the low 4 block j's weights 0..15, the high 4 its
    // 16..31. Two levels of vphaddd: [S0lo S1lo S2lo S3lo | S0hi ...].
    const __m256i h0 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]),
                                         _mm256_hadd_epi32(v[2], v[3]));
    const __m256i h1 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]),
                                         _mm256_hadd_epi32(v[6], v[7]));
    return _mm256_add_epi32(_mm256_permute2x128_si256(h0, h1, 0x20),
                            _mm256_permute2x128_si256(h0, h1, 0x31));
  }
#endif

  QINS_KDOT_ATTR static HWY_INLINE __m256 Step(const uint8_t* sb,
                                               const XGroup& x, __m256 dx,
                                               __m256i xsum, __m256 acc) {
    const __m256i s = Sums(sb, x, xsum);
    // ls_j: nibble j of the 4 scales_l bytes, bits 2j..2j+1 of scales_h.
    int32_t lo;
    uint16_t hi;
    memcpy(&lo, sb + iq4_xs::kScalesL, 4);
    memcpy(&hi, sb + iq4_xs::kScalesH, 2);
    const __m256i ls = _mm256_or_si256(
        _mm256_and_si256(
            _mm256_srlv_epi32(_mm256_set1_epi32(lo),
                              _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28)),
            _mm256_set1_epi32(0xF)),
        _mm256_slli_epi32(
            _mm256_and_si256(
                _mm256_srlv_epi32(_mm256_set1_epi32(hi),
                                  _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14)),
                _mm256_set1_epi32(3)),
            4));
    uint16_t dh;
    memcpy(&dh, sb + iq4_xs::kD, 2);
    const __m256 d = _mm256_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(dh)));
    // d (ls - 32): exact.
    const __m256 dw = _mm256_mul_ps(
        d, _mm256_cvtepi32_ps(_mm256_sub_epi32(ls, _mm256_set1_epi32(32))));
    return _mm256_add_ps(
        acc, _mm256_mul_ps(_mm256_mul_ps(dw, dx), _mm256_cvtepi32_ps(s)));
  }
#endif  // QINS_KDOT_X86
};

// Q3_K: x block b = 4 h + j (h the 128-weight half, j the 2-bit plane)
// holds 16-weight sub-blocks 2 b and 2 b + 1, each with a 6-bit scale
// sc_k - 32 (Q3KScale, -32..31); weight l of the block has the code
// ((qs[32 h + l] >> 2 j) & 3) - 4 (1 - bit 4 h + j of hmask[l]), -4..3
// (ggml's dequantize_row_q3_K). Q6_K's numerics with those:
//   D_k = sum_l c_kl xq_kl              int32, |D_k| <= 16 * 4 * 127
//   T_b = sc_2b D_2b + sc_2b+1 D_2b+1   int32, |T_b| <= 2 * 32 * 8128
//   P[b] = P[b] + (d * dx_b) * (float)T_b (exact T_b, < 2^24)
// (the GEMM's DotPanelMode kHalves with sub = sc_2b, sub2 = sc_2b+1).
// x86: Q6_K's step with the codes stored + 4 (u = c + 4 = low bits | hmask
// bit << 2, 0..7) and bias 4: per 32 weights and row a shift and an and
// (the plane), a shift and an and (the hmask bit to bit 2), an or,
// vpmaddubsw, a subtract: 7, plus 3 loads per super-block; then
// KHalvesStep (~23) and the scale unpack (~9): ~11 per 32 weights. The
// other targets run the portable step (Q3KBlockCodes in scalar,
// DotI8Portable: sdot/svdot on Arm, Highway elsewhere).
struct KDotQ3K {
  static constexpr size_t kBytes = q3_k::kBytes;

  static HWY_INLINE void StepPortable(const uint8_t* sb, const int8_t* xq,
                                      const float* dx, const int32_t*,
                                      const int32_t*, float* p) {
    const float d = KQuantHalf(sb, q3_k::kD);
    for (int b = 0; b < 8; ++b) {
      alignas(16) int8_t w[kDotBlock];
      Q3KBlockCodes(sb, b, w);
      const int32_t d0 = DotI8Portable<16>(w, xq + b * kDotBlock);
      const int32_t d1 = DotI8Portable<16>(w + 16, xq + b * kDotBlock + 16);
      const int32_t t = Q3KScale(sb + q3_k::kScales, 2 * b) * d0 +
                        Q3KScale(sb + q3_k::kScales, 2 * b + 1) * d1;
      p[b] = p[b] + (d * dx[b]) * static_cast<float>(t);
    }
  }

#if QINS_KDOT_X86
  using XGroup = KDotBiasedX8;
  QINS_KDOT_ATTR static HWY_INLINE XGroup LoadX(const int8_t* xq) {
    return LoadKDotBiasedX8<4>(xq);
  }

  // The 16 scales sc_k - 32 as int8, k in bytes 0..15 (Q3KScale): low
  // nibbles of bytes 0..7 (k < 8) or their high nibbles (k >= 8), and bits
  // 2 (k / 4) .. 2 (k / 4) + 1 of byte 8 + k % 4 at bit 4.
  QINS_KDOT_ATTR static HWY_INLINE __m128i Scales(const uint8_t* sb) {
    // 16 bytes from 4 before the scales (the end of qs): no read past the
    // super-block; the 12 scale bytes are bytes 4..15.
    const __m128i r = _mm_srli_si128(
        _mm_loadu_si128(
            reinterpret_cast<const __m128i*>(sb + q3_k::kScales - 4)),
        4);
    const __m128i m4 = _mm_set1_epi8(0x0F);
    const __m128i lo =
        _mm_and_si128(_mm_unpacklo_epi64(r, _mm_srli_epi16(r, 4)), m4);
    // Dword lane L: bytes 8..11 shifted by 2 L, so byte k of the result
    // (lane k / 4, byte k % 4) holds scales[8 + k % 4] >> 2 (k / 4).
    const __m128i hi = _mm_and_si128(
        _mm_srlv_epi32(_mm_shuffle_epi32(r, _MM_SHUFFLE(2, 2, 2, 2)),
                       _mm_setr_epi32(0, 2, 4, 6)),
        _mm_set1_epi8(0x03));
    return _mm_sub_epi8(_mm_or_si128(lo, _mm_slli_epi16(hi, 4)),
                        _mm_set1_epi8(32));
  }

  QINS_KDOT_ATTR static HWY_INLINE __m256 Step(const uint8_t* sb,
                                               const XGroup& x, __m256 dx,
                                               __m256i, __m256 acc) {
    const __m256i m3 = _mm256_set1_epi8(0x03);
    const __m256i m4 = _mm256_set1_epi8(0x04);
    const __m256i hm =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sb + q3_k::kHmask));
    __m256i v[kDotGroup];
    for (size_t h = 0; h < 2; ++h) {
      const __m256i qs = _mm256_loadu_si256(
          reinterpret_cast<const __m256i*>(sb + q3_k::kQs + 32 * h));
      for (size_t j = 0; j < 4; ++j) {
        const size_t b = 4 * h + j;
        // Bit b of hmask to bit 2 (16-bit shifts; the mask drops what
        // crosses a byte), the plane's 2 bits below it.
        const __m256i hb = b >= 2
                               ? _mm256_srli_epi16(hm, static_cast<int>(b - 2))
                               : _mm256_slli_epi16(hm, static_cast<int>(2 - b));
        const __m256i u = _mm256_or_si256(
            _mm256_and_si256(_mm256_srli_epi16(qs, static_cast<int>(2 * j)),
                             m3),
            _mm256_and_si256(hb, m4));
        // Pairs of (u - 4) xq: |.| <= 2 * 4 * 127 = 1016.
        v[b] = _mm256_sub_epi16(_mm256_maddubs_epi16(u, x.v[b]), x.bias[b]);
      }
    }
    // Sums of 8 products: |.| <= 8 * 4 * 127 = 4064, exact in int16.
    return KHalvesStep(v, Scales(sb), sb + q3_k::kD, dx, acc);
  }
#endif  // QINS_KDOT_X86
};

// Q2_K: x block b = 4 h + j holds 16-weight sub-blocks k = 2 b and 2 b +
// 1, each with a 4-bit scale sc_k (low nibble of scales[k]) and a 4-bit min
// m_k (high nibble); weight l of the block has the code (qs[32 h + l] >>
// 2 j) & 3 (Q2KBlockCodes), the weight d sc_k q - dmin m_k. With Xh_k the
// sum of x's 16 codes in sub-block k:
//   D_k = sum_l q_kl xq_kl              int32, |D_k| <= 16 * 3 * 127 = 6096
//   A_b = sc_2b D_2b + sc_2b+1 D_2b+1   int32, |A_b| <= 2 * 15 * 6096
//   M_b = m_2b Xh_2b + m_2b+1 Xh_2b+1   int32, |M_b| <= 2 * 15 * 2032
//   T_b = d * (float)A_b - dmin * (float)M_b
//   P[b] = P[b] + T_b * dx_b
// (A_b and M_b < 2^24: exact in f32; each operation rounds as written.)
// x86: per 32 weights and row a shift, an and and vpmaddubsw (3 ops; the
// codes are unsigned, so no bias); per super-block the two vphaddw levels
// of HalfSums16 (6), then vpmaddwd with the scales (each int32 lane's two
// int16 the same sc_k: A without a vpmulld) and with the mins on x's half
// sums (their vphaddw levels once per x group, shared by the rows), 4
// permutes and 2 adds, the scale/min unpack (2 ands, a shift, 4 vpshufb),
// d and dmin (load, vcvtph2ps, 2 broadcasts), 2 converts, 3 multiplies, a
// subtract and an add: ~60 per super-block, ~7.5 per 32 weights.
struct KDotQ2K {
  static constexpr size_t kBytes = q2_k::kBytes;

  static HWY_INLINE void StepPortable(const uint8_t* sb, const int8_t* xq,
                                      const float* dx, const int32_t* xsum,
                                      const int32_t* xsum_lo, float* p) {
    const float d = KQuantHalf(sb, q2_k::kD);
    const float dmin = KQuantHalf(sb, q2_k::kDmin);
    const uint8_t* sc = sb + q2_k::kScales;
    for (int b = 0; b < 8; ++b) {
      alignas(16) int8_t w[kDotBlock];
      Q2KBlockCodes(sb, b, w);
      const int8_t* xb = xq + b * kDotBlock;
      const int32_t d0 = DotI8Portable<16>(w, xb);
      const int32_t d1 = DotI8Portable<16>(w + 16, xb + 16);
      const int32_t h0 = xsum_lo[b], h1 = xsum[b] - h0;
      const int32_t a = (sc[2 * b] & 0xF) * d0 + (sc[2 * b + 1] & 0xF) * d1;
      const int32_t m = (sc[2 * b] >> 4) * h0 + (sc[2 * b + 1] >> 4) * h1;
      const float t = d * static_cast<float>(a) - dmin * static_cast<float>(m);
      p[b] = p[b] + t * dx[b];
    }
  }

#if QINS_KDOT_X86
  // x's blocks and, once per group, the two vphaddw levels of its pair
  // sums (vpmaddubsw(1, xq)): int16 lanes of 8 codes (|.| <= 1016) in
  // HalfSums16's order, for the min term.
  struct XGroup {
    __m256i v[kDotGroup];
    __m256i ha, hb;
  };
  QINS_KDOT_ATTR static HWY_INLINE XGroup LoadX(const int8_t* xq) {
    XGroup x;
    const __m256i ones = _mm256_set1_epi8(1);
    __m256i p[kDotGroup];
    for (size_t j = 0; j < kDotGroup; ++j) {
      x.v[j] = _mm256_load_si256(
          reinterpret_cast<const __m256i*>(xq + j * kDotBlock));
      p[j] = _mm256_maddubs_epi16(ones, x.v[j]);
    }
    x.ha = _mm256_hadd_epi16(_mm256_hadd_epi16(p[0], p[1]),
                             _mm256_hadd_epi16(p[2], p[3]));
    x.hb = _mm256_hadd_epi16(_mm256_hadd_epi16(p[4], p[5]),
                             _mm256_hadd_epi16(p[6], p[7]));
    return x;
  }

  // sum_k c_k H_k per block j in lane j: H the two vphaddw levels of 8
  // blocks (int16 lanes, int32 lane i of the low 128 bits sub-block 2 i of
  // block i (a: blocks 0..3, b: 4..7), of the high 128 bits sub-block 2 i +
  // 1), c the 16 4-bit factors (scales or mins) as bytes 0..15 of both
  // 128-bit halves of c16. vpmaddwd with each factor in both int16 of its
  // lane: |.| <= 15 * 2 * 3048.
  QINS_KDOT_ATTR static HWY_INLINE __m256i Weighted(__m256i ha, __m256i hb,
                                                    __m256i c16) {
    const __m256i ia = _mm256_setr_epi8(
        0, -1, 0, -1, 2, -1, 2, -1, 4, -1, 4, -1, 6, -1, 6, -1,  //
        1, -1, 1, -1, 3, -1, 3, -1, 5, -1, 5, -1, 7, -1, 7, -1);
    const __m256i ib = _mm256_add_epi8(ia, _mm256_set1_epi16(8));
    const __m256i a = _mm256_madd_epi16(ha, _mm256_shuffle_epi8(c16, ia));
    const __m256i b = _mm256_madd_epi16(hb, _mm256_shuffle_epi8(c16, ib));
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20),
                            _mm256_permute2x128_si256(a, b, 0x31));
  }

  QINS_KDOT_ATTR static HWY_INLINE __m256 Step(const uint8_t* sb,
                                               const XGroup& x, __m256 dx,
                                               __m256i, __m256 acc) {
    const __m256i m3 = _mm256_set1_epi8(0x03);
    __m256i v[kDotGroup];
    for (size_t h = 0; h < 2; ++h) {
      const __m256i qs = _mm256_loadu_si256(
          reinterpret_cast<const __m256i*>(sb + q2_k::kQs + 32 * h));
      for (size_t j = 0; j < 4; ++j) {
        const size_t b = 4 * h + j;
        const __m256i u = _mm256_and_si256(
            _mm256_srli_epi16(qs, static_cast<int>(2 * j)), m3);
        // Pairs of q xq: |.| <= 2 * 3 * 127 = 762.
        v[b] = _mm256_maddubs_epi16(u, x.v[b]);
      }
    }
    // Sums of 8 products: |.| <= 8 * 3 * 127 = 3048, exact in int16.
    const __m256i ha = _mm256_hadd_epi16(_mm256_hadd_epi16(v[0], v[1]),
                                         _mm256_hadd_epi16(v[2], v[3]));
    const __m256i hb = _mm256_hadd_epi16(_mm256_hadd_epi16(v[4], v[5]),
                                         _mm256_hadd_epi16(v[6], v[7]));
    const __m256i raw = _mm256_broadcastsi128_si256(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(sb + q2_k::kScales)));
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i sc = _mm256_and_si256(raw, m4);
    const __m256i mn = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
    const __m256i a = Weighted(ha, hb, sc);      // A_j
    const __m256i m = Weighted(x.ha, x.hb, mn);  // M_j
    int32_t h;
    memcpy(&h, sb + q2_k::kD, 4);
    const __m128 dd = _mm_cvtph_ps(_mm_cvtsi32_si128(h));  // d, dmin
    const __m256 tj = _mm256_sub_ps(
        _mm256_mul_ps(_mm256_broadcastss_ps(dd), _mm256_cvtepi32_ps(a)),
        _mm256_mul_ps(_mm256_broadcastss_ps(_mm_movehdup_ps(dd)),
                      _mm256_cvtepi32_ps(m)));
    return _mm256_add_ps(acc, _mm256_mul_ps(tj, dx));
  }
#endif  // QINS_KDOT_X86
};

using KDotQ4K = KDotQ45<4>;
using KDotQ5K = KDotQ45<5>;

// kRows (1 or 4) rows of whole super-blocks: super-block s of every row
// with x's group s (loaded once, shared by the rows); x86's intrinsic step
// where F has one, the portable step otherwise.
template <size_t kRows, class F>
QINS_KDOT_ATTR HWY_INLINE void KDotRows(const uint8_t* HWY_RESTRICT w,
                                        size_t stride, const Q8Blocks& x,
                                        float* out, GroupPrefetch pf) {
#if QINS_KDOT_X86
  {
    __m256 acc[kRows];
    for (size_t i = 0; i < kRows; ++i) acc[i] = _mm256_setzero_ps();
    for (size_t g = 0, s = 0; g < x.blocks; g += kDotGroup, ++s) {
      if constexpr (kRows == 4) {
        for (size_t j = 0; j < kDotGroup; ++j) pf.Step();
      }
      const auto xg = F::LoadX(x.q + g * kDotBlock);
      const __m256 dx = _mm256_loadu_ps(x.d + g);
      const __m256i xs =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.sum + g));
      for (size_t i = 0; i < kRows; ++i) {
        acc[i] = F::Step(w + i * stride + s * F::kBytes, xg, dx, xs, acc[i]);
      }
    }
    for (size_t i = 0; i < kRows; ++i) out[i] = DotFinalSum(acc[i]);
    return;
  }
#endif
  float acc[kRows][kDotGroup] = {};
  for (size_t g = 0, s = 0; g < x.blocks; g += kDotGroup, ++s) {
    for (size_t j = 0; j < kDotGroup; ++j) {
      if constexpr (kRows == 4) pf.Step();
    }
    for (size_t i = 0; i < kRows; ++i) {
      F::StepPortable(w + i * stride + s * F::kBytes, x.q + g * kDotBlock,
                      x.d + g, x.sum + g, x.sum_lo + g, acc[i]);
    }
  }
  for (size_t i = 0; i < kRows; ++i) out[i] = DotTreeSum(acc[i]);
}

// Rows [r0, r1) in groups of 4 (a row's arithmetic is the same in a group
// of 4 and alone: y does not depend on the thread split).
template <class F>
QINS_KDOT_ATTR HWY_INLINE void GemvKDotRows(const QuantizedMatrix::Data& m,
                                            const Q8Blocks& x, float* y,
                                            size_t r0, size_t r1) {
  for (size_t r = r0; r < r1; r += 4) {
    const size_t n = std::min<size_t>(4, r1 - r);
    if (n == 4) {
      KDotRows<4, F>(m.row(r), m.row_stride, x, y + r,
                     GroupPrefetch::ForGroup(m, r, r1, x.blocks));
    } else {
      for (size_t i = 0; i < n; ++i) {
        KDotRows<1, F>(m.row(r + i), m.row_stride, x, y + r + i,
                       GroupPrefetch(nullptr, 0, 0));
      }
    }
  }
}

#define QINS_KDOT_KERNEL(Name, Format)                                       \
  QINS_KDOT_ATTR HWY_NOINLINE void Name(const QuantizedMatrix::Data& m,      \
                                        const GemvX& x, float* y, size_t r0, \
                                        size_t r1) {                         \
    GemvKDotRows<Format>(m, x.q8, y, r0, r1);                                \
  }
QINS_KDOT_KERNEL(GemvQ4KDot, KDotQ4K)
QINS_KDOT_KERNEL(GemvQ5KDot, KDotQ5K)
QINS_KDOT_KERNEL(GemvQ6KDot, KDotQ6K)
QINS_KDOT_KERNEL(GemvIQ4XSDot, KDotIQ4XS)
QINS_KDOT_KERNEL(GemvQ3KDot, KDotQ3K)
QINS_KDOT_KERNEL(GemvQ2KDot, KDotQ2K)

// `dot` reads x quantized (GemvX::q8), no f32 copy.
template <>
struct GemvKernelOf<FormatKind::kQ4_K, GemvStrategy::kDot>
    : GemvKernel<&GemvQ4KDot> {};
template <>
struct GemvKernelOf<FormatKind::kQ5_K, GemvStrategy::kDot>
    : GemvKernel<&GemvQ5KDot> {};
template <>
struct GemvKernelOf<FormatKind::kQ6_K, GemvStrategy::kDot>
    : GemvKernel<&GemvQ6KDot> {};
template <>
struct GemvKernelOf<FormatKind::kIQ4_XS, GemvStrategy::kDot>
    : GemvKernel<&GemvIQ4XSDot> {};
template <>
struct GemvKernelOf<FormatKind::kQ3_K, GemvStrategy::kDot>
    : GemvKernel<&GemvQ3KDot> {};
template <>
struct GemvKernelOf<FormatKind::kQ2_K, GemvStrategy::kDot>
    : GemvKernel<&GemvQ2KDot> {};
#undef QINS_KDOT_KERNEL

#undef QINS_KDOT_X86
#undef QINS_KDOT_ATTR

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_GEMV_GEMV_KQUANT_DOT_INL_H_
