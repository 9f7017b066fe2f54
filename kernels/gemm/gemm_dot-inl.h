// Per-target integer-dot GEMM kernel (GemmStrategy::kDot): Y rows [i0, i0 +
// m) x one panel of W (kernels/gemm/dot_panel.h: 16 rows of int8 codes,
// interleaved 4 codes per row) against X quantized once per call
// (kernels/gemm/dot_x_rows.h). Included once per target by
// dispatch/gemm_dispatch.cc.
//
// Numerics: Y[i][j] is, bit for bit, what the `dot` GEMV gives for row j of W
// and x = row i of X (kernels/gemv/gemv_dot-inl.h): per block b the exact
// int32 S_b = sum_t w_bt q_bt, then the f32 steps
//   P[b % 8] = P[b % 8] + (dw_b * dx_b) * (float)S_b
//   (q4_1, q5_1:) P[b % 8] = P[b % 8] + (m_b * dx_b) * (float)X_b
// y = ((P0 + P4) + (P2 + P6)) + ((P1 + P5) + (P3 + P7)) (i8row: times its row
// scale). So a prompt's logits do not depend on whether its rows ran through
// the GEMM or one by one through the GEMV, and the GEMV's tests against an
// independent scalar reference carry over (tests/kernels/gemm/
// gemm_dot_test.cc checks GEMM == GEMV on every target).
//
// AVX3_DL (AVX-512 VNNI): one int32 lane per row of the panel. Per block and
// tile of kDotTileRows = 8 rows of X: 8 aligned 64-byte loads of the codes
// (shared by the 8 rows of X), and per row of X 8 vpdpbusd (the x codes'
// dword an embedded {1to16} broadcast of each) starting from -128 * sum (the
// codes' bias, one broadcast), then the scale broadcast, convert, 2
// multiplies and the add into P (in a register): 6 vector ops and 8
// vpdpbusd = 512 multiply-adds, against the f32 GEMM's 32 FMA for the same
// work (16 per 256 on AVX-512). q4_1 and q5_1 add 2 multiplies (one with a
// broadcast operand) and an add; Q4_K and Q5_K (DotPanelMode kFoldedMin)
// a multiply and an add; Q6_K a convert, 2 multiplies and an add.
// AVX2 and AVX3 (AVX-512 without VNNI): vpmaddwd on the codes split into
// int16 pairs (GemmDotTileX86). NEON with dotprod: sdot by lane
// (GemmDotTileSdot), or where the CPU has i8mm usmmla (GemmDotTileMmla,
// the kernel table's dot_rows_i8mm). SVE: GemmDotTileHwy with SVE's sdot by
// lane for the integer part. Other SIMD targets (SSSE3, SSE4, NEON without
// dotprod): the same arithmetic with Highway int32 multiplies (GemmDotTileHwy:
// about half of the f32 GEMM's speed or less); SCALAR: plain C++. The panel
// packer (GemmDotPack) is SIMD on every target but SCALAR.

#if defined(QINS_KERNELS_GEMM_GEMM_DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_GEMM_GEMM_DOT_INL_H_
#undef QINS_KERNELS_GEMM_GEMM_DOT_INL_H_
#else
#define QINS_KERNELS_GEMM_GEMM_DOT_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "kernels/formats/block_rows.h"
#include "kernels/formats/half.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/kquant_blocks.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/gemm/dot_panel.h"
#include "kernels/gemm/dot_x_rows.h"

#if HWY_TARGET == HWY_NEON && defined(__ARM_FEATURE_DOTPROD)
#include <arm_neon.h>
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR
void GemmDotPack(const QuantizedMatrix::Data& d, size_t n0, size_t cols,
                 uint8_t* buffer, DotPanel* p) {
  PackDotPanel(d, n0, cols, buffer, p);
}
#else
namespace hn = hwy::HWY_NAMESPACE;

// One block of 32 weights of a format as 32 bytes w + 128 (dot_panel.h's
// codes), 16 lanes at a time: q8_0 / i8row 2 loads and 2 xor; the nibble
// formats a load, an and, a shift and 2 TableLookupBytes (vpshufb) from
// the format's 16 codes + 128 (qins4: its block's table); q5_0 / q5_1 then
// 2 LoadMaskBits and 2 masked adds of 16 for the fifth bits.
HWY_INLINE void DotBlockU8(const uint8_t* blk, const DotBlockLayout& f,
                           const uint8_t* table, uint8_t* HWY_RESTRICT u) {
  const hn::CappedTag<uint8_t, 16> d8;
  if (table == nullptr) {
    const auto bias = hn::Set(d8, 0x80);
    hn::Store(hn::Xor(hn::LoadU(d8, blk + f.codes), bias), d8, u);
    hn::Store(hn::Xor(hn::LoadU(d8, blk + f.codes + 16), bias), d8, u + 16);
    return;
  }
  const auto t = hn::LoadU(d8, table);
  const auto q = hn::LoadU(d8, blk + f.codes);
  auto lo = hn::TableLookupBytes(t, hn::And(q, hn::Set(d8, 0x0F)));
  auto hi = hn::TableLookupBytes(t, hn::ShiftRight<4>(q));
  if (f.qh != 0) {
    const auto sixteen = hn::Set(d8, 16);
    lo = hn::Add(lo,
                 hn::IfThenElseZero(hn::LoadMaskBits(d8, blk + f.qh), sixteen));
    hi = hn::Add(
        hi, hn::IfThenElseZero(hn::LoadMaskBits(d8, blk + f.qh + 2), sixteen));
  }
  hn::Store(lo, d8, u);
  hn::Store(hi, d8, u + 16);
}

