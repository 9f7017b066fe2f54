// ggml's K-quant super-blocks (Q2_K .. Q6_K) and IQ4_XS: 256 weights per
// super-block, stored byte for byte as ggml's block_q2_K .. block_iq4_xs
// (ggml-common.h), super-blocks back to back, so a GGUF tensor's bytes are a
// row as they are. Byte offsets of each field and the unpacking of the
// packed sub-block scales, shared by the scalar codecs (kquant_codecs.cc,
// iq4_xs_codec.cc) and the SIMD loaders (kquant_loaders-inl.h).
// docs/formats.md draws each layout.
#ifndef QINS_KERNELS_FORMATS_KQUANT_BLOCKS_H_
#define QINS_KERNELS_FORMATS_KQUANT_BLOCKS_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/formats/half.h"
#include "kernels/formats/iq4_nl_values.h"

namespace qins {

inline constexpr size_t kSuperBlock = 256;  // ggml's QK_K

// block_q2_K: scales[16] (low nibble scale, high nibble min, per 16
// weights), qs[64] (2 bits per weight), f16 d, f16 dmin.
namespace q2_k {
inline constexpr size_t kScales = 0, kQs = 16, kD = 80, kDmin = 82;
inline constexpr size_t kBytes = 84;
}  // namespace q2_k

// block_q3_K: hmask[32] (high bit), qs[64] (low 2 bits), scales[12] (16
// 6-bit scales, offset 32), f16 d.
namespace q3_k {
inline constexpr size_t kHmask = 0, kQs = 32, kScales = 96, kD = 108;
inline constexpr size_t kBytes = 110;
}  // namespace q3_k

// block_q4_K: f16 d, f16 dmin, scales[12] (8 6-bit scales and 8 6-bit
// mins, per 32 weights), qs[128] (4 bits per weight).
namespace q4_k {
inline constexpr size_t kD = 0, kDmin = 2, kScales = 4, kQs = 16;
inline constexpr size_t kBytes = 144;
}  // namespace q4_k

// block_q5_K: as q4_K, with qh[32] (the fifth bit) before qs[128].
namespace q5_k {
inline constexpr size_t kD = 0, kDmin = 2, kScales = 4, kQh = 16, kQs = 48;
inline constexpr size_t kBytes = 176;
}  // namespace q5_k

// block_q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16]
// (per 16 weights), f16 d.
namespace q6_k {
inline constexpr size_t kQl = 0, kQh = 128, kScales = 192, kD = 208;
inline constexpr size_t kBytes = 210;
}  // namespace q6_k

// block_iq4_xs: f16 d, uint16 scales_h (2 high bits per 32 weights),
// scales_l[4] (4 low bits per 32 weights), qs[128] (iq4_nl's nibble order
// per 32 weights).
namespace iq4_xs {
inline constexpr size_t kD = 0, kScalesH = 2, kScalesL = 4, kQs = 8;
inline constexpr size_t kBytes = 136;
}  // namespace iq4_xs

// The f16 at byte `offset` of a super-block, as f32.
inline float KQuantHalf(const uint8_t* sb, size_t offset) {
  uint16_t h;
  std::memcpy(&h, sb + offset, 2);
  return F16ToF32(h);
}

// Q4_K / Q5_K: the 6-bit scale and min of sub-block j (0..7) from the 12
// packed bytes (ggml's get_scale_min_k4): j < 4 in the low 6 bits of
// bytes j and j + 4; j >= 4 in the nibbles of byte j + 4 with the top two
// bits of bytes j - 4 and j.
inline void Q4KScaleMin(const uint8_t* scales, int j, int* sc, int* m) {
  if (j < 4) {
    *sc = scales[j] & 63;
    *m = scales[j + 4] & 63;
  } else {
    *sc = (scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4);
    *m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

// Q3_K: the scale of sub-block j (0..15), -32..31: its low 4 bits in byte
// j % 8 (low nibble for j < 8), its high 2 bits in byte 8 + j % 4 at bit
// 2 (j / 4).
inline int Q3KScale(const uint8_t* scales, int j) {
  const int lo = (j < 8 ? scales[j] : scales[j - 8] >> 4) & 0xF;
  const int hi = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (lo | (hi << 4)) - 32;
}

// IQ4_XS: the scale of block ib (0..7) of 32 weights, -32..31.
inline int IQ4XSScale(const uint8_t* sb, int ib) {
  uint16_t h;
  std::memcpy(&h, sb + iq4_xs::kScalesH, 2);
  const int lo = (sb[iq4_xs::kScalesL + ib / 2] >> (4 * (ib % 2))) & 0xF;
  const int hi = (h >> (2 * ib)) & 3;
  return (lo | (hi << 4)) - 32;
}

// Q2_K: the codes (0..3; the weight is d (sc & 15) code - dmin (sc >> 4),
// sc = scales[16-weight sub-block]) of weights 32 j .. 32 j + 31 (j < 8)
// of a super-block: bits 2 (j % 4) of qs[32 (j / 4) + l] (ggml's
// dequantize_row_q2_K).
inline void Q2KBlockCodes(const uint8_t* sb, int j, int8_t c[32]) {
  const uint8_t* q = sb + q2_k::kQs + 32 * (j / 4);
  for (int l = 0; l < 32; ++l)
    c[l] = static_cast<int8_t>((q[l] >> (2 * (j % 4))) & 3);
}

// Q3_K: the codes (-4..3; the weight is d * Q3KScale * code) of weights
// 32 j .. 32 j + 31 (j < 8) of a super-block: h = j / 4, plane = j % 4;
// the low 2 bits in qs[32 h + l] at bit 2 plane, minus 4 where bit 4 h +
// plane of hmask[l] is clear (ggml's dequantize_row_q3_K).
inline void Q3KBlockCodes(const uint8_t* sb, int j, int8_t c[32]) {
  const int h = j / 4, plane = j % 4;
  for (int l = 0; l < 32; ++l) {
    const int lo = (sb[q3_k::kQs + 32 * h + l] >> (2 * plane)) & 3;
    const int hi = (sb[q3_k::kHmask + l] >> (4 * h + plane)) & 1;
    c[l] = static_cast<int8_t>(lo - (hi ? 0 : 4));
  }
}

// IQ4_XS: the values (kIQ4NLValues, -127..113) of weights 32 j .. 32 j +
// 31: block j's 16 bytes of qs, low nibbles first, then high nibbles.
inline void IQ4XSBlockValues(const uint8_t* sb, int j, int8_t v[32]) {
  const uint8_t* qs = sb + iq4_xs::kQs + 16 * j;
  for (int l = 0; l < 16; ++l) {
    v[l] = kIQ4NLValues[qs[l] & 0xF];
    v[l + 16] = kIQ4NLValues[qs[l] >> 4];
  }
}

// Q6_K: the 6-bit codes q (0..63; the weight is d sc (q - 32)) of weights
// 32 j .. 32 j + 31 (j < 8) of a super-block: h = j / 4, quarter = j % 4;
// the low 4 bits in ql[64 h + 32 (quarter % 2) + l] at bit 4 (quarter / 2),
// the high 2 in qh[32 h + l] at bit 2 quarter (ggml's dequantize_row_q6_K).
inline void Q6KBlockCodes(const uint8_t* sb, int j, uint8_t q[32]) {
  const int h = j / 4, quarter = j % 4;
  const uint8_t* ql = sb + q6_k::kQl + 64 * h + 32 * (quarter % 2);
  const uint8_t* qh = sb + q6_k::kQh + 32 * h;
  const int lshift = 4 * (quarter / 2), hshift = 2 * quarter;
  for (int l = 0; l < 32; ++l) {
    q[l] = static_cast<uint8_t>(((ql[l] >> lshift) & 0xF) |
                                (((qh[l] >> hshift) & 3) << 4));
  }
}

}  // namespace qins

#endif  // QINS_KERNELS_FORMATS_KQUANT_BLOCKS_H_
