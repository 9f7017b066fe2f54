// A panel of W for the integer-dot GEMM (GemmStrategy::kDot,
// kernels/gemm/gemm_dot-inl.h): kDotPanelRows rows of W as int8 weight codes
// with one f32 scale (and min) per row and block of 32, interleaved so that
// one 64-byte load holds 4 consecutive codes of each of the 16 rows, the
// operand layout of vpdpbusd with one int32 lane per row of W.
//
// The codes and scales are those of the `dot` GEMV (kernels/gemv/
// gemv_dot-inl.h states them): w_bj the integer weight code (q8_0, i8row:
// the int8 code; q4_0: nibble - 8; q4_1: the nibble; q5_0: 5-bit code - 16;
// q5_1: the 5-bit code; iq4_nl: kIQ4NLValues[nibble]; qins4:
// kQins4I8Values[table][nibble]), the block scale dw_b (the block's f16 d;
// qins4: fl(F16ToF32((h >> 4) << 3) * fl(1 / 127)); i8row: 1, its row scale
// multiplies y) and min m_b (q4_1, q5_1); for the K-quants those of
// kernels/gemv/gemv_kquant_dot-inl.h (DotPanelMode below).
#ifndef QINS_KERNELS_GEMM_DOT_PANEL_H_
#define QINS_KERNELS_GEMM_DOT_PANEL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/formats/block_rows.h"
#include "kernels/formats/half.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/kquant_blocks.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/formats/qins4_tables.h"
#include "qins/format.h"

namespace qins {

inline constexpr size_t kDotPanelRows = 16;
// Bytes of codes per block of 32 and panel: 32 x 16.
inline constexpr size_t kDotPanelBlockBytes = 32 * kDotPanelRows;

// Whether the integer-dot GEMM has this format (the formats whose `dot`
// GEMV codes fit int8: the 32-block ones and Q3_K, Q4_K, Q5_K, Q6_K,
// IQ4_XS).
bool HasDotPanel(FormatKind kind);

// What a block adds to the partial sum P[b % 8] of row i of X and panel
// row r, with S the exact int32 sum of the block's 32 code products (Q6_K:
// S_lo and S_hi over its two 16-weight halves), dx, X the x block's scale
// and code sum (all in f32 arithmetic, each step rounded, no FMA; the
// products marked exact are integers below 2^24):
enum class DotPanelMode {
  // q8_0, i8row, q4_0, q5_0, iq4_nl, qins4, IQ4_XS (dw = d * (ls - 32),
  // exact): P += (dw * dx) * S.
  kPlain,
  // q4_1, q5_1: P += (dw * dx) * S, then P += (min * dx) * X.
  kMin,
  // Q4_K, Q5_K: P += ((dw * S) + (min * X)) * dx, dw = d * sc and min =
  // -(dmin * m) (both exact: an f16 times a 6-bit integer), sc and m the
  // block's 6-bit scale and min: the `dot` GEMV's P + ((d sc) S - (dmin m)
  // X) dx bit for bit. 3 multiplies, where kMin takes 4.
  kFoldedMin,
  // Q6_K, Q3_K (dw = d; sub, sub2 its 16-weight scales): P += (dw * dx) *
  // (sub * S_lo + sub2 * S_hi) (all exact).
  kHalves,
};

struct DotPanel {
  size_t blocks = 0;  // ceil(k / 32)
  DotPanelMode mode = DotPanelMode::kPlain;
  // blocks * kDotPanelBlockBytes: block b, codes 4g..4g+3 (g < 8) of panel
  // row r at codes[b * 512 + g * 64 + r * 4 + t], each stored as
  // w + 128 in [1, 255] (the unsigned operand of vpdpbusd; Q4_K / Q5_K: the
  // unsigned code q + 128, Q6_K: q - 32 + 128). Rows past the panel's
  // `cols` hold w = 0 and zero scales.
  uint8_t* codes = nullptr;
  // blocks * 16 each, row r of block b at [b * 16 + r] (those the mode
  // uses): the block scale dw, the min, Q6_K's two sub-scales.
  float* scale = nullptr;
  float* min = nullptr;
  float* sub = nullptr;
  float* sub2 = nullptr;
  float row_scale[kDotPanelRows] = {};  // i8row's row scale (has_row_scale)
  bool has_row_scale = false;
};

// The mode of a format (precondition: HasDotPanel).
DotPanelMode DotPanelModeOf(FormatKind kind);

// Q3_K / Q4_K / Q5_K / Q6_K / IQ4_XS: the scales of the 8 blocks of
// super-block sb for DotPanelMode kFoldedMin (dw, min) / kHalves (dw, sub,
// sub2) / kPlain (dw), block j's at
// dw[j * stride], min[j * stride], ... (the panel's layout: stride
// kDotPanelRows); the arrays the mode does not read are left as they are.
// Both packers (PackDotPanel and the SIMD GemmDotPack) take them from
// here. Inline: called per row and super-block (a call per 256 weights
// was 2-7% of the M = 128 .. 8 GEMM, perf, 2026-12-07).
inline void KQuantDotSuperScales(FormatKind kind, const uint8_t* sb,
                                 size_t stride, float* dw, float* min,
                                 float* sub, float* sub2) {
  if (kind == FormatKind::kQ3_K) {  // kHalves: d, the two 16-weight scales
    const float d = KQuantHalf(sb, q3_k::kD);
    for (int j = 0; j < 8; ++j) {
      dw[j * stride] = d;
      sub[j * stride] = static_cast<float>(Q3KScale(sb + q3_k::kScales, 2 * j));
      sub2[j * stride] =
          static_cast<float>(Q3KScale(sb + q3_k::kScales, 2 * j + 1));
    }
    return;
  }
  if (kind == FormatKind::kIQ4_XS) {  // kPlain: d (ls - 32), exact
    const float d = KQuantHalf(sb, iq4_xs::kD);
    for (int j = 0; j < 8; ++j)
      dw[j * stride] = d * static_cast<float>(IQ4XSScale(sb, j));
    return;
  }
  if (kind == FormatKind::kQ6_K) {
    const int8_t* sc = reinterpret_cast<const int8_t*>(sb + q6_k::kScales);
    const float d = KQuantHalf(sb, q6_k::kD);
    for (size_t j = 0; j < 8; ++j) {
      dw[j * stride] = d;
      sub[j * stride] = sc[2 * j];
      sub2[j * stride] = sc[2 * j + 1];
    }
    return;
  }
  const uint8_t* scales =
      sb + (kind == FormatKind::kQ5_K ? q5_k::kScales : q4_k::kScales);
  const float d = KQuantHalf(sb, q4_k::kD);  // q5_k's at the same bytes
  const float dmin = KQuantHalf(sb, q4_k::kDmin);
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    Q4KScaleMin(scales, j, &sc, &m);
    // Exact: an f16 (11 significant bits) times a 6-bit integer.
    dw[j * stride] = d * static_cast<float>(sc);
    min[j * stride] = -(dmin * static_cast<float>(m));
  }
}

