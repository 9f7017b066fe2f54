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

#include <cstddef>
#include <cstdint>

#include "kernels/formats/matrix_data.h"
#include "qins/format.h"

namespace qins {

inline constexpr size_t kDotPanelRows = 16;
// Bytes of codes per block of 32 and panel: 32 x 16.
inline constexpr size_t kDotPanelBlockBytes = 32 * kDotPanelRows;

// Whether the integer-dot GEMM has this format (the formats whose `dot`
// GEMV codes fit int8: the 32-block ones and Q4_K, Q5_K, Q6_K).
bool HasDotPanel(FormatKind kind);

// What a block adds to the partial sum P[b % 8] of row i of X and panel
// row r, with S the exact int32 sum of the block's 32 code products (Q6_K:
// S_lo and S_hi over its two 16-weight halves), dx, X the x block's scale
// and code sum (all in f32 arithmetic, each step rounded, no FMA; the
// products marked exact are integers below 2^24):
enum class DotPanelMode {
  // q8_0, i8row, q4_0, q5_0, iq4_nl, qins4: P += (dw * dx) * S.
  kPlain,
  // q4_1, q5_1: P += (dw * dx) * S, then P += (min * dx) * X.
  kMin,
  // Q4_K, Q5_K: P += (dw * dx) * (sub * S) (exact), then
  // P += (min * dx) * (msub * X) (exact); dw = d, sub = the 6-bit scale,
  // min = -dmin, msub = the 6-bit min: the `dot` GEMV's
  // P - (dmin * dx) * (m * X) bit for bit.
  kSubMin,
  // Q6_K: P += (dw * dx) * (sub * S_lo + sub2 * S_hi) (all exact).
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
  // uses): the block scale dw, the min, the sub-scales.
  float* scale = nullptr;
  float* min = nullptr;
  float* sub = nullptr;
  float* sub2 = nullptr;
  float* msub = nullptr;
  float row_scale[kDotPanelRows] = {};  // i8row's row scale (has_row_scale)
  bool has_row_scale = false;
};

// The mode of a format (precondition: HasDotPanel).
DotPanelMode DotPanelModeOf(FormatKind kind);

// Q4_K / Q5_K / Q6_K: the scales of block j (0..7) of super-block sb for
// DotPanelMode kSubMin / kHalves.
void KQuantDotScales(FormatKind kind, const uint8_t* sb, int j, float* dw,
                     float* sub, float* sub2, float* min, float* msub);

// KQuantDotScales, and the block's 32 codes + 128 in u.
void KQuantDotBlock(FormatKind kind, const uint8_t* sb, int j, uint8_t* u,
                    float* dw, float* sub, float* sub2, float* min,
                    float* msub);

// Bytes DotPanel needs for k columns: codes and the five f32 arrays (64-byte
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

// The 16 codes of each qins4 table as w + 128 (kQins4I8Values + 128).
struct Qins4U8Tables {
  uint8_t v[16][16];
};
Qins4U8Tables MakeQins4U8Tables();

}  // namespace qins

#endif  // QINS_KERNELS_GEMM_DOT_PANEL_H_