// A K-quant super-block's 8 blocks of codes + 128 into u[8][32] (16 lanes
// at a time): Q4_K per 32 bytes of nibbles a load, and/shift, 2 or; Q5_K
// + per block a test of its qh bit and an or of 16; Q6_K per 16 weights of
// 4 blocks 3 loads and ~14 shifts/ands/ors; IQ4_XS per block a load, an
// and, a shift and 2 TableLookupBytes; Q3_K per 16 weights of 4 blocks 2
// loads and per block a shift, 2 ands, a compare, a select and an add.
// KQuantDotCodes (dot_panel.cc) states the same codes in scalar C++.
HWY_INLINE void KQuantCodesU8(FormatKind kind, const uint8_t* sb,
                              uint8_t (*HWY_RESTRICT u)[32]) {
  const hn::CappedTag<uint8_t, 16> d8;
  const auto lo4 = hn::Set(d8, 0x0F);
  if (kind == FormatKind::kQ3_K) {
    // Block 4 h + j: plane j of qs[32 h ..] (a shift by 2 j and an and)
    // plus 124 or 128 by bit 4 h + j of hmask (a test and a select).
    const auto three = hn::Set(d8, 3);
    const auto with_bit = hn::Set(d8, 128), without = hn::Set(d8, 124);
    for (size_t h = 0; h < 2; ++h) {
      for (size_t l = 0; l < 32; l += 16) {
        const auto q = hn::LoadU(d8, sb + q3_k::kQs + 32 * h + l);
        const auto hm = hn::LoadU(d8, sb + q3_k::kHmask + l);
        auto plane = [&]<int kJ>() {
          const auto bit =
              hn::Set(d8, static_cast<uint8_t>(1u << (4 * h + kJ)));
          const auto base =
              hn::IfThenElse(hn::TestBit(hm, bit), with_bit, without);
          hn::StoreU(hn::Add(base, hn::And(hn::ShiftRight<2 * kJ>(q), three)),
                     d8, u[4 * h + kJ] + l);
        };
        plane.template operator()<0>();
        plane.template operator()<1>();
        plane.template operator()<2>();
        plane.template operator()<3>();
      }
    }
    return;
  }
  if (kind == FormatKind::kIQ4_XS) {
    const auto t = hn::LoadU(d8, kIQ4NLBiased.v);
    for (size_t j = 0; j < 8; ++j) {
      const auto q = hn::LoadU(d8, sb + iq4_xs::kQs + 16 * j);
      hn::StoreU(hn::TableLookupBytes(t, hn::And(q, lo4)), d8, u[j]);
      hn::StoreU(hn::TableLookupBytes(t, hn::ShiftRight<4>(q)), d8, u[j] + 16);
    }
    return;
  }
  if (kind == FormatKind::kQ6_K) {
    const auto m30 = hn::Set(d8, 0x30);
    const auto bias = hn::Set(d8, 96);  // q - 32 + 128
    for (size_t h = 0; h < 2; ++h) {
      for (size_t l = 0; l < 32; l += 16) {
        const auto ql0 = hn::LoadU(d8, sb + q6_k::kQl + 64 * h + l);
        const auto ql1 = hn::LoadU(d8, sb + q6_k::kQl + 64 * h + 32 + l);
        const auto qh = hn::LoadU(d8, sb + q6_k::kQh + 32 * h + l);
        const auto b0 =
            hn::Or(hn::And(ql0, lo4), hn::And(hn::ShiftLeft<4>(qh), m30));
        const auto b1 =
            hn::Or(hn::And(ql1, lo4), hn::And(hn::ShiftLeft<2>(qh), m30));
        const auto b2 = hn::Or(hn::ShiftRight<4>(ql0), hn::And(qh, m30));
        const auto b3 =
            hn::Or(hn::ShiftRight<4>(ql1), hn::And(hn::ShiftRight<2>(qh), m30));
        hn::StoreU(hn::Add(b0, bias), d8, u[4 * h + 0] + l);
        hn::StoreU(hn::Add(b1, bias), d8, u[4 * h + 1] + l);
        hn::StoreU(hn::Add(b2, bias), d8, u[4 * h + 2] + l);
        hn::StoreU(hn::Add(b3, bias), d8, u[4 * h + 3] + l);
      }
    }
    return;
  }
  const bool q5 = kind == FormatKind::kQ5_K;
  const uint8_t* qs = sb + (q5 ? q5_k::kQs : q4_k::kQs);
  const auto top = hn::Set(d8, 0x80);
  for (size_t pair = 0; pair < 4; ++pair) {
    for (size_t l = 0; l < 32; l += 16) {
      const auto q = hn::LoadU(d8, qs + 32 * pair + l);
      auto c0 = hn::Or(hn::And(q, lo4), top);
      auto c1 = hn::Or(hn::ShiftRight<4>(q), top);
      if (q5) {
        const auto qh = hn::LoadU(d8, sb + q5_k::kQh + l);
        const auto sixteen = hn::Set(d8, 16);
        const auto bit0 = hn::Set(d8, static_cast<uint8_t>(1u << (2 * pair)));
        const auto bit1 =
            hn::Set(d8, static_cast<uint8_t>(1u << (2 * pair + 1)));
        c0 = hn::Or(c0, hn::IfThenElseZero(hn::TestBit(qh, bit0), sixteen));
        c1 = hn::Or(c1, hn::IfThenElseZero(hn::TestBit(qh, bit1), sixteen));
      }
      hn::StoreU(c0, d8, u[2 * pair] + l);
      hn::StoreU(c1, d8, u[2 * pair + 1] + l);
    }
  }
}

// Rows [n0, n0 + cols) into the panel: per block, each row's 32 codes
// converted into a 16 x 32 byte stage, then 4 rows at a time interleaved
// by dwords (StoreInterleaved4 on 32-bit lanes: a 4 x N transpose in
// registers) and copied 16 bytes per group of 4 codes: per block and row
// about 8 vector ops for the conversion and 4 for the interleave, against
// PackDotPanel's ~80 scalar ones. The K-quants convert and scale a whole
// super-block per row (their scalar scales: one f16 conversion of d and
// dmin per 8 blocks, not per block), and every row's data 8 blocks ahead
// is prefetched: a panel reads 16 rows, 16 streams. Against a scale call
// per block and no prefetch, best of 3 alternating runs of
// `bench_gemm --benchmark_filter='@dot/3072x8192/m:(8|32|128)/threads:1'`
// (AMD EPYC Zen 4, 2026-12-06 22:55 UTC), GFLOP/s: q4_k 49/116/172 ->
// 82/155/201, q5_k 46/115/174 -> 74/147/190, q6_k 43/108/187 -> 74/159/207
// at M = 8/32/128; the prefetch alone, q4_0 82/164/212 -> 99/196/253.
HWY_NOINLINE void GemmDotPack(const QuantizedMatrix::Data& d, size_t n0,
                              size_t cols, uint8_t* buffer, DotPanel* p) {
  PrepareDotPanel(d, n0, cols, buffer, p);
  const FormatKind kind = d.format.kind;
  // K-quants: bytes per super-block (8 blocks); the others: their layout.
  const size_t super = KQuantSuperBytes(kind);
  const DotBlockLayout f =
      super != 0 ? DotBlockLayout{} : DotBlockLayoutOf(kind);
  const hn::CappedTag<uint32_t, 8> d32;
  const size_t N = hn::Lanes(d32);
  HWY_ALIGN uint8_t stage[kDotPanelRows][32];
  // K-quants: a super-block's 8 blocks per row, converted at once.
  HWY_ALIGN uint8_t kstage[kDotPanelRows][8][32];
  HWY_ALIGN uint32_t quads[4 * 8];
  memset(stage, 0x80, sizeof(stage));  // rows past cols: w = 0
  // Each row's 32 codes of the block being interleaved: stage[r] (rows past
  // cols, and every row of the 32-block formats) or kstage[r][b % 8].
  const uint8_t* src[kDotPanelRows];
  for (size_t r = 0; r < kDotPanelRows; ++r) src[r] = stage[r];
  const size_t groups4 = (cols + 3) / 4;
  for (size_t b = 0; b < p->blocks; ++b) {
    if (super != 0 && b % 8 == 0) {
      // The K-quants, once per super-block and row: the codes of its 8
      // blocks (SIMD) and their scales (scalar, d and dmin converted once);
      // the row's next super-block prefetched (the 16 rows are 16 streams).
      for (size_t r = 0; r < cols; ++r) {
        const uint8_t* sb = d.row(n0 + r) + (b / 8) * super;
        if (b + 8 < p->blocks) {
          for (size_t o = 0; o < super; o += 64) hwy::Prefetch(sb + super + o);
        }
        KQuantCodesU8(kind, sb, kstage[r]);
        const size_t e = b * kDotPanelRows + r;
        KQuantDotSuperScales(kind, sb, kDotPanelRows, &p->scale[e], &p->min[e],
                             &p->sub[e], &p->sub2[e]);
      }
    }
    for (size_t r = 0; r < cols && super != 0; ++r) src[r] = kstage[r][b % 8];
    for (size_t r = 0; r < cols && super == 0; ++r) {
      const uint8_t* blk = d.row(n0 + r) + b * f.bytes;
      // The row's block 8 ahead (one prefetch per block: a 64-byte line
      // holds 1.8 to 3.6 of these blocks).
      if (b + 8 < p->blocks) hwy::Prefetch(blk + 8 * f.bytes);
      DotBlockU8(blk, f, DotBlockTable(f, blk), stage[r]);
      p->scale[b * kDotPanelRows + r] = DotBlockScale(f, blk);
      p->min[b * kDotPanelRows + r] = DotBlockMin(f, blk);
    }
    uint8_t* out = p->codes + b * kDotPanelBlockBytes;
    for (size_t q4 = 0; q4 < groups4; ++q4) {
      const size_t r0 = 4 * q4;
      for (size_t c = 0; c < 8; c += N) {
        const auto v0 =
            hn::Load(d32, reinterpret_cast<const uint32_t*>(src[r0]) + c);
        const auto v1 =
            hn::Load(d32, reinterpret_cast<const uint32_t*>(src[r0 + 1]) + c);
        const auto v2 =
            hn::Load(d32, reinterpret_cast<const uint32_t*>(src[r0 + 2]) + c);
        const auto v3 =
            hn::Load(d32, reinterpret_cast<const uint32_t*>(src[r0 + 3]) + c);
        hn::StoreInterleaved4(v0, v1, v2, v3, d32, quads);
        for (size_t i = 0; i < N; ++i)
          memcpy(out + (c + i) * 64 + r0 * 4, quads + 4 * i, 16);
      }
    }
  }
}
#endif  // HWY_TARGET == HWY_SCALAR