// Block j's (0..7) 32 codes + 128 of super-block sb in u, in plain C++ (the
// scalar packer's; GemmDotPack's KQuantCodesU8 gives the same bytes).
void KQuantDotCodes(FormatKind kind, const uint8_t* sb, int j, uint8_t* u);

// Bytes DotPanel needs for k columns: codes and the four f32 arrays (64-byte
// multiples; pass a 64-byte aligned buffer of this size to PackDotPanel).
size_t DotPanelBytes(size_t k);

// Sets up *p for rows [n0, n0 + cols) of W (cols <= kDotPanelRows): its
// arrays carved from `buffer`, the flags, the row scales, and the rows past
// cols filled (w = 0, dw = m = 0); the codes, scales and mins of rows < cols
// are left to the caller. Precondition: HasDotPanel(d.format.kind).
void PrepareDotPanel(const QuantizedMatrix::Data& d, size_t n0, size_t cols,
                     uint8_t* buffer, DotPanel* p);

// PrepareDotPanel, then the codes, scales and mins of rows < cols, in plain
// C++: 32 scalar code conversions and 8 4-byte copies per block and row.
// The SCALAR target's packer; the others convert and interleave with SIMD
// (kernels/gemm/gemm_dot-inl.h, GemmDotPack), to the same bytes.
void PackDotPanel(const QuantizedMatrix::Data& d, size_t n0, size_t cols,
                  uint8_t* buffer, DotPanel* p);

