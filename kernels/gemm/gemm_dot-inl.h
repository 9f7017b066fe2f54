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
// dword broadcast from memory into each) starting from -128 * sum (the
// codes' bias), then convert, 2 multiplies and the add into P (P lives in an
// L1 scratch: one load and one store): 12 vector ops and 8 vpdpbusd = 512
// multiply-adds, against the f32 GEMM's 32 FMA for the same work (16 per
// 256 on AVX-512). q4_1 and q5_1 add 2 multiplies and an add.
// Other SIMD targets: the same arithmetic with Highway int32 multiplies (see
// GemmDotTileHwy: about a third of the f32 GEMM's speed); SCALAR: plain C++.
// The panel packer (GemmDotPack) is SIMD on every target but SCALAR.

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

#include "hwy/highway.h"
#include "kernels/formats/block_rows.h"
#include "kernels/formats/half.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/kquant_blocks.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/gemm/dot_panel.h"
#include "kernels/gemm/dot_x_rows.h"

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
struct DotPackBlock {
  const uint8_t* table;  // nibble formats: 16 codes + 128 (null: int8 codes)
  size_t codes;          // offset of the codes (nibbles) in the block
  size_t qh;             // offset of ggml's qh (0: none)
};

HWY_INLINE void DotBlockU8(const uint8_t* blk, const DotPackBlock& f,
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
// 4 blocks 3 loads and ~14 shifts/ands/ors. KQuantDotBlock (dot_panel.cc)
// states the same codes in scalar C++.
HWY_INLINE void KQuantCodesU8(FormatKind kind, const uint8_t* sb,
                              uint8_t (*HWY_RESTRICT u)[32]) {
  const hn::CappedTag<uint8_t, 16> d8;
  const auto lo4 = hn::Set(d8, 0x0F);
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
// PackDotPanel's ~80 scalar ones.
HWY_NOINLINE void GemmDotPack(const QuantizedMatrix::Data& d, size_t n0,
                              size_t cols, uint8_t* buffer, DotPanel* p) {
  PrepareDotPanel(d, n0, cols, buffer, p);
  const FormatKind kind = d.format.kind;
  static const Qins4U8Tables kQins4 = MakeQins4U8Tables();
  HWY_ALIGN static constexpr uint8_t kQ4_0[16] = {120, 121, 122, 123, 124, 125,
                                                  126, 127, 128, 129, 130, 131,
                                                  132, 133, 134, 135};
  HWY_ALIGN static constexpr uint8_t kPlain[16] = {128, 129, 130, 131, 132, 133,
                                                   134, 135, 136, 137, 138, 139,
                                                   140, 141, 142, 143};
  HWY_ALIGN static constexpr uint8_t kQ5_0[16] = {112, 113, 114, 115, 116, 117,
                                                  118, 119, 120, 121, 122, 123,
                                                  124, 125, 126, 127};
  static const uint8_t* const kIQ4 = [] {
    static uint8_t t[16];
    for (int n = 0; n < 16; ++n)
      t[n] = static_cast<uint8_t>(kIQ4NLValues[n] + 128);
    return t;
  }();
  DotPackBlock f{nullptr, 0, 0};
  size_t bytes = 0;
  size_t super = 0;  // K-quants: bytes per super-block (8 blocks)
  bool qins4 = false, has_min = false;
  switch (kind) {
    case FormatKind::kQ8_0:
      f = {nullptr, 2, 0}, bytes = kQ8_0BlockBytes;
      break;
    case FormatKind::kI8Row:
      f = {nullptr, 0, 0}, bytes = kWeightBlock;
      break;
    case FormatKind::kQ4_0:
      f = {kQ4_0, 2, 0}, bytes = kNibbleBlockBytes;
      break;
    case FormatKind::kIQ4_NL:
      f = {kIQ4, 2, 0}, bytes = kNibbleBlockBytes;
      break;
    case FormatKind::kQins4:
      f = {nullptr, 2, 0}, bytes = kNibbleBlockBytes, qins4 = true;
      break;
    case FormatKind::kQ4_1:
      f = {kPlain, 4, 0}, bytes = kQ4_1BlockBytes, has_min = true;
      break;
    case FormatKind::kQ5_0:
      f = {kQ5_0, 6, 2}, bytes = kQ5_0BlockBytes;
      break;
    case FormatKind::kQ5_1:
      f = {kPlain, 8, 4}, bytes = kQ5_1BlockBytes, has_min = true;
      break;
    case FormatKind::kQ4_K:
      super = q4_k::kBytes;
      break;
    case FormatKind::kQ5_K:
      super = q5_k::kBytes;
      break;
    case FormatKind::kQ6_K:
      super = q6_k::kBytes;
      break;
    default:
      HWY_ASSERT(false);
  }
  const hn::CappedTag<uint32_t, 8> d32;
  const size_t N = hn::Lanes(d32);
  HWY_ALIGN uint8_t stage[kDotPanelRows][32];
  // K-quants: a super-block's 8 blocks per row, converted at once.
  HWY_ALIGN uint8_t kstage[kDotPanelRows][8][32];
  HWY_ALIGN uint32_t quads[4 * 8];
  memset(stage, 0x80, sizeof(stage));  // rows past cols: w = 0
  const size_t groups4 = (cols + 3) / 4;
  for (size_t b = 0; b < p->blocks; ++b) {
    for (size_t r = 0; r < cols && super != 0; ++r) {
      // The K-quants: codes per super-block (SIMD), scales per block.
      const uint8_t* sb = d.row(n0 + r) + (b / 8) * super;
      if (b % 8 == 0) KQuantCodesU8(kind, sb, kstage[r]);
      memcpy(stage[r], kstage[r][b % 8], 32);
      const size_t e = b * kDotPanelRows + r;
      KQuantDotScales(kind, sb, static_cast<int>(b % 8), &p->scale[e],
                      &p->sub[e], &p->sub2[e], &p->min[e], &p->msub[e]);
    }
    for (size_t r = 0; r < cols && super == 0; ++r) {
      const uint8_t* blk = d.row(n0 + r) + b * bytes;
      uint16_t h;
      memcpy(&h, blk, 2);
      float dw;
      if (qins4) {
        dw = F16ToF32(static_cast<uint16_t>((h >> 4) << 3)) * (1.0f / 127);
        DotBlockU8(blk, f, kQins4.v[h & 0xF], stage[r]);
      } else {
        dw = f.codes == 0 ? 1.0f : F16ToF32(h);
        DotBlockU8(blk, f, f.table, stage[r]);
      }
      p->scale[b * kDotPanelRows + r] = dw;
      if (has_min) {
        memcpy(&h, blk + 2, 2);
        p->min[b * kDotPanelRows + r] = F16ToF32(h);
      }
    }
    uint8_t* out = p->codes + b * kDotPanelBlockBytes;
    for (size_t q4 = 0; q4 < groups4; ++q4) {
      const size_t r0 = 4 * q4;
      for (size_t c = 0; c < 8; c += N) {
        const auto v0 =
            hn::Load(d32, reinterpret_cast<const uint32_t*>(stage[r0]) + c);
        const auto v1 =
            hn::Load(d32, reinterpret_cast<const uint32_t*>(stage[r0 + 1]) + c);
        const auto v2 =
            hn::Load(d32, reinterpret_cast<const uint32_t*>(stage[r0 + 2]) + c);
        const auto v3 =
            hn::Load(d32, reinterpret_cast<const uint32_t*>(stage[r0 + 3]) + c);
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
    case DotPanelMode::kSubMin:
      fn.template operator()<DotPanelMode::kSubMin>();
      break;
    case DotPanelMode::kHalves:
      fn.template operator()<DotPanelMode::kHalves>();
      break;
  }
}

#if HWY_TARGET == HWY_AVX3_DL
// Highway 1.0.3's AVX3_DL attributes name AVX-VNNI, not AVX512-VNNI (see
// kernels/gemv/gemv_dot-inl.h); the EVEX vpdpbusd needs the latter.
#define QINS_GEMM_DOT_ATTR __attribute__((target(HWY_TARGET_STR ",avx512vnni")))

// The tree of the 8 partial sums, lane-wise.
QINS_GEMM_DOT_ATTR HWY_INLINE __m512 GemmDotTree(const float* p) {
  const __m512 p04 = _mm512_add_ps(_mm512_load_ps(p), _mm512_load_ps(p + 64));
  const __m512 p26 =
      _mm512_add_ps(_mm512_load_ps(p + 32), _mm512_load_ps(p + 96));
  const __m512 p15 =
      _mm512_add_ps(_mm512_load_ps(p + 16), _mm512_load_ps(p + 80));
  const __m512 p37 =
      _mm512_add_ps(_mm512_load_ps(p + 48), _mm512_load_ps(p + 112));
  return _mm512_add_ps(_mm512_add_ps(p04, p26), _mm512_add_ps(p15, p37));
}

template <size_t kRows, DotPanelMode kMode>
QINS_GEMM_DOT_ATTR void GemmDotTile(const DotPanel& p, const DotXRows& x,
                                    size_t i0, float* HWY_RESTRICT y,
                                    size_t ldy, size_t cols) {
  constexpr bool kHalves = kMode == DotPanelMode::kHalves;
  constexpr bool kSub = kMode == DotPanelMode::kSubMin || kHalves;
  // part[i][l][r]: partial sum l (blocks b with b % 8 = l) of row i of X and
  // panel row r.
  alignas(64) float part[kRows][8][16];
  memset(part, 0, sizeof(part));
  const size_t nb = x.blocks;
  for (size_t b = 0; b < nb; ++b) {
    __m512i acc[kRows], acc2[kRows];
    const size_t l = b & 7;
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
      const __m512i w = _mm512_load_si512(wb + g * 64);
#pragma GCC unroll 8
      for (size_t i = 0; i < kRows; ++i) {
        int32_t xq;
        memcpy(&xq, x.q + ((i0 + i) * nb + b) * 32 + 4 * g, 4);
        const __m512i xv = _mm512_set1_epi32(xq);
        if (kHalves && g >= 4) {
          acc2[i] = _mm512_dpbusd_epi32(acc2[i], w, xv);
        } else {
          acc[i] = _mm512_dpbusd_epi32(acc[i], w, xv);
        }
      }
    }
    const size_t e = b * kDotPanelRows;
    const __m512 dw = _mm512_load_ps(p.scale + e);
#pragma GCC unroll 8
    for (size_t i = 0; i < kRows; ++i) {
      const size_t xb = (i0 + i) * nb + b;
      const __m512 dx = _mm512_set1_ps(x.d[xb]);
      const __m512 c = _mm512_mul_ps(dw, dx);
      __m512 sv = _mm512_cvtepi32_ps(acc[i]);
      if constexpr (kSub) sv = _mm512_mul_ps(_mm512_load_ps(p.sub + e), sv);
      if constexpr (kHalves) {
        sv = _mm512_add_ps(sv, _mm512_mul_ps(_mm512_load_ps(p.sub2 + e),
                                             _mm512_cvtepi32_ps(acc2[i])));
      }
      __m512 s = _mm512_load_ps(part[i][l]);
      s = _mm512_add_ps(s, _mm512_mul_ps(c, sv));
      if constexpr (kMode == DotPanelMode::kMin ||
                    kMode == DotPanelMode::kSubMin) {
        const __m512 cm = _mm512_mul_ps(_mm512_load_ps(p.min + e), dx);
        __m512 xs = _mm512_set1_ps(x.sum[xb]);
        if constexpr (kMode == DotPanelMode::kSubMin)
          xs = _mm512_mul_ps(_mm512_load_ps(p.msub + e), xs);
        s = _mm512_add_ps(s, _mm512_mul_ps(cm, xs));
      }
      _mm512_store_ps(part[i][l], s);
    }
  }
  const __mmask16 mask = static_cast<__mmask16>((1u << cols) - 1);
  const __m512 rs = _mm512_loadu_ps(p.row_scale);
  for (size_t i = 0; i < kRows; ++i) {
    __m512 v = GemmDotTree(&part[i][0][0]);
    if (p.has_row_scale) v = _mm512_mul_ps(v, rs);
    _mm512_mask_storeu_ps(y + i * ldy, mask, v);
  }
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
// Every other SIMD target (AVX2, AVX3 without VNNI, SSE4, SSSE3, NEON, SVE):
// Highway, one int32 lane per row of the panel as on AVX3_DL, in chunks of
// N lanes; each code extracted from its row's dword (shift, and; shared by
// the rows of X) and multiplied by the broadcast x code (Mul + Add on int32:
// exact). Per code and row of X: a broadcast, a multiply and an add, i.e.
// ~3 ops per N multiply-adds, against the f32 GEMM's 1 FMA: this keeps the
// `dot` arithmetic (GEMM == GEMV) on these targets at about half of the
// f32 GEMM's speed, not a fast path (docs/gemm.md).

template <size_t kRows, DotPanelMode kMode>
HWY_INLINE void GemmDotTileHwy(const DotPanel& p, const DotXRows& x, size_t i0,
                               float* HWY_RESTRICT y, size_t ldy, size_t cols) {
  static_assert(kRows >= 1 && kRows <= 4, "tile rows");
  constexpr bool kHalves = kMode == DotPanelMode::kHalves;
  constexpr bool kSub = kMode == DotPanelMode::kSubMin || kHalves;
  const hn::CappedTag<int32_t, kDotPanelRows> di;
  const hn::RebindToUnsigned<decltype(di)> du;
  const hn::RebindToFloat<decltype(di)> df;
  using VI = hn::Vec<decltype(di)>;
  using VF = hn::Vec<decltype(df)>;
  const size_t N = hn::Lanes(di);
  const size_t nb = x.blocks;
  HWY_ALIGN float part[kRows][8][kDotPanelRows];
  memset(part, 0, sizeof(part));
  const auto mask = hn::Set(du, 0xFF);
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
#define QINS_DOT_INIT(i, a, h)                   \
  if constexpr (kRows > i) {                     \
    const size_t xb = (i0 + i) * nb + b;         \
    xq[i] = x.q + xb * 32;                       \
    if constexpr (kHalves) {                     \
      a = hn::Set(di, x.neg_bias16[2 * xb]);     \
      h = hn::Set(di, x.neg_bias16[2 * xb + 1]); \
    } else {                                     \
      a = hn::Set(di, x.neg_bias[xb]);           \
    }                                            \
  }
      QINS_DOT_ROWS(QINS_DOT_INIT)
#undef QINS_DOT_INIT
      const uint8_t* wb = p.codes + b * kDotPanelBlockBytes + c0 * 4;
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
      const size_t e = b * kDotPanelRows + c0;
      const VF dw = hn::Load(df, p.scale + e);
#define QINS_DOT_SCALE(i, a, h)                                              \
  if constexpr (kRows > i) {                                                 \
    const size_t xb = (i0 + i) * nb + b;                                     \
    const VF dx = hn::Set(df, x.d[xb]);                                      \
    VF sv = hn::ConvertTo(df, a);                                            \
    if constexpr (kSub) sv = hn::Mul(hn::Load(df, p.sub + e), sv);           \
    if constexpr (kHalves)                                                   \
      sv = hn::Add(sv,                                                       \
                   hn::Mul(hn::Load(df, p.sub2 + e), hn::ConvertTo(df, h))); \
    VF s = hn::Load(df, part[i][l] + c0);                                    \
    s = hn::Add(s, hn::Mul(hn::Mul(dw, dx), sv));                            \
    if constexpr (kMode == DotPanelMode::kMin ||                             \
                  kMode == DotPanelMode::kSubMin) {                          \
      const VF cm = hn::Mul(hn::Load(df, p.min + e), dx);                    \
      VF xs = hn::Set(df, x.sum[xb]);                                        \
      if constexpr (kMode == DotPanelMode::kSubMin)                          \
        xs = hn::Mul(hn::Load(df, p.msub + e), xs);                          \
      s = hn::Add(s, hn::Mul(cm, xs));                                       \
    }                                                                        \
    hn::Store(s, df, part[i][l] + c0);                                       \
  }
      QINS_DOT_ROWS(QINS_DOT_SCALE)
#undef QINS_DOT_SCALE
#undef QINS_DOT_ROWS
    }
  }
  for (size_t i = 0; i < kRows; ++i) {
    for (size_t c0 = 0; c0 < cols; c0 += N) {
      auto at = [&](size_t l) { return hn::Load(df, part[i][l] + c0); };
      VF v = hn::Add(hn::Add(hn::Add(at(0), at(4)), hn::Add(at(2), at(6))),
                     hn::Add(hn::Add(at(1), at(5)), hn::Add(at(3), at(7))));
      if (p.has_row_scale) v = hn::Mul(v, hn::LoadU(df, p.row_scale + c0));
      HWY_ALIGN float out[kDotPanelRows];
      hn::Store(v, df, out);
      memcpy(y + i * ldy + c0, out, std::min(N, cols - c0) * sizeof(float));
    }
  }
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

void GemmDotRows(const DotPanel& p, const DotXRows& x, size_t i0, size_t m,
                 float* y, size_t ldy, size_t cols) {
  DotModeSwitch(p.mode, [&]<DotPanelMode kMode>() {
    GemmDotRowsHwy<kMode>(p, x, i0, m, y, ldy, cols);
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
          if (mode == DotPanelMode::kSubMin) sv = p.sub[e] * sv;
        }
        part[b & 7] = part[b & 7] + c * sv;
        if (mode == DotPanelMode::kMin || mode == DotPanelMode::kSubMin) {
          const float cm = p.min[e] * x.d[xb];
          float xs = x.sum[xb];
          if (mode == DotPanelMode::kSubMin) xs = p.msub[e] * xs;
          part[b & 7] = part[b & 7] + cm * xs;
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

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_GEMM_GEMM_DOT_INL_H_