// Rows of X per tile: 8 int32 accumulators (Q6_K: 16) + the codes +
// temporaries fit AVX-512's 32 registers.
constexpr size_t kDotTileRows = 8;

// Calls fn.template operator()<mode>() for the panel's mode, so that each
// kernel is compiled once per mode without run-time branches inside.
template <class Fn>
HWY_INLINE void DotModeSwitch(DotPanelMode mode, Fn&& fn) {
  switch (mode) {
    case DotPanelMode::kPlain:
      fn.template operator()<DotPanelMode::kPlain>();
      break;
    case DotPanelMode::kMin:
      fn.template operator()<DotPanelMode::kMin>();
      break;
    case DotPanelMode::kFoldedMin:
      fn.template operator()<DotPanelMode::kFoldedMin>();
      break;
    case DotPanelMode::kHalves:
      fn.template operator()<DotPanelMode::kHalves>();
      break;
  }
}

#if HWY_TARGET != HWY_SCALAR
// One block's f32 step for a vector of panel rows (lanes from e of the
// panel's arrays) and one row of X (its block scale dx and code sum xsum),
// added to the partial sum s, each step rounded as DotPanelMode states:
// kPlain s + (dw dx) S with S = a, kHalves the same with S = sub a + sub2
// h, kMin then + (min dx) X, kFoldedMin s + ((dw S) + (min X)) dx. Every
// SIMD tile (AVX3_DL, AVX2/AVX3, Highway/SVE, NEON sdot) takes its f32
// arithmetic from here; the SCALAR GemmDotRows below states it in plain C++.
template <DotPanelMode kMode, class DF, class VI>
HWY_INLINE hn::Vec<DF> DotBlockAdd(DF df, VI a, VI h, const DotPanel& p,
                                   size_t e, float dx, float xsum,
                                   hn::Vec<DF> s) {
  const auto vdx = hn::Set(df, dx);
  auto sv = hn::ConvertTo(df, a);
  if constexpr (kMode == DotPanelMode::kHalves) {
    sv = hn::Add(hn::Mul(hn::LoadU(df, p.sub + e), sv),
                 hn::Mul(hn::LoadU(df, p.sub2 + e), hn::ConvertTo(df, h)));
  }
  if constexpr (kMode == DotPanelMode::kFoldedMin) {
    const auto t =
        hn::Add(hn::Mul(hn::LoadU(df, p.scale + e), sv),
                hn::Mul(hn::LoadU(df, p.min + e), hn::Set(df, xsum)));
    return hn::Add(s, hn::Mul(t, vdx));
  }
  s = hn::Add(s, hn::Mul(hn::Mul(hn::LoadU(df, p.scale + e), vdx), sv));
  if constexpr (kMode == DotPanelMode::kMin) {
    const auto cm = hn::Mul(hn::LoadU(df, p.min + e), vdx);
    s = hn::Add(s, hn::Mul(cm, hn::Set(df, xsum)));
  }
  return s;
}

// DotBlockAdd on the partial sum at `part` (memory).
template <DotPanelMode kMode, class DF, class VI>
HWY_INLINE void DotBlockStep(DF df, VI a, VI h, const DotPanel& p, size_t e,
                             float dx, float xsum, float* HWY_RESTRICT part) {
  hn::StoreU(DotBlockAdd<kMode>(df, a, h, p, e, dx, xsum, hn::LoadU(df, part)),
             df, part);
}
// y[0 .. cols) of one row of X from its 8 partial sums part[l][r]: ((P0 +
// P4) + (P2 + P6)) + ((P1 + P5) + (P3 + P7)) per panel row r (i8row: times
// its row scale), Lanes(df) rows at a time: every SIMD tile's last step.
template <class DF>
HWY_INLINE void StoreDotTree(DF df, const float (*part)[kDotPanelRows],
                             const DotPanel& p, size_t cols, float* y) {
  const size_t N = hn::Lanes(df);
  for (size_t c0 = 0; c0 < cols; c0 += N) {
    auto at = [&](size_t l) { return hn::LoadU(df, part[l] + c0); };
    auto v = hn::Add(hn::Add(hn::Add(at(0), at(4)), hn::Add(at(2), at(6))),
                     hn::Add(hn::Add(at(1), at(5)), hn::Add(at(3), at(7))));
    if (p.has_row_scale) v = hn::Mul(v, hn::LoadU(df, p.row_scale + c0));
    HWY_ALIGN float out[kDotPanelRows];
    hn::Store(v, df, out);
    memcpy(y + c0, out, std::min(N, cols - c0) * sizeof(float));
  }
}

#endif  // HWY_TARGET != HWY_SCALAR

#if HWY_TARGET == HWY_AVX3_DL
// Highway 1.0.3's AVX3_DL attributes name AVX-VNNI, not AVX512-VNNI (see
// kernels/gemv/gemv_dot-inl.h); the EVEX vpdpbusd needs the latter.
#define QINS_GEMM_DOT_ATTR __attribute__((target(HWY_TARGET_STR ",avx512vnni")))

// acc + vpdpbusd(w, the 4 x codes at xq broadcast to every dword), the
// broadcast as vpdpbusd's embedded {1to16} memory operand: GCC 12 emits
// _mm512_set1_epi32 of a loaded dword as a separate vpbroadcastd, one more
// instruction per vpdpbusd (64 per block and tile of 8 rows of X).
QINS_GEMM_DOT_ATTR HWY_INLINE __m512i DpbusdBroadcast(__m512i acc, __m512i w,
                                                      const int8_t* xq) {
  asm("vpdpbusd %2%{1to16%}, %1, %0"
      : "+v"(acc)
      : "v"(w), "m"(*reinterpret_cast<const int32_t*>(xq)));
  return acc;
}

template <size_t kRows, DotPanelMode kMode>
QINS_GEMM_DOT_ATTR void GemmDotTile(const DotPanel& p, const DotXRows& x,
                                    size_t i0, float* HWY_RESTRICT y,
                                    size_t ldy, size_t cols) {
  constexpr bool kHalves = kMode == DotPanelMode::kHalves;
  // part[i][l][r]: partial sum l (blocks b with b % 8 = l) of row i of X and
  // panel row r. The blocks run l by l (b = l, l + 8, ...), so that the
  // partial sums of the tile's rows stay in registers, against a load and a
  // store per block and row (and a memset) when b runs in order. Best of 3
  // alternating runs, `bench_gemm --benchmark_filter='@dot/3072x8192/m:128/
  // threads:1'`, AMD EPYC Zen 4, 2026-12-07 01:30 UTC, GFLOP/s: q4_k 227 ->
  // 236, q5_k 221 -> 229, q6_k 212 -> 233, q4_0 264 -> 275.
  alignas(64) float part[kRows][8][16];
  const hn::Full512<float> df;
  const size_t nb = x.blocks;
  for (size_t l = 0; l < 8; ++l) {
    hn::Vec512<float> sum[kRows];
#pragma GCC unroll 8
    for (size_t i = 0; i < kRows; ++i) sum[i] = hn::Zero(df);
    for (size_t b = l; b < nb; b += 8) {
      __m512i acc[kRows], acc2[kRows];
#pragma GCC unroll 8
      for (size_t i = 0; i < kRows; ++i) {
        const size_t xb = (i0 + i) * nb + b;
        if constexpr (kHalves) {
          acc[i] = _mm512_set1_epi32(x.neg_bias16[2 * xb]);
          acc2[i] = _mm512_set1_epi32(x.neg_bias16[2 * xb + 1]);
        } else {
          acc[i] = _mm512_set1_epi32(x.neg_bias[xb]);
        }
      }
      const uint8_t* wb = p.codes + b * kDotPanelBlockBytes;
#pragma GCC unroll 8
      for (size_t g = 0; g < 8; ++g) {
        const __m512i w = _mm512_loadu_si512(wb + g * 64);
#pragma GCC unroll 8
        for (size_t i = 0; i < kRows; ++i) {
          const int8_t* xq = x.q + ((i0 + i) * nb + b) * 32 + 4 * g;
          if (kHalves && g >= 4) {
            acc2[i] = DpbusdBroadcast(acc2[i], w, xq);
          } else {
            acc[i] = DpbusdBroadcast(acc[i], w, xq);
          }
        }
      }
      const size_t e = b * kDotPanelRows;
#pragma GCC unroll 8
      for (size_t i = 0; i < kRows; ++i) {
        const size_t xb = (i0 + i) * nb + b;
        sum[i] =
            DotBlockAdd<kMode>(df, hn::Vec512<int32_t>{acc[i]},
                               hn::Vec512<int32_t>{kHalves ? acc2[i] : acc[i]},
                               p, e, x.d[xb], x.sum[xb], sum[i]);
      }
    }
#pragma GCC unroll 8
    for (size_t i = 0; i < kRows; ++i) hn::Store(sum[i], df, part[i][l]);
  }
  for (size_t i = 0; i < kRows; ++i)
    StoreDotTree(df, part[i], p, cols, y + i * ldy);
}