// Where a block of a 32-block format keeps what the packers read (both,
// the scalar PackDotPanel and the SIMD GemmDotPack, from this one
// description): its codes, either int8 (stored as code ^ 0x80 = w + 128) or
// nibbles turned into w + 128 by a 16-entry table; ggml's qh (a fifth bit
// adding 16 to weight j); its f16 scale at byte 0 (qins4: Qins4DotScale of
// its header; i8row: 1, its row scale applies to y) and f16 min.
struct DotBlockLayout {
  size_t bytes = 0;                // per block
  size_t codes = 0;                // offset of the codes or nibbles
  size_t qh = 0;                   // offset of qh; 0: none
  size_t min = 0;                  // offset of the f16 min; 0: none
  const uint8_t* table = nullptr;  // nibbles: their 16 w + 128; null: int8
  bool qins4 = false;              // table and scale from the header
  bool unit_scale = false;         // i8row: dw = 1
};

// The nibble formats' 16 codes + 128: q4_0 nibble - 8, q4_1 / q5_1 the
// nibble (their fifth bit adds 16), q5_0 nibble - 16 (likewise); iq4_nl's
// is kIQ4NLBiased (kernels/formats/iq4_nl_values.h).
template <class F>
constexpr std::array<uint8_t, 16> DotCodeTable(F code) {
  std::array<uint8_t, 16> t{};
  for (int n = 0; n < 16; ++n) t[n] = static_cast<uint8_t>(code(n) + 128);
  return t;
}
alignas(16) inline constexpr auto kDotQ4_0Codes = DotCodeTable([](int n) {
  return n - 8;
});
alignas(16) inline constexpr auto kDotPlainCodes = DotCodeTable([](int n) {
  return n;
});
alignas(16) inline constexpr auto kDotQ5_0Codes = DotCodeTable([](int n) {
  return n - 16;
});

// Precondition: HasDotPanel(kind) and not a K-quant. Inline: the packers
// call these per block and row.
inline DotBlockLayout DotBlockLayoutOf(FormatKind kind) {
  DotBlockLayout f;
  switch (kind) {
    case FormatKind::kQ8_0:
      f.bytes = kQ8_0BlockBytes, f.codes = 2;
      break;
    case FormatKind::kI8Row:
      f.bytes = kWeightBlock, f.unit_scale = true;
      break;
    case FormatKind::kQ4_0:
      f.bytes = kNibbleBlockBytes, f.codes = 2, f.table = kDotQ4_0Codes.data();
      break;
    case FormatKind::kIQ4_NL:
      f.bytes = kNibbleBlockBytes, f.codes = 2, f.table = kIQ4NLBiased.v;
      break;
    case FormatKind::kQins4:
      f.bytes = kNibbleBlockBytes, f.codes = 2, f.qins4 = true;
      break;
    case FormatKind::kQ4_1:
      f.bytes = kQ4_1BlockBytes, f.codes = 4, f.min = 2;
      f.table = kDotPlainCodes.data();
      break;
    case FormatKind::kQ5_0:
      f.bytes = kQ5_0BlockBytes, f.codes = 6, f.qh = 2;
      f.table = kDotQ5_0Codes.data();
      break;
    case FormatKind::kQ5_1:
      f.bytes = kQ5_1BlockBytes, f.codes = 8, f.qh = 4, f.min = 2;
      f.table = kDotPlainCodes.data();
      break;
    default:
      break;
  }
  return f;
}

// The block's 16-entry table (qins4: its header's kQins4Biased table; null
// for int8 codes), scale dw and min.
inline const uint8_t* DotBlockTable(const DotBlockLayout& f,
                                    const uint8_t* blk) {
  return f.qins4 ? kQins4Biased.v[blk[0] & 0xF] : f.table;
}

inline float DotBlockScale(const DotBlockLayout& f, const uint8_t* blk) {
  if (f.unit_scale) return 1.0f;
  uint16_t h;
  std::memcpy(&h, blk, 2);
  return f.qins4 ? Qins4DotScale(h) : F16ToF32(h);
}

inline float DotBlockMin(const DotBlockLayout& f, const uint8_t* blk) {
  return f.min == 0 ? 0.0f : KQuantHalf(blk, f.min);
}

// Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS: bytes per super-block (8 blocks of 32);
// 0 otherwise.
inline size_t KQuantSuperBytes(FormatKind kind) {
  switch (kind) {
    case FormatKind::kQ4_K:
      return q4_k::kBytes;
    case FormatKind::kQ5_K:
      return q5_k::kBytes;
    case FormatKind::kQ6_K:
      return q6_k::kBytes;
    case FormatKind::kIQ4_XS:
      return iq4_xs::kBytes;
    case FormatKind::kQ3_K:
      return q3_k::kBytes;
    default:
      return 0;
  }
}

}  // namespace qins

#endif  // QINS_KERNELS_GEMM_DOT_PANEL_H_
