// W rows -> the integer-dot GEMM's interleaved int8 panel (dot_panel.h).
#include "kernels/gemm/dot_panel.h"

#include <algorithm>
#include <cstring>

#include "kernels/formats/block_rows.h"
#include "kernels/formats/half.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/kquant_blocks.h"
#include "kernels/formats/qins4_tables.h"

namespace qins {
namespace {

size_t Round64(size_t bytes) { return (bytes + 63) / 64 * 64; }

float HalfAt(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return F16ToF32(h);
}

// One block of a format: its 32 codes as w + 128 (u8), its scale and min.
template <FormatKind kKind>
struct BlockCodes;

template <>
struct BlockCodes<FormatKind::kQ8_0> {
  static constexpr size_t kBytes = kQ8_0BlockBytes;
  static void Get(const uint8_t* blk, uint8_t* u, float* dw, float* mw) {
    for (size_t j = 0; j < 32; ++j) u[j] = blk[2 + j] ^ 0x80;
    *dw = HalfAt(blk);
    *mw = 0;
  }
};

template <>
struct BlockCodes<FormatKind::kI8Row> {
  static constexpr size_t kBytes = kWeightBlock;
  static void Get(const uint8_t* blk, uint8_t* u, float* dw, float* mw) {
    for (size_t j = 0; j < 32; ++j) u[j] = blk[j] ^ 0x80;
    *dw = 1.0f;
    *mw = 0;
  }
};

// The 16 nibble bytes at q: weight j < 16 the low nibble of byte j, weight
// j >= 16 the high nibble of byte j - 16; u[j] = table[nibble] (+ the fifth
// bit's 16 where qh is given).
inline void Nibbles(const uint8_t* q, const uint8_t* table, uint8_t* u) {
  for (size_t j = 0; j < 16; ++j) {
    u[j] = table[q[j] & 0xF];
    u[j + 16] = table[q[j] >> 4];
  }
}

// table[n] = code(n) + 128 for codes given by a function of the nibble.
struct NibbleTable {
  uint8_t v[32];
};
template <class F>
constexpr NibbleTable MakeTable(F code) {
  NibbleTable t{};
  for (int n = 0; n < 32; ++n) t.v[n] = static_cast<uint8_t>(code(n) + 128);
  return t;
}
constexpr NibbleTable kQ4_0Table = MakeTable([](int n) { return n - 8; });
constexpr NibbleTable kPlainTable = MakeTable([](int n) { return n; });
constexpr NibbleTable kQ5_0Table = MakeTable([](int n) { return n - 16; });
constexpr NibbleTable kIQ4NLTable =
    MakeTable([](int n) { return n < 16 ? int{kIQ4NLValues[n]} : 0; });

template <>
struct BlockCodes<FormatKind::kQ4_0> {
  static constexpr size_t kBytes = kNibbleBlockBytes;
  static void Get(const uint8_t* blk, uint8_t* u, float* dw, float* mw) {
    Nibbles(blk + 2, kQ4_0Table.v, u);
    *dw = HalfAt(blk);
    *mw = 0;
  }
};

template <>
struct BlockCodes<FormatKind::kIQ4_NL> {
  static constexpr size_t kBytes = kNibbleBlockBytes;
  static void Get(const uint8_t* blk, uint8_t* u, float* dw, float* mw) {
    Nibbles(blk + 2, kIQ4NLTable.v, u);
    *dw = HalfAt(blk);
    *mw = 0;
  }
};

template <>
struct BlockCodes<FormatKind::kQins4> {
  static constexpr size_t kBytes = kNibbleBlockBytes;
  static void Get(const uint8_t* blk, uint8_t* u, float* dw, float* mw) {
    uint16_t h;
    std::memcpy(&h, blk, 2);
    uint8_t table[16];
    for (size_t n = 0; n < 16; ++n)
      table[n] = static_cast<uint8_t>(kQins4I8Values.v[h & 0xF][n] + 128);
    Nibbles(blk + 2, table, u);
    *dw = F16ToF32(static_cast<uint16_t>((h >> 4) << 3)) * (1.0f / 127);
    *mw = 0;
  }
};

template <>
struct BlockCodes<FormatKind::kQ4_1> {
  static constexpr size_t kBytes = kQ4_1BlockBytes;
  static void Get(const uint8_t* blk, uint8_t* u, float* dw, float* mw) {
    Nibbles(blk + 4, kPlainTable.v, u);
    *dw = HalfAt(blk);
    *mw = HalfAt(blk + 2);
  }
};

// The fifth bits: bit j of ggml's little-endian qh adds 16 to weight j.
inline void FifthBits(const uint8_t* qh, uint8_t* u) {
  const uint32_t bits = LoadLE32(qh);
  for (size_t j = 0; j < 32; ++j)
    u[j] = static_cast<uint8_t>(u[j] + ((bits >> j) & 1) * 16);
}

template <>
struct BlockCodes<FormatKind::kQ5_0> {
  static constexpr size_t kBytes = kQ5_0BlockBytes;
  static void Get(const uint8_t* blk, uint8_t* u, float* dw, float* mw) {
    Nibbles(blk + 6, kQ5_0Table.v, u);
    FifthBits(blk + 2, u);
    *dw = HalfAt(blk);
    *mw = 0;
  }
};

template <>
struct BlockCodes<FormatKind::kQ5_1> {
  static constexpr size_t kBytes = kQ5_1BlockBytes;
  static void Get(const uint8_t* blk, uint8_t* u, float* dw, float* mw) {
    Nibbles(blk + 8, kPlainTable.v, u);
    FifthBits(blk + 4, u);
    *dw = HalfAt(blk);
    *mw = HalfAt(blk + 2);
  }
};

template <FormatKind kKind>
void PackRows(const QuantizedMatrix::Data& d, size_t n0, size_t cols,
              DotPanel* p) {
  using B = BlockCodes<kKind>;
  for (size_t r = 0; r < cols; ++r) {
    const uint8_t* row = d.row(n0 + r);
    for (size_t b = 0; b < p->blocks; ++b) {
      uint8_t u[32];
      float dw, mw;
      B::Get(row + b * B::kBytes, u, &dw, &mw);
      uint8_t* dst = p->codes + b * kDotPanelBlockBytes + r * 4;
      for (size_t g = 0; g < 8; ++g) std::memcpy(dst + g * 64, u + 4 * g, 4);
      p->scale[b * kDotPanelRows + r] = dw;
      p->min[b * kDotPanelRows + r] = mw;
    }
  }
}

// The K-quants: super-block s holds blocks 8 s .. 8 s + 7.
template <size_t kSuperBytes>
void PackKRows(const QuantizedMatrix::Data& d, size_t n0, size_t cols,
               DotPanel* p) {
  for (size_t r = 0; r < cols; ++r) {
    const uint8_t* row = d.row(n0 + r);
    for (size_t b = 0; b < p->blocks; ++b) {
      uint8_t u[32];
      const size_t e = b * kDotPanelRows + r;
      KQuantDotBlock(d.format.kind, row + (b / 8) * kSuperBytes,
                     static_cast<int>(b % 8), u, &p->scale[e], &p->sub[e],
                     &p->sub2[e], &p->min[e], &p->msub[e]);
      uint8_t* dst = p->codes + b * kDotPanelBlockBytes + r * 4;
      for (size_t g = 0; g < 8; ++g) std::memcpy(dst + g * 64, u + 4 * g, 4);
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
      return DotPanelMode::kSubMin;
    case FormatKind::kQ6_K:
      return DotPanelMode::kHalves;
    default:
      return DotPanelMode::kPlain;
  }
}

void KQuantDotScales(FormatKind kind, const uint8_t* sb, int j, float* dw,
                     float* sub, float* sub2, float* min, float* msub) {
  if (kind == FormatKind::kQ6_K) {
    const int8_t* sc = reinterpret_cast<const int8_t*>(sb + q6_k::kScales);
    *dw = KQuantHalf(sb, q6_k::kD);
    *sub = sc[2 * j];
    *sub2 = sc[2 * j + 1];
    *min = *msub = 0;
    return;
  }
  const size_t scales =
      kind == FormatKind::kQ5_K ? q5_k::kScales : q4_k::kScales;
  int sc, m;
  Q4KScaleMin(sb + scales, j, &sc, &m);
  *dw = KQuantHalf(sb, q4_k::kD);  // q5_k's d and dmin sit at the same bytes
  *min = -KQuantHalf(sb, q4_k::kDmin);
  *sub = static_cast<float>(sc);
  *msub = static_cast<float>(m);
  *sub2 = 0;
}

void KQuantDotBlock(FormatKind kind, const uint8_t* sb, int j, uint8_t* u,
                    float* dw, float* sub, float* sub2, float* min,
                    float* msub) {
  KQuantDotScales(kind, sb, j, dw, sub, sub2, min, msub);
  if (kind == FormatKind::kQ6_K) {
    // Weight 32 j + l: h = j / 4, quarter = j % 4; the low 4 bits in
    // ql[64 h + 32 (quarter % 2) + l] at bit 4 (quarter / 2), the high 2 in
    // qh[32 h + l] at bit 2 quarter (ggml's dequantize_row_q6_K).
    const int h = j / 4, quarter = j % 4;
    const uint8_t* ql = sb + q6_k::kQl + 64 * h + 32 * (quarter % 2);
    const uint8_t* qh = sb + q6_k::kQh + 32 * h;
    const int lshift = 4 * (quarter / 2), hshift = 2 * quarter;
    for (int l = 0; l < 32; ++l) {
      const int q = ((ql[l] >> lshift) & 0xF) | (((qh[l] >> hshift) & 3) << 4);
      u[l] = static_cast<uint8_t>(q - 32 + 128);
    }
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
         5 * Round64(blocks * kDotPanelRows * sizeof(float));
}

Qins4U8Tables MakeQins4U8Tables() {
  Qins4U8Tables t{};
  for (size_t i = 0; i < 16; ++i)
    for (size_t n = 0; n < 16; ++n)
      t.v[i][n] = static_cast<uint8_t>(kQins4I8Values.v[i][n] + 128);
  return t;
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
  p->msub = p->sub2 + floats;
  p->mode = DotPanelModeOf(kind);
  p->has_row_scale = kind == FormatKind::kI8Row;
  if (cols < kDotPanelRows) {  // absent rows: w = 0, zero scales
    std::memset(p->codes, 0x80, p->blocks * kDotPanelBlockBytes);
    std::fill(p->scale, p->scale + 5 * floats, 0.0f);
  }
  for (size_t r = 0; r < kDotPanelRows; ++r)
    p->row_scale[r] =
        p->has_row_scale && r < cols ? d.row_params_of(n0 + r)[0] : 0.0f;
}

void PackDotPanel(const QuantizedMatrix::Data& d, size_t n0, size_t cols,
                  uint8_t* buffer, DotPanel* p) {
  PrepareDotPanel(d, n0, cols, buffer, p);
  switch (d.format.kind) {
#define QINS_DOT_PANEL_CASE(K)               \
  case FormatKind::K:                        \
    PackRows<FormatKind::K>(d, n0, cols, p); \
    break;
    QINS_DOT_PANEL_CASE(kQ8_0)
    QINS_DOT_PANEL_CASE(kI8Row)
    QINS_DOT_PANEL_CASE(kQ4_0)
    QINS_DOT_PANEL_CASE(kQ4_1)
    QINS_DOT_PANEL_CASE(kQ5_0)
    QINS_DOT_PANEL_CASE(kQ5_1)
    QINS_DOT_PANEL_CASE(kIQ4_NL)
    QINS_DOT_PANEL_CASE(kQins4)
#undef QINS_DOT_PANEL_CASE
    case FormatKind::kQ4_K:
      PackKRows<q4_k::kBytes>(d, n0, cols, p);
      break;
    case FormatKind::kQ5_K:
      PackKRows<q5_k::kBytes>(d, n0, cols, p);
      break;
    case FormatKind::kQ6_K:
      PackKRows<q6_k::kBytes>(d, n0, cols, p);
      break;
    default:
      break;
  }
}

}  // namespace qins