template <DotPanelMode kMode>
QINS_GEMM_DOT_ATTR void GemmDotRowsT(const DotPanel& p, const DotXRows& x,
                                     size_t i0, size_t m, float* y, size_t ldy,
                                     size_t cols) {
  size_t i = 0;
  for (; i + kDotTileRows <= m; i += kDotTileRows)
    GemmDotTile<kDotTileRows, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols);
  switch (m - i) {
#define QINS_GEMM_DOT_CASE(r)                                    \
  case r:                                                        \
    GemmDotTile<r, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols); \
    break;
    QINS_GEMM_DOT_CASE(1)
    QINS_GEMM_DOT_CASE(2)
    QINS_GEMM_DOT_CASE(3)
    QINS_GEMM_DOT_CASE(4)
    QINS_GEMM_DOT_CASE(5)
    QINS_GEMM_DOT_CASE(6)
    QINS_GEMM_DOT_CASE(7)
#undef QINS_GEMM_DOT_CASE
    default:
      break;
  }
}

// Y[i0 + i][j] for i < m, j < cols (<= 16), y at row i0 of Y, column n0.
void GemmDotRows(const DotPanel& p, const DotXRows& x, size_t i0, size_t m,
                 float* y, size_t ldy, size_t cols) {
  DotModeSwitch(p.mode, [&]<DotPanelMode kMode>() {
    GemmDotRowsT<kMode>(p, x, i0, m, y, ldy, cols);
  });
}
#undef QINS_GEMM_DOT_ATTR

#elif HWY_TARGET != HWY_SCALAR
// The other SIMD targets (SSE4, SSSE3, NEON, SVE; AVX2 and AVX3 have
// GemmDotTileX86 below, NEON with dotprod GemmDotTileSdot):
// Highway, one int32 lane per row of the panel as on AVX3_DL, in chunks of
// N lanes; each code extracted from its row's dword (shift, and; shared by
// the rows of X) and multiplied by the broadcast x code (Mul + Add on int32:
// exact). Per code and row of X: a broadcast, a multiply and an add, i.e.
// ~3 ops per N multiply-adds, against the f32 GEMM's 1 FMA: this keeps the
// `dot` arithmetic (GEMM == GEMV) on these targets at about half of the
// f32 GEMM's speed, not a fast path (docs/gemm.md).
// On the SVE targets the integer part is SVE's sdot by lane instead: per
// group, row of X and N panel rows one svdot_lane_s32 (the codes made signed
// by one eor per group, shared by the rows of X; x's 16 bytes replicated per
// 128-bit segment by svld1rq), the sums starting at 0: the same int32 S.

#if HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2 || \
    HWY_TARGET == HWY_SVE_256 || HWY_TARGET == HWY_SVE2_128
#define QINS_GEMM_DOT_SVE 1
// acc + SVE sdot by lane: per int32 lane (panel row) the 4 bytes of w times
// the dword `lane` of x's 16 bytes, which svld1rq replicated into every
// 128-bit segment. (The lane is an immediate: the group loop is unrolled,
// so the switch folds.)
HWY_INLINE svint32_t GemmSveDotLane(svint32_t acc, svint8_t w, svint8_t x,
                                    size_t lane) {
  switch (lane) {
    case 0:
      return svdot_lane_s32(acc, w, x, 0);
    case 1:
      return svdot_lane_s32(acc, w, x, 1);
    case 2:
      return svdot_lane_s32(acc, w, x, 2);
    default:
      return svdot_lane_s32(acc, w, x, 3);
  }
}
#else
#define QINS_GEMM_DOT_SVE 0
#endif

template <size_t kRows, DotPanelMode kMode>
HWY_INLINE void GemmDotTileHwy(const DotPanel& p, const DotXRows& x, size_t i0,
                               float* HWY_RESTRICT y, size_t ldy, size_t cols) {
  static_assert(kRows >= 1 && kRows <= 4, "tile rows");
  constexpr bool kHalves = kMode == DotPanelMode::kHalves;
  const hn::CappedTag<int32_t, kDotPanelRows> di;
  const hn::RebindToUnsigned<decltype(di)> du;
  const hn::RebindToFloat<decltype(di)> df;
  using VI = hn::Vec<decltype(di)>;
  const size_t N = hn::Lanes(di);
  const size_t nb = x.blocks;
  HWY_ALIGN float part[kRows][8][kDotPanelRows];
  memset(part, 0, sizeof(part));
  for (size_t c0 = 0; c0 < cols; c0 += N) {
    for (size_t b = 0; b < nb; ++b) {
      const size_t l = b & 7;
      const int8_t* xq[4];
      // a: the block's sum (Q6_K: its first half), h: Q6_K's second half.
      VI a0 = hn::Zero(di), a1 = hn::Zero(di), a2 = hn::Zero(di),
         a3 = hn::Zero(di);
      VI h0 = hn::Zero(di), h1 = hn::Zero(di), h2 = hn::Zero(di),
         h3 = hn::Zero(di);
#define QINS_DOT_ROWS(OP) \
  OP(0, a0, h0) OP(1, a1, h1) OP(2, a2, h2) OP(3, a3, h3)
#define QINS_DOT_INIT(i, a, h)                        \
  if constexpr (kRows > i) {                          \
    const size_t xb = (i0 + i) * nb + b;              \
    xq[i] = x.q + xb * 32;                            \
    if constexpr (QINS_GEMM_DOT_SVE) {                \
      /* signed codes (below): the sums start at 0 */ \
    } else if constexpr (kHalves) {                   \
      a = hn::Set(di, x.neg_bias16[2 * xb]);          \
      h = hn::Set(di, x.neg_bias16[2 * xb + 1]);      \
    } else {                                          \
      a = hn::Set(di, x.neg_bias[xb]);                \
    }                                                 \
  }
      QINS_DOT_ROWS(QINS_DOT_INIT)
#undef QINS_DOT_INIT
      const uint8_t* wb = p.codes + b * kDotPanelBlockBytes + c0 * 4;
#if QINS_GEMM_DOT_SVE
      // SVE: one sdot per group, row of X and N panel rows (the codes made
      // signed by one eor of 0x80 per byte), against the Highway path's 4
      // broadcasts, 4 multiplies and 4 adds below.
      const svbool_t all8 = svptrue_b8();
#pragma GCC unroll 8
      for (size_t g = 0; g < 8; ++g) {
        const auto v =
            hn::Load(du, reinterpret_cast<const uint32_t*>(wb + g * 64));
        const svint8_t w = svreinterpret_s8_u8(
            sveor_n_u8_x(all8, svreinterpret_u8_u32(v), 0x80));
        const bool second = kHalves && g >= 4;
#define QINS_DOT_MAC(i, a, h)                                   \
  if constexpr (kRows > i) {                                    \
    const svint8_t xr = svld1rq_s8(all8, xq[i] + 16 * (g / 4)); \
    if (second) {                                               \
      h = GemmSveDotLane(h, w, xr, g % 4);                      \
    } else {                                                    \
      a = GemmSveDotLane(a, w, xr, g % 4);                      \
    }                                                           \
  }
        QINS_DOT_ROWS(QINS_DOT_MAC)
#undef QINS_DOT_MAC
      }
#else
      const auto mask = hn::Set(du, 0xFF);
      for (size_t g = 0; g < 8; ++g) {
        const auto v =
            hn::Load(du, reinterpret_cast<const uint32_t*>(wb + g * 64));
        const VI w0 = hn::BitCast(di, hn::And(v, mask));
        const VI w1 = hn::BitCast(di, hn::And(hn::ShiftRight<8>(v), mask));
        const VI w2 = hn::BitCast(di, hn::And(hn::ShiftRight<16>(v), mask));
        const VI w3 = hn::BitCast(di, hn::ShiftRight<24>(v));
        const bool second = kHalves && g >= 4;
#define QINS_DOT_MAC(i, a, h)                       \
  if constexpr (kRows > i) {                        \
    const int8_t* q = xq[i] + 4 * g;                \
    VI t = hn::Mul(w0, hn::Set(di, q[0]));          \
    t = hn::Add(t, hn::Mul(w1, hn::Set(di, q[1]))); \
    t = hn::Add(t, hn::Mul(w2, hn::Set(di, q[2]))); \
    t = hn::Add(t, hn::Mul(w3, hn::Set(di, q[3]))); \
    if (second) {                                   \
      h = hn::Add(h, t);                            \
    } else {                                        \
      a = hn::Add(a, t);                            \
    }                                               \
  }
        QINS_DOT_ROWS(QINS_DOT_MAC)
#undef QINS_DOT_MAC
      }
#endif  // QINS_GEMM_DOT_SVE
      const size_t e = b * kDotPanelRows + c0;
#define QINS_DOT_SCALE(i, a, h)                                               \
  if constexpr (kRows > i) {                                                  \
    const size_t xb = (i0 + i) * nb + b;                                      \
    DotBlockStep<kMode>(df, a, h, p, e, x.d[xb], x.sum[xb], part[i][l] + c0); \
  }
      QINS_DOT_ROWS(QINS_DOT_SCALE)
#undef QINS_DOT_SCALE
#undef QINS_DOT_ROWS
    }
  }
  for (size_t i = 0; i < kRows; ++i)
    StoreDotTree(df, part[i], p, cols, y + i * ldy);
}

