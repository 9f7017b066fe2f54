// W rows -> the integer-dot GEMM's interleaved int8 panel (dot_panel.h).
#include "kernels/gemm/dot_panel.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "kernels/formats/block_rows.h"
#include "kernels/formats/half.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/kquant_blocks.h"
#include "kernels/formats/qins4_tables.h"

namespace qins {
namespace {

size_t Round64(size_t bytes) { return (bytes + 63) / 64 * 64; }

// u's 32 codes (+ 128) of row r, block b into the interleaved layout: 4
// bytes per group of 4 codes, 64 bytes apart.
void StoreInterleaved(const uint8_t* u, size_t b, size_t r, DotPanel* p) {
  uint8_t* dst = p->codes + b * kDotPanelBlockBytes + r * 4;
  for (size_t g = 0; g < 8; ++g) std::memcpy(dst + g * 64, u + 4 * g, 4);
}

// Rows [n0, n0 + cols) of a 32-block format: per block and row its 32
// codes + 128 (a table lookup per nibble, or an xor), the fifth bits, 8
// 4-byte copies into the interleaved layout, the scale and min.
void PackRows(const QuantizedMatrix::Data& d, size_t n0, size_t cols,
              DotPanel* p) {
  const DotBlockLayout f = DotBlockLayoutOf(d.format.kind);
  for (size_t r = 0; r < cols; ++r) {
    const uint8_t* row = d.row(n0 + r);
    for (size_t b = 0; b < p->blocks; ++b) {
      const uint8_t* blk = row + b * f.bytes;
      const uint8_t* q = blk + f.codes;
      uint8_t u[32];
      if (const uint8_t* table = DotBlockTable(f, blk)) {
        for (size_t j = 0; j < 16; ++j) {
          u[j] = table[q[j] & 0xF];
          u[j + 16] = table[q[j] >> 4];
        }
      } else {
        for (size_t j = 0; j < 32; ++j) u[j] = q[j] ^ 0x80;
      }
      if (f.qh != 0) {  // bit j of ggml's little-endian qh adds 16
        const uint32_t bits = LoadLE32(blk + f.qh);
        for (size_t j = 0; j < 32; ++j)
          u[j] = static_cast<uint8_t>(u[j] + ((bits >> j) & 1) * 16);
      }
      StoreInterleaved(u, b, r, p);
      p->scale[b * kDotPanelRows + r] = DotBlockScale(f, blk);
      p->min[b * kDotPanelRows + r] = DotBlockMin(f, blk);
    }
  }
}

// The K-quants: super-block s holds blocks 8 s .. 8 s + 7.
void PackKRows(const QuantizedMatrix::Data& d, size_t n0, size_t cols,
               DotPanel* p) {
  const size_t super = KQuantSuperBytes(d.format.kind);
  for (size_t r = 0; r < cols; ++r) {
    const uint8_t* row = d.row(n0 + r);
    for (size_t b = 0; b < p->blocks; ++b) {
      const uint8_t* sb = row + (b / 8) * super;
      if (b % 8 == 0) {
        const size_t e = b * kDotPanelRows + r;
        KQuantDotSuperScales(d.format.kind, sb, kDotPanelRows, &p->scale[e],
                             &p->min[e], &p->sub[e], &p->sub2[e]);
      }
      uint8_t u[32];
      KQuantDotCodes(d.format.kind, sb, static_cast<int>(b % 8), u);
      StoreInterleaved(u, b, r, p);
    }
  }
}

}  // namespace

bool HasDotPanel(FormatKind kind) {
  switch (kind) {
    case FormatKind::kQ8_0:
    case FormatKind::kI8Row:
    case FormatKind::kQ4_0:
    case FormatKind::kQ4_1:
    case FormatKind::kQ5_0:
    case FormatKind::kQ5_1:
    case FormatKind::kIQ4_NL:
    case FormatKind::kQins4:
    case FormatKind::kQ4_K:
    case FormatKind::kQ5_K:
    case FormatKind::kQ6_K:
    case FormatKind::kIQ4_XS:
    case FormatKind::kQ3_K:
      return true;
    default:
      return false;
  }
}

DotPanelMode DotPanelModeOf(FormatKind kind) {
  switch (kind) {
    case FormatKind::kQ4_1:
    case FormatKind::kQ5_1:
      return DotPanelMode::kMin;
    case FormatKind::kQ4_K:
    case FormatKind::kQ5_K:
      return DotPanelMode::kFoldedMin;
    case FormatKind::kQ6_K:
    case FormatKind::kQ3_K:
      return DotPanelMode::kHalves;
    default:
      return DotPanelMode::kPlain;
  }
}

void KQuantDotCodes(FormatKind kind, const uint8_t* sb, int j, uint8_t* u) {
  if (kind == FormatKind::kQ3_K || kind == FormatKind::kIQ4_XS) {
    int8_t c[32];  // the signed code; u = code + 128
    if (kind == FormatKind::kQ3_K) {
      Q3KBlockCodes(sb, j, c);
    } else {
      IQ4XSBlockValues(sb, j, c);
    }
    for (int l = 0; l < 32; ++l) u[l] = static_cast<uint8_t>(c[l] + 128);
    return;
  }
  if (kind == FormatKind::kQ6_K) {
    uint8_t q[32];
    Q6KBlockCodes(sb, j, q);
    for (int l = 0; l < 32; ++l) u[l] = static_cast<uint8_t>(q[l] - 32 + 128);
    return;
  }
  const bool q5 = kind == FormatKind::kQ5_K;
  const uint8_t* qs = sb + (q5 ? q5_k::kQs : q4_k::kQs) + 32 * (j / 2);
  const int shift = 4 * (j % 2);
  for (int l = 0; l < 32; ++l) {
    int q = (qs[l] >> shift) & 0xF;
    if (q5) q += ((sb[q5_k::kQh + l] >> j) & 1) << 4;
    u[l] = static_cast<uint8_t>(q + 128);
  }
}

size_t DotPanelBytes(size_t k) {
  const size_t blocks = (k + 31) / 32;
  return Round64(blocks * kDotPanelBlockBytes) +
         4 * Round64(blocks * kDotPanelRows * sizeof(float));
}

void PrepareDotPanel(const QuantizedMatrix::Data& d, size_t n0, size_t cols,
                     uint8_t* buffer, DotPanel* p) {
  const FormatKind kind = d.format.kind;
  p->blocks = (d.cols + 31) / 32;
  p->codes = buffer;
  p->scale = reinterpret_cast<float*>(buffer +
                                      Round64(p->blocks * kDotPanelBlockBytes));
  const size_t floats =
      Round64(p->blocks * kDotPanelRows * sizeof(float)) / sizeof(float);
  p->min = p->scale + floats;
  p->sub = p->min + floats;
  p->sub2 = p->sub + floats;
  p->mode = DotPanelModeOf(kind);
  p->has_row_scale = kind == FormatKind::kI8Row;
  if (cols < kDotPanelRows) {  // absent rows: w = 0, zero scales
    std::memset(p->codes, 0x80, p->blocks * kDotPanelBlockBytes);
    std::fill(p->scale, p->scale + 4 * floats, 0.0f);
  }
  for (size_t r = 0; r < kDotPanelRows; ++r)
    p->row_scale[r] =
        p->has_row_scale && r < cols ? d.row_params_of(n0 + r)[0] : 0.0f;
}

void PackDotPanel(const QuantizedMatrix::Data& d, size_t n0, size_t cols,
                  uint8_t* buffer, DotPanel* p) {
  PrepareDotPanel(d, n0, cols, buffer, p);
  if (KQuantSuperBytes(d.format.kind) != 0) {
    PackKRows(d, n0, cols, p);
  } else {
    PackRows(d, n0, cols, p);
  }
}

}  // namespace qins