template <DotPanelMode kMode>
void GemmDotRowsHwy(const DotPanel& p, const DotXRows& x, size_t i0, size_t m,
                    float* y, size_t ldy, size_t cols) {
  size_t i = 0;
  for (; i + 4 <= m; i += 4)
    GemmDotTileHwy<4, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols);
  switch (m - i) {
    case 1:
      GemmDotTileHwy<1, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols);
      break;
    case 2:
      GemmDotTileHwy<2, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols);
      break;
    case 3:
      GemmDotTileHwy<3, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols);
      break;
    default:
      break;
  }
}

#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3
// AVX2 and AVX3 (AVX-512 without VNNI): no vpdpbusd, so vpmaddwd on int16
// pairs, one int32 lane per panel row as on AVX3_DL. A row's dword of a
// 64-byte group holds its codes u0..u3 (w + 128, in [1, 255]): even = u &
// 0x00FF00FF is (u0, u2) as int16 pairs, odd = u >> 8 per 16-bit lane (u1,
// u3); the group's 4 x codes as the int16 pairs (x0, x2) and (x1, x3),
// sign-extended once per block and row of X into a scratch (xp, kDotChunk
// blocks at a time: a load, 3 shifts and 2 stores per block and row), each
// broadcast from there; vpmaddwd(even, (x0, x2)) + vpmaddwd(odd, (x1, x3))
// is then exactly u0 x0 + u1 x1 + u2 x2 + u3 x3 per lane (vpmaddwd is exact
// unless both products of a pair are (-32768)^2; here |u x| <= 255 * 128).
// The int32 sums start at x.neg_bias (Q6_K's halves: x.neg_bias16) as on
// AVX3_DL, so S_b is the same int32, and the f32 steps are those of
// AVX3_DL's GemmDotTile and GemmDotTileHwy in the same order (separate
// multiplies and adds; the build has -ffp-contract=off).
//
// Inner loop, per group of 4 codes x 16 panel rows: the codes' load, an
// and and a shift per vector (AVX2: 2 ymm of 8 rows; AVX3: 1 zmm), shared by
// the tile's rows of X; then per row of X 2 dword broadcasts (loads) and
// per vector 2 vpmaddwd and 2 vpaddd. Per 4 codes, row of X and vector (8
// panel rows on AVX2, 16 on AVX3): 4 vector ops (2 of them multiplies) and
// a broadcast, + the shared ones / kDotX86Rows, against the f32 GEMM's 4 FMA
// for the same lanes. GCC 12's loop: AVX2 57 instructions per group and
// tile of 4 rows (16 vpmaddwd, 16 vpaddd, 8 broadcasts, 6 register moves),
// AVX3 55 per tile of 8 (16 vpmaddwd). Per block and row of X and vector the
// f32 part: convert, 2 multiplies, and P's load, add and store (q4_1 / q5_1 and
// the K-quants their extra steps, as AVX3_DL). Tile: AVX2 kDotX86Rows = 4 rows
// of X x 16 panel rows (8 ymm accumulators, 4 of codes, 2 of x and temporaries
// fill its 16 registers); AVX3 8 rows (8 zmm accumulators of its 32). Q6_K's
// first-half sums go to memory before the second half, so that its loop has
// the same registers.
//
// Measured 2026-12-06 on an AMD EPYC (Zen 4, family 25 model 17; 2 cores
// shared with other work, load ~4, so noisy: single runs): QINS_TARGET=avx2
// bench_gemm --qins_formats=q4_0,q8_0,q4_k,q6_k
// --benchmark_filter='3072x8192/m:128/threads:1' --benchmark_min_time=0.1:
// q4_0@dot 124 GFLOP/s against the f32 row's 84 in the same run (q8_0 122 /
// 86, q4_k 99 / 90, q6_k 96 / 64; other runs 75..124 for @dot, 60..91 for
// f32); GemmDotTileHwy before it: q4_0@dot 25..35 against 50..86.
// QINS_TARGET=avx3, same command: q4_0@dot 132 against 53 (an f32 run hit
// by the other load; earlier AVX3 runs gave it 74..85), q8_0 119 / 84, q4_k
// 110 / 81, q6_k 112 / 88.
#if HWY_TARGET == HWY_AVX3
using DotVI = __m512i;
// The f32 step and final tree are the shared Highway ones (DotBlockStep,
// StoreDotTree) on these tags; DotVIH wraps a DotVI for them.
using DotDF = hn::Full512<float>;
using DotVIH = hn::Vec512<int32_t>;
constexpr size_t kDotX86Rows = 8;
HWY_INLINE DotVI DotLoadI(const uint8_t* p) { return _mm512_loadu_si512(p); }
HWY_INLINE DotVI DotSetI(int32_t v) { return _mm512_set1_epi32(v); }
HWY_INLINE DotVI DotAddI(DotVI a, DotVI b) { return _mm512_add_epi32(a, b); }
HWY_INLINE DotVI DotMadd(DotVI a, DotVI b) { return _mm512_madd_epi16(a, b); }
HWY_INLINE DotVI DotEven(DotVI u) {
  return _mm512_and_si512(u, _mm512_set1_epi32(0x00FF00FF));
}
HWY_INLINE DotVI DotOdd(DotVI u) { return _mm512_srli_epi16(u, 8); }
#else
using DotVI = __m256i;
using DotDF = hn::Full256<float>;
using DotVIH = hn::Vec256<int32_t>;
constexpr size_t kDotX86Rows = 4;
HWY_INLINE DotVI DotLoadI(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
HWY_INLINE DotVI DotSetI(int32_t v) { return _mm256_set1_epi32(v); }
HWY_INLINE DotVI DotAddI(DotVI a, DotVI b) { return _mm256_add_epi32(a, b); }
HWY_INLINE DotVI DotMadd(DotVI a, DotVI b) { return _mm256_madd_epi16(a, b); }
HWY_INLINE DotVI DotEven(DotVI u) {
  return _mm256_and_si256(u, _mm256_set1_epi32(0x00FF00FF));
}
HWY_INLINE DotVI DotOdd(DotVI u) { return _mm256_srli_epi16(u, 8); }
#endif
// Int32 lanes (= panel rows) per vector, vectors per panel.
constexpr size_t kDotVecLanes = sizeof(DotVI) / 4;
constexpr size_t kDotVecs = kDotPanelRows / kDotVecLanes;
// Blocks of x sign-extended to int16 pairs at a time (8: one per P lane).
constexpr size_t kDotChunk = 8;

template <size_t kRows, DotPanelMode kMode>
HWY_INLINE void GemmDotTileX86(const DotPanel& p, const DotXRows& x, size_t i0,
                               float* HWY_RESTRICT y, size_t ldy, size_t cols) {
  constexpr bool kHalves = kMode == DotPanelMode::kHalves;
  constexpr size_t L = kDotVecLanes;
  const size_t nb = x.blocks;
  // part[i][l][r]: partial sum l (blocks b with b % 8 = l) of row i of X and
  // panel row r.
  alignas(64) float part[kRows][8][kDotPanelRows];
  memset(part, 0, sizeof(part));
  // xp[i][j][0][g] = (x_4g, x_4g+2), xp[i][j][1][g] = (x_4g+1, x_4g+3) as
  // int16 pairs, of block b0 + j of row i0 + i.
  alignas(64) int32_t xp[kRows][kDotChunk][2][8];
  for (size_t b0 = 0; b0 < nb; b0 += kDotChunk) {
    const size_t bn = std::min(kDotChunk, nb - b0);
    // Per block and row of X: a load, 3 shifts, 2 stores.
    for (size_t i = 0; i < kRows; ++i) {
      for (size_t j = 0; j < bn; ++j) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
            x.q + ((i0 + i) * nb + b0 + j) * 32));
        _mm256_store_si256(reinterpret_cast<__m256i*>(xp[i][j][0]),
                           _mm256_srai_epi16(_mm256_slli_epi16(v, 8), 8));
        _mm256_store_si256(reinterpret_cast<__m256i*>(xp[i][j][1]),
                           _mm256_srai_epi16(v, 8));
      }
    }
    for (size_t j = 0; j < bn; ++j) {
      const size_t b = b0 + j;
      // acc: the block's sum; Q6_K: that of its first half, moved to
      // `first` (memory) before acc sums the second half from its own bias,
      // so that the loop keeps kRows * kDotVecs accumulators in registers.
      DotVI acc[kRows][kDotVecs], first[kRows][kDotVecs];
      const uint8_t* wb = p.codes + b * kDotPanelBlockBytes;
      constexpr size_t kParts = kHalves ? 2 : 1;
#pragma GCC unroll 2
      for (size_t h = 0; h < kParts; ++h) {
#pragma GCC unroll 8
        for (size_t i = 0; i < kRows; ++i) {
          const size_t xb = (i0 + i) * nb + b;
          const int32_t bias =
              kHalves ? x.neg_bias16[2 * xb + h] : x.neg_bias[xb];
#pragma GCC unroll 2
          for (size_t v = 0; v < kDotVecs; ++v) acc[i][v] = DotSetI(bias);
        }
        // The loop stays rolled and the empty asm makes each group's sum
        // opaque: otherwise GCC reassociates a block's 16 int32 terms per
        // sum into a tree and spills the products.
#pragma GCC unroll 1
        for (size_t g = h * 8 / kParts; g < (h + 1) * 8 / kParts; ++g) {
          DotVI even[kDotVecs], odd[kDotVecs];
#pragma GCC unroll 2
          for (size_t v = 0; v < kDotVecs; ++v) {
            const DotVI u = DotLoadI(wb + g * 64 + v * 4 * L);
            even[v] = DotEven(u);
            odd[v] = DotOdd(u);
          }
#pragma GCC unroll 8
          for (size_t i = 0; i < kRows; ++i) {
            const DotVI xe = DotSetI(xp[i][j][0][g]);
            const DotVI xo = DotSetI(xp[i][j][1][g]);
#pragma GCC unroll 2
            for (size_t v = 0; v < kDotVecs; ++v) {
              acc[i][v] = DotAddI(acc[i][v], DotAddI(DotMadd(even[v], xe),
                                                     DotMadd(odd[v], xo)));
              asm("" : "+v"(acc[i][v]));
            }
          }
        }
        if (kHalves && h == 0) {
          memcpy(first, acc, sizeof(acc));
          asm("" : "+m"(first));
        }
      }
      const size_t l = b & 7;
#pragma GCC unroll 8
      for (size_t i = 0; i < kRows; ++i) {
        const size_t xb = (i0 + i) * nb + b;
#pragma GCC unroll 2
        for (size_t v = 0; v < kDotVecs; ++v) {
          const DotVI a = kHalves ? first[i][v] : acc[i][v];
          DotBlockStep<kMode>(DotDF(), DotVIH{a}, DotVIH{acc[i][v]}, p,
                              b * kDotPanelRows + v * L, x.d[xb], x.sum[xb],
                              part[i][l] + v * L);
        }
      }
    }
  }
  for (size_t i = 0; i < kRows; ++i)
    StoreDotTree(DotDF(), part[i], p, cols, y + i * ldy);
}

template <DotPanelMode kMode>
void GemmDotRowsX86(const DotPanel& p, const DotXRows& x, size_t i0, size_t m,
                    float* y, size_t ldy, size_t cols) {
  size_t i = 0;
  for (; i + kDotX86Rows <= m; i += kDotX86Rows)
    GemmDotTileX86<kDotX86Rows, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols);
  switch (m - i) {
#define QINS_GEMM_DOT_CASE(r)                                         \
  case r:                                                             \
    if constexpr (r < kDotX86Rows)                                    \
      GemmDotTileX86<r, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols); \
    break;
    QINS_GEMM_DOT_CASE(1)
    QINS_GEMM_DOT_CASE(2)
    QINS_GEMM_DOT_CASE(3)
    QINS_GEMM_DOT_CASE(4)
    QINS_GEMM_DOT_CASE(5)
    QINS_GEMM_DOT_CASE(6)
    QINS_GEMM_DOT_CASE(7)
#undef QINS_GEMM_DOT_CASE
    default:
      break;
  }
}
#endif  // HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3

#if HWY_TARGET == HWY_NEON && defined(__ARM_FEATURE_DOTPROD)
// NEON with dotprod (built for armv8.2-a+dotprod; the arm64-dotprod preset
// tests it under qemu): sdot by lane. A 16-byte load of a panel group holds
// 4 codes of 4 panel rows (u = w + 128), made signed with one eor of 0x80
// (shared by the tile's rows of X); vdotq_laneq_s32(acc, w, xq, lane) adds
// w . (x's dword `lane`) per panel row, x's 16 bytes loaded once per 4
// groups. So the sums start at 0 (not x.neg_bias: the codes are w, not
// w + 128) and reach the same int32 S as on AVX3_DL. Per block, row of X
// and 16 panel rows: 32 sdot (512 multiply-adds), against the Highway
// path's 4 broadcasts, 4 multiplies and 4 adds per 4 codes and 4 rows.
// Tiles: 4 rows of X (16 int32x4 accumulators), Q6_K's halves 2 (their
// second halves 8 more). The f32 steps are GemmDotTileHwy's, in its order
// (vmulq + vaddq, never fused: -ffp-contract=off).
template <int kLane, size_t kRows, bool kSecond>
HWY_INLINE void GemmSdotGroup(const uint8_t* wg, const int8x16_t* xv,
                              int32x4_t (*a)[4], int32x4_t (*h)[4]) {
  const uint8x16_t flip = vdupq_n_u8(0x80);
  int8x16_t w[4];
  for (int c = 0; c < 4; ++c)
    w[c] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(wg + 16 * c), flip));
  for (size_t i = 0; i < kRows; ++i) {
    for (int c = 0; c < 4; ++c) {
      if constexpr (kSecond) {
        h[i][c] = vdotq_laneq_s32(h[i][c], w[c], xv[i], kLane);
      } else {
        a[i][c] = vdotq_laneq_s32(a[i][c], w[c], xv[i], kLane);
      }
    }
  }
}

template <size_t kRows, DotPanelMode kMode>
HWY_INLINE void GemmDotTileSdot(const DotPanel& p, const DotXRows& x, size_t i0,
                                float* HWY_RESTRICT y, size_t ldy,
                                size_t cols) {
  constexpr bool kHalves = kMode == DotPanelMode::kHalves;
  const hn::Full128<float> df;
  const size_t nb = x.blocks;
  HWY_ALIGN float part[kRows][8][kDotPanelRows];
  memset(part, 0, sizeof(part));
  for (size_t b = 0; b < nb; ++b) {
    const size_t l = b & 7;
    int32x4_t a[kRows][4], h[kHalves ? kRows : 1][4];
    for (size_t i = 0; i < kRows; ++i) {
      for (int c = 0; c < 4; ++c) {
        a[i][c] = vdupq_n_s32(0);
        if constexpr (kHalves) h[i][c] = vdupq_n_s32(0);
      }
    }
    const uint8_t* wb = p.codes + b * kDotPanelBlockBytes;
    int8x16_t xv[kRows];
    for (size_t i = 0; i < kRows; ++i)
      xv[i] = vld1q_s8(x.q + ((i0 + i) * nb + b) * 32);
    GemmSdotGroup<0, kRows, false>(wb, xv, a, h);
    GemmSdotGroup<1, kRows, false>(wb + 64, xv, a, h);
    GemmSdotGroup<2, kRows, false>(wb + 128, xv, a, h);
    GemmSdotGroup<3, kRows, false>(wb + 192, xv, a, h);
    for (size_t i = 0; i < kRows; ++i)
      xv[i] = vld1q_s8(x.q + ((i0 + i) * nb + b) * 32 + 16);
    GemmSdotGroup<0, kRows, kHalves>(wb + 256, xv, a, h);
    GemmSdotGroup<1, kRows, kHalves>(wb + 320, xv, a, h);
    GemmSdotGroup<2, kRows, kHalves>(wb + 384, xv, a, h);
    GemmSdotGroup<3, kRows, kHalves>(wb + 448, xv, a, h);
    const size_t e = b * kDotPanelRows;
    for (size_t i = 0; i < kRows; ++i) {
      const size_t xb = (i0 + i) * nb + b;
      for (int c = 0; c < 4; ++c) {
        DotBlockStep<kMode>(df, hn::Vec128<int32_t>(a[i][c]),
                            hn::Vec128<int32_t>(kHalves ? h[i][c] : a[i][c]), p,
                            e + 4 * c, x.d[xb], x.sum[xb], part[i][l] + 4 * c);
      }
    }
  }
  for (size_t i = 0; i < kRows; ++i)
    StoreDotTree(df, part[i], p, cols, y + i * ldy);
}

template <DotPanelMode kMode>
void GemmDotRowsSdot(const DotPanel& p, const DotXRows& x, size_t i0, size_t m,
                     float* y, size_t ldy, size_t cols) {
  constexpr size_t kTile = kMode == DotPanelMode::kHalves ? 2 : 4;
  size_t i = 0;
  for (; i + kTile <= m; i += kTile)
    GemmDotTileSdot<kTile, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols);
  for (; i < m; ++i)
    GemmDotTileSdot<1, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols);
}

// NEON with dotprod and i8mm (GemmDotRowsI8mm; the GEMM calls it where
// UseArmI8mm(), dispatch/arm_i8mm.h): usmmla, a 2 x 8 by 8 x 2 int8 matrix
// product per instruction (32 multiply-adds, against sdot's 16). Its
// unsigned operand is 8 consecutive codes u = w + 128 of 2 panel rows: per
// K-step of 8 codes and 4 panel rows, 2 loads of the panel's groups 2s and
// 2s + 1 (vpdpbusd's layout, dot_panel.h) and vzip1q_u32 / vzip2q_u32,
// shared by the tile's rows of X. Its signed operand is 8 codes of 2 rows of
// X. The sums start at x.neg_bias (-128 X, the codes' bias, as on AVX3_DL),
// so each int32 lane reaches the same exact S as the sdot tile. A block's
// 2 x 2 results are split back into one vector of 4 panel rows per row of X
// by vuzp1q_s32 / vuzp2q_s32, and the f32 steps are DotBlockStep's. Per
// block, pair of rows of X and 16 panel rows: 32 usmmla (1024
// multiply-adds) and 8 uzp, plus per tile 32 loads and 32 zips of the
// panel; the sdot tile takes 64 sdot for the same 2 rows. Tiles: 2 pairs
// of rows (16 int32x4 accumulators), Q6_K's halves 1 pair (16). An odd
// last row of X runs through the sdot tile.
#define QINS_GEMM_I8MM_ATTR __attribute__((target("+i8mm")))

// K-step s (codes 8s .. 8s + 7) of one block for kPairs pairs of rows of X
// (xv[q]: the pair's 8 codes each), into a (or h: Q6_K's second halves).
template <int kStep, size_t kPairs, bool kSecond>
QINS_GEMM_I8MM_ATTR HWY_INLINE void GemmMmlaStep(const uint8_t* wb,
                                                 const int8x16_t* xv,
                                                 int32x4_t (*a)[8],
                                                 int32x4_t (*h)[8]) {
  for (int c = 0; c < 4; ++c) {
    // Panel rows 4c .. 4c + 3, codes 8s .. 8s + 3 and 8s + 4 .. 8s + 7.
    const uint32x4_t lo =
        vreinterpretq_u32_u8(vld1q_u8(wb + 128 * kStep + 16 * c));
    const uint32x4_t hi =
        vreinterpretq_u32_u8(vld1q_u8(wb + 128 * kStep + 64 + 16 * c));
    const uint8x16_t w01 = vreinterpretq_u8_u32(vzip1q_u32(lo, hi));
    const uint8x16_t w23 = vreinterpretq_u8_u32(vzip2q_u32(lo, hi));
    for (size_t q = 0; q < kPairs; ++q) {
      if constexpr (kSecond) {
        h[q][2 * c] = vusmmlaq_s32(h[q][2 * c], w01, xv[q]);
        h[q][2 * c + 1] = vusmmlaq_s32(h[q][2 * c + 1], w23, xv[q]);
      } else {
        a[q][2 * c] = vusmmlaq_s32(a[q][2 * c], w01, xv[q]);
        a[q][2 * c + 1] = vusmmlaq_s32(a[q][2 * c + 1], w23, xv[q]);
      }
    }
  }
}

// Rows [i0, i0 + 2 kPairs) of X against the panel. Accumulator a[q][2c + t]
// holds, for panel rows 4c + 2t and 4c + 2t + 1 (r0, r1) and rows i, i + 1
// of X (pair q), the lanes [r0 i, r0 i+1, r1 i, r1 i+1].
template <size_t kPairs, DotPanelMode kMode>
QINS_GEMM_I8MM_ATTR HWY_INLINE void GemmDotTileMmla(const DotPanel& p,
                                                    const DotXRows& x,
                                                    size_t i0,
                                                    float* HWY_RESTRICT y,
                                                    size_t ldy, size_t cols) {
  constexpr bool kHalves = kMode == DotPanelMode::kHalves;
  constexpr size_t kRows = 2 * kPairs;
  const hn::Full128<float> df;
  const size_t nb = x.blocks;
  HWY_ALIGN float part[kRows][8][kDotPanelRows];
  memset(part, 0, sizeof(part));
  for (size_t b = 0; b < nb; ++b) {
    const size_t l = b & 7;
    int32x4_t a[kPairs][8], h[kHalves ? kPairs : 1][8];
    const int8_t* xq[kRows];
    for (size_t q = 0; q < kPairs; ++q) {
      const size_t xb0 = (i0 + 2 * q) * nb + b, xb1 = xb0 + nb;
      xq[2 * q] = x.q + xb0 * 32;
      xq[2 * q + 1] = x.q + xb1 * 32;
      int32x4_t a0, h0 = vdupq_n_s32(0);
      if constexpr (kHalves) {
        a0 = vzip1q_s32(vdupq_n_s32(x.neg_bias16[2 * xb0]),
                        vdupq_n_s32(x.neg_bias16[2 * xb1]));
        h0 = vzip1q_s32(vdupq_n_s32(x.neg_bias16[2 * xb0 + 1]),
                        vdupq_n_s32(x.neg_bias16[2 * xb1 + 1]));
      } else {
        a0 = vzip1q_s32(vdupq_n_s32(x.neg_bias[xb0]),
                        vdupq_n_s32(x.neg_bias[xb1]));
      }
      for (int t = 0; t < 8; ++t) {
        a[q][t] = a0;
        if constexpr (kHalves) h[q][t] = h0;
      }
    }
    const uint8_t* wb = p.codes + b * kDotPanelBlockBytes;
    int8x16_t xv[kPairs];
    auto load_x = [&](int step) {
      for (size_t q = 0; q < kPairs; ++q)
        xv[q] = vcombine_s8(vld1_s8(xq[2 * q] + 8 * step),
                            vld1_s8(xq[2 * q + 1] + 8 * step));
    };
    load_x(0);
    GemmMmlaStep<0, kPairs, false>(wb, xv, a, h);
    load_x(1);
    GemmMmlaStep<1, kPairs, false>(wb, xv, a, h);
    load_x(2);
    GemmMmlaStep<2, kPairs, kHalves>(wb, xv, a, h);
    load_x(3);
    GemmMmlaStep<3, kPairs, kHalves>(wb, xv, a, h);
    const size_t e = b * kDotPanelRows;
    for (size_t q = 0; q < kPairs; ++q) {
      for (size_t r = 0; r < 2; ++r) {
        const size_t xb = (i0 + 2 * q + r) * nb + b;
        for (int c = 0; c < 4; ++c) {
          const int32x4_t sa = r == 0
                                   ? vuzp1q_s32(a[q][2 * c], a[q][2 * c + 1])
                                   : vuzp2q_s32(a[q][2 * c], a[q][2 * c + 1]);
          int32x4_t sh = sa;
          if constexpr (kHalves) {
            sh = r == 0 ? vuzp1q_s32(h[q][2 * c], h[q][2 * c + 1])
                        : vuzp2q_s32(h[q][2 * c], h[q][2 * c + 1]);
          }
          DotBlockStep<kMode>(df, hn::Vec128<int32_t>(sa),
                              hn::Vec128<int32_t>(sh), p, e + 4 * c, x.d[xb],
                              x.sum[xb], part[2 * q + r][l] + 4 * c);
        }
      }
    }
  }
  for (size_t i = 0; i < kRows; ++i)
    StoreDotTree(df, part[i], p, cols, y + i * ldy);
}

template <DotPanelMode kMode>
QINS_GEMM_I8MM_ATTR void GemmDotRowsMmla(const DotPanel& p, const DotXRows& x,
                                         size_t i0, size_t m, float* y,
                                         size_t ldy, size_t cols) {
  constexpr size_t kPairs = kMode == DotPanelMode::kHalves ? 1 : 2;
  size_t i = 0;
  for (; i + 2 * kPairs <= m; i += 2 * kPairs)
    GemmDotTileMmla<kPairs, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols);
  if constexpr (kPairs > 1) {
    for (; i + 2 <= m; i += 2)
      GemmDotTileMmla<1, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols);
  }
  if (i < m) GemmDotTileSdot<1, kMode>(p, x, i0 + i, y + i * ldy, ldy, cols);
}

void GemmDotRowsI8mm(const DotPanel& p, const DotXRows& x, size_t i0, size_t m,
                     float* y, size_t ldy, size_t cols) {
  DotModeSwitch(p.mode, [&]<DotPanelMode kMode>() {
    GemmDotRowsMmla<kMode>(p, x, i0, m, y, ldy, cols);
  });
}
#undef QINS_GEMM_I8MM_ATTR
#endif  // HWY_TARGET == HWY_NEON && defined(__ARM_FEATURE_DOTPROD)

void GemmDotRows(const DotPanel& p, const DotXRows& x, size_t i0, size_t m,
                 float* y, size_t ldy, size_t cols) {
  DotModeSwitch(p.mode, [&]<DotPanelMode kMode>() {
#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3
    GemmDotRowsX86<kMode>(p, x, i0, m, y, ldy, cols);
#elif HWY_TARGET == HWY_NEON && defined(__ARM_FEATURE_DOTPROD)
    GemmDotRowsSdot<kMode>(p, x, i0, m, y, ldy, cols);
#else
    GemmDotRowsHwy<kMode>(p, x, i0, m, y, ldy, cols);
#endif
  });
}

#else  // SCALAR: the definition, in plain C++

void GemmDotRows(const DotPanel& p, const DotXRows& x, size_t i0, size_t m,
                 float* y, size_t ldy, size_t cols) {
  const size_t nb = x.blocks;
  const DotPanelMode mode = p.mode;
  for (size_t i = i0; i < i0 + m; ++i) {
    for (size_t r = 0; r < cols; ++r) {
      float part[8] = {};
      for (size_t b = 0; b < nb; ++b) {
        const size_t xb = i * nb + b, e = b * kDotPanelRows + r;
        const uint8_t* wb = p.codes + b * kDotPanelBlockBytes + r * 4;
        const int8_t* xq = x.q + xb * 32;
        int32_t s[2] = {x.neg_bias16[2 * xb], x.neg_bias16[2 * xb + 1]};
        for (size_t t = 0; t < 32; ++t)
          s[t / 16] += int32_t{wb[(t / 4) * 64 + t % 4]} * xq[t];
        const float c = p.scale[e] * x.d[xb];
        float sv;
        if (mode == DotPanelMode::kHalves) {
          sv = p.sub[e] * static_cast<float>(s[0]) +
               p.sub2[e] * static_cast<float>(s[1]);
        } else {
          sv = static_cast<float>(s[0] + s[1]);  // the two biases: -128 X
        }
        if (mode == DotPanelMode::kFoldedMin) {
          const float t = p.scale[e] * sv + p.min[e] * x.sum[xb];
          part[b & 7] = part[b & 7] + t * x.d[xb];
          continue;
        }
        part[b & 7] = part[b & 7] + c * sv;
        if (mode == DotPanelMode::kMin) {
          const float cm = p.min[e] * x.d[xb];
          part[b & 7] = part[b & 7] + cm * x.sum[xb];
        }
      }
      float v = ((part[0] + part[4]) + (part[2] + part[6])) +
                ((part[1] + part[5]) + (part[3] + part[7]));
      if (p.has_row_scale) v = v * p.row_scale[r];
      y[(i - i0) * ldy + r] = v;
    }
  }
}

#endif  // HWY_TARGET == HWY_AVX3_DL

#undef QINS_GEMM_DOT_SVE

// The kernel table's dot_rows_i8mm (dispatch/gemm_kernels.h).
#if HWY_TARGET == HWY_NEON && defined(__ARM_FEATURE_DOTPROD)
inline constexpr decltype(&GemmDotRows) kGemmDotRowsI8mm = &GemmDotRowsI8mm;
#else
inline constexpr decltype(&GemmDotRows) kGemmDotRowsI8mm = nullptr;
#endif

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_GEMM_GEMM_DOT_INL_H_
