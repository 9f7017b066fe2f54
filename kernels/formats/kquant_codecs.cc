// ggml's K-quants Q2_K, Q3_K, Q4_K, Q5_K and Q6_K: 256-weight super-blocks
// with ggml's bytes (kquant_blocks.h), so GGUF tensors are used in place.
//
// decode_row is ggml's dequantize_row_q*_K, with its float operations in
// its order (the project builds with -ffp-contract=off):
//   Q2_K: (d * sc) * q - dmin * m        Q3_K: (d * (sc - 32)) * q
//   Q4_K, Q5_K: (d * sc) * q - dmin * m  Q6_K: (d * sc) * (q - 32)
// which is also what llama.cpp's gguf-py computes (the tests' oracle).
//
// encode_rows is ggml's reference quantizer, quantize_row_q*_K_ref (the
// one llama.cpp uses without an importance matrix), written again here:
// the same searches (make_qkx2_quants for Q2_K/Q4_K/Q5_K, make_q3_quants
// for Q3_K, make_qx_quants for Q6_K), the same float accumulations in the
// same order, ggml's nearest_int rounding. It is deterministic. A ggml
// build that lets the compiler fuse a * b + c into an FMA (ggml's default
// C flags with -march=native) can round a few sums differently and so,
// rarely, pick another candidate: then the bytes differ, not the format.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "kernels/formats/codec.h"
#include "kernels/formats/half.h"
#include "kernels/formats/kquant_blocks.h"

namespace qins {

namespace {

constexpr int kN = static_cast<int>(kSuperBlock);

// ggml's nearest_int exactly: round to nearest, ties to even, by adding
// 1.5 * 2^23 and reading the mantissa bits. ggml asserts |f| <= 2^22 - 1
// (debug builds only); beyond that, and for NaN and Inf, the result is
// what ggml's release builds compute (garbage, e.g. 0 for NaN), which every
// caller then clamps to a few bits. No undefined behaviour on any input.
int NearestInt(float f) {
  const float v = f + 12582912.0f;
  int32_t i;
  std::memcpy(&i, &v, 4);
  return (i & 0x007FFFFF) - 0x00400000;
}

template <size_t kBytes>
size_t SuperBlockBytes(size_t cols, int) {
  return (cols + kSuperBlock - 1) / kSuperBlock * kBytes;
}

// Calls encode(x, out) for each super-block of rows [r0, r1).
template <size_t kBytes, class Encode>
void EncodeSuperBlocks(const float* w, size_t stride, QuantizedMatrix::Data& d,
                       size_t r0, size_t r1, Encode&& encode) {
  for (size_t r = r0; r < r1; ++r) {
    for (size_t b = 0; b < d.cols / kSuperBlock; ++b) {
      encode(w + r * stride + b * kSuperBlock, d.mutable_row(r) + b * kBytes);
    }
  }
}

void StoreHalf(uint8_t* sb, size_t offset, float v) {
  const uint16_t h = F32ToF16(v);
  std::memcpy(sb + offset, &h, 2);
}

// ggml's make_qkx2_quants: codes L[i] in [0, nmax] for x ~ scale * L - min
// (min >= 0 returned in *the_min), minimising the weighted absolute
// (use_mad) or squared error over nstep + 1 trial scales
// (rmin + rdelta * is + nmax) / (max - min), each refined by weighted
// least squares.
float MakeQkx2Quants(int n, int nmax, const float* x, const float* weights,
                     uint8_t* L, float* the_min, uint8_t* Laux, float rmin,
                     float rdelta, int nstep, bool use_mad) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *the_min = -min;
    return 0.0f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = NearestInt(iscale * (x[i] - min));
    L[i] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
    float diff = scale * L[i] + min - x[i];
    diff = use_mad ? std::fabs(diff) : diff * diff;
    best_error += weights[i] * diff;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      int l = NearestInt(iscale * (x[i] - min));
      l = std::max(0, std::min(nmax, l));
      Laux[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        float diff = this_scale * Laux[i] + this_min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        cur_error += weights[i] * diff;
      }
      if (cur_error < best_error) {
        std::memcpy(L, Laux, static_cast<size_t>(n));
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *the_min = -min;
  return scale;
}

// ggml's GROUP_MAX_EPS: a group whose largest magnitude is below it is zero.
constexpr float kGroupMaxEps = 1e-15f;

// ggml's make_qx_quants with rmse_type 1 (weights x^2) and no importance:
// signed codes L[i] + nmax in [0, 2 nmax) for x ~ scale * L, the best of 19
// trial scales -(nmax + 0.1 is) / max by weighted least squares.
float MakeQxQuants(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.0f;
  }
  float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = NearestInt(iscale * x[i]);
    l = std::max(-nmax, std::min(nmax - 1, l));
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      int l = NearestInt(iscale * x[i]);
      l = std::max(-nmax, std::min(nmax - 1, l));
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        const int l = NearestInt(iscale * x[i]);
        L[i] =
            static_cast<int8_t>(nmax + std::max(-nmax, std::min(nmax - 1, l)));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// ggml's make_q3_quants with do_rmse: codes for x ~ scale * L, L in
// [-nmax, nmax), improved one code at a time (up to 5 passes) while the
// weighted (x^2) least-squares fit gets better; returns L + nmax.
float MakeQ3Quants(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.0f;
  }
  const float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = NearestInt(iscale * x[i]);
    l = std::max(-nmax, std::min(nmax - 1, l));
    L[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  for (int itry = 0; itry < 5; ++itry) {
    int n_changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * L[i];
      if (slx > 0) {
        float sl2 = suml2 - w * L[i] * L[i];
        int new_l = NearestInt(x[i] * sl2 / slx);
        new_l = std::max(-nmax, std::min(nmax - 1, new_l));
        if (new_l != L[i]) {
          slx += w * x[i] * new_l;
          sl2 += w * new_l * new_l;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = static_cast<int8_t>(new_l);
            sumlx = slx;
            suml2 = sl2;
            ++n_changed;
          }
        }
      }
    }
    if (!n_changed) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Packs 2-bit codes L[0, 256) as Q2_K and Q3_K store them: byte l of half
// h holds weights 128 h + l + 32 k at bits 2 k.
void Pack2Bit(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < kN; j += 128) {
    for (int l = 0; l < 32; ++l) {
      qs[j / 4 + l] =
          static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) |
                               (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
    }
  }
}

// ---- Q2_K

void EncodeQ2KBlock(const float* x, uint8_t* sb) {
  uint8_t L[kN], Laux[16];
  float weights[16], mins[16], scales[16];
  constexpr float kQ4Scale = 15.0f;
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 16; ++j) {
    for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
    scales[j] = MakeQkx2Quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j],
                               Laux, -0.5f, 0.1f, 15, true);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  uint8_t* sc = sb + q2_k::kScales;
  if (max_scale > 0) {
    const float iscale = kQ4Scale / max_scale;
    for (int j = 0; j < 16; ++j)
      sc[j] = static_cast<uint8_t>(NearestInt(iscale * scales[j]));
    StoreHalf(sb, q2_k::kD, max_scale / kQ4Scale);
  } else {
    for (int j = 0; j < 16; ++j) sc[j] = 0;
    StoreHalf(sb, q2_k::kD, 0.0f);
  }
  if (max_min > 0) {
    const float iscale = kQ4Scale / max_min;
    for (int j = 0; j < 16; ++j)
      // ggml stores int l << 4 in a byte: its low 8 bits (l may be
      // garbage for a degenerate search; unsigned to shift any l).
      sc[j] |= static_cast<uint8_t>(
          static_cast<uint32_t>(NearestInt(iscale * mins[j])) << 4);
    StoreHalf(sb, q2_k::kDmin, max_min / kQ4Scale);
  } else {
    StoreHalf(sb, q2_k::kDmin, 0.0f);
  }
  const float d_all = KQuantHalf(sb, q2_k::kD);
  const float dmin_all = KQuantHalf(sb, q2_k::kDmin);
  for (int j = 0; j < 16; ++j) {
    const float d = d_all * (sc[j] & 0xF);
    if (!d) continue;
    const float dm = dmin_all * (sc[j] >> 4);
    for (int ii = 0; ii < 16; ++ii) {
      const int l = NearestInt((x[16 * j + ii] + dm) / d);
      L[16 * j + ii] = static_cast<uint8_t>(std::max(0, std::min(3, l)));
    }
  }
  Pack2Bit(L, sb + q2_k::kQs);
}

void DecodeQ2K(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const uint8_t* row = m.row(r);
  for (size_t b = 0; b < m.cols / kSuperBlock; ++b) {
    const uint8_t* sb = row + b * q2_k::kBytes;
    const float d = KQuantHalf(sb, q2_k::kD);
    const float min = KQuantHalf(sb, q2_k::kDmin);
    float* y = out + b * kSuperBlock;
    for (int k = 0; k < 16; ++k) {  // 16 sub-blocks of 16 weights
      const uint8_t sc = sb[q2_k::kScales + k];
      const float dl = d * (sc & 0xF), ml = min * (sc >> 4);
      // Weight 16 k + l: byte 32 (k / 8) + 16 (k % 2) + l, bits 2 (k / 2 % 4).
      const uint8_t* q = sb + q2_k::kQs + 32 * (k / 8) + 16 * (k % 2);
      const int shift = 2 * (k / 2 % 4);
      for (int l = 0; l < 16; ++l)
        y[16 * k + l] = dl * ((q[l] >> shift) & 3) - ml;
    }
  }
}

void EncodeQ2K(const float* w, size_t stride, QuantizedMatrix::Data& d,
               size_t r0, size_t r1) {
  EncodeSuperBlocks<q2_k::kBytes>(w, stride, d, r0, r1, &EncodeQ2KBlock);
}

// ---- Q3_K

void EncodeQ3KBlock(const float* x, uint8_t* sb) {
  int8_t L[kN];
  float scales[16];
  float max_scale = 0, amax = 0;
  for (int j = 0; j < 16; ++j) {
    scales[j] = MakeQ3Quants(16, 4, x + 16 * j, L + 16 * j);
    const float scale = std::fabs(scales[j]);
    if (scale > amax) {
      amax = scale;
      max_scale = scales[j];
    }
  }
  uint8_t* sc = sb + q3_k::kScales;
  std::memset(sc, 0, 12);
  if (max_scale) {
    const float iscale = -32.0f / max_scale;
    for (int j = 0; j < 16; ++j) {
      int l = static_cast<int8_t>(NearestInt(iscale * scales[j]));
      l = std::max(-32, std::min(31, l)) + 32;
      if (j < 8) {
        sc[j] = static_cast<uint8_t>(l & 0xF);
      } else {
        sc[j - 8] |= static_cast<uint8_t>((l & 0xF) << 4);
      }
      sc[j % 4 + 8] |= static_cast<uint8_t>((l >> 4) << (2 * (j / 4)));
    }
    StoreHalf(sb, q3_k::kD, 1 / iscale);
  } else {
    StoreHalf(sb, q3_k::kD, 0.0f);
  }
  const float d_all = KQuantHalf(sb, q3_k::kD);
  for (int j = 0; j < 16; ++j) {
    const float d = d_all * Q3KScale(sc, j);
    if (!d) continue;
    for (int ii = 0; ii < 16; ++ii) {
      const int l = NearestInt(x[16 * j + ii] / d);
      L[16 * j + ii] = static_cast<int8_t>(std::max(-4, std::min(3, l)) + 4);
    }
  }
  // The high bit of weight j goes to bit j / 32 of hmask[j % 32].
  uint8_t* hmask = sb + q3_k::kHmask;
  std::memset(hmask, 0, 32);
  uint8_t low[kN];
  for (int j = 0; j < kN; ++j) {
    int l = L[j];
    if (l > 3) {
      hmask[j % 32] |= static_cast<uint8_t>(1 << (j / 32));
      l -= 4;
    }
    low[j] = static_cast<uint8_t>(l);
  }
  Pack2Bit(low, sb + q3_k::kQs);
}

void DecodeQ3K(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const uint8_t* row = m.row(r);
  for (size_t b = 0; b < m.cols / kSuperBlock; ++b) {
    const uint8_t* sb = row + b * q3_k::kBytes;
    const float d_all = KQuantHalf(sb, q3_k::kD);
    float* y = out + b * kSuperBlock;
    for (int k = 0; k < 16; ++k) {
      const float dl = d_all * Q3KScale(sb + q3_k::kScales, k);
      // Weight 16 k + l: low bits as Q2_K's; high bit (set: +0, clear: -4)
      // at bit k / 2 of hmask[16 (k % 2) + l].
      const int off = 16 * (k % 2);
      const uint8_t* q = sb + q3_k::kQs + 32 * (k / 8) + off;
      const uint8_t* hm = sb + q3_k::kHmask + off;
      const int shift = 2 * (k / 2 % 4), bit = k / 2;
      for (int l = 0; l < 16; ++l) {
        const int v = ((q[l] >> shift) & 3) - (((hm[l] >> bit) & 1) ? 0 : 4);
        y[16 * k + l] = dl * v;
      }
    }
  }
}

void EncodeQ3K(const float* w, size_t stride, QuantizedMatrix::Data& d,
               size_t r0, size_t r1) {
  EncodeSuperBlocks<q3_k::kBytes>(w, stride, d, r0, r1, &EncodeQ3KBlock);
}

// ---- Q4_K and Q5_K: 8 sub-blocks of 32 with a 6-bit scale and min each.

// ggml's common first half of quantize_row_q4_K_ref / q5_K_ref: per
// sub-block make_qkx2_quants with weights av_x + |x|, then the 6-bit
// scales and mins and the f16 d, dmin; then the codes L[0, 256) in
// [0, nmax] for the stored scales.
void EncodeScaleMinSuperBlock(const float* x, uint8_t* sb, int nmax, float rmin,
                              int nstep, uint8_t* L) {
  uint8_t Laux[32];
  float weights[32], mins[8], scales[8];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
    scales[j] = MakeQkx2Quants(32, nmax, x + 32 * j, weights, L + 32 * j,
                               &mins[j], Laux, rmin, 0.1f, nstep, false);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
  uint8_t* sc = sb + q4_k::kScales;  // Q5_K: the same offset
  for (int j = 0; j < 8; ++j) {
    const uint8_t ls = std::min<uint8_t>(
        63, static_cast<uint8_t>(NearestInt(inv_scale * scales[j])));
    const uint8_t lm = std::min<uint8_t>(
        63, static_cast<uint8_t>(NearestInt(inv_min * mins[j])));
    if (j < 4) {
      sc[j] = ls;
      sc[j + 4] = lm;
    } else {
      sc[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      sc[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      sc[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
  StoreHalf(sb, q4_k::kD, max_scale / 63.0f);
  StoreHalf(sb, q4_k::kDmin, max_min / 63.0f);
  const float d_all = KQuantHalf(sb, q4_k::kD);
  const float dmin_all = KQuantHalf(sb, q4_k::kDmin);
  for (int j = 0; j < 8; ++j) {
    int s, m;
    Q4KScaleMin(sc, j, &s, &m);
    const float d = d_all * s;
    if (!d) continue;
    const float dm = dmin_all * m;
    for (int ii = 0; ii < 32; ++ii) {
      const int l = NearestInt((x[32 * j + ii] + dm) / d);
      L[32 * j + ii] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
    }
  }
}

void EncodeQ4KBlock(const float* x, uint8_t* sb) {
  uint8_t L[kN];
  EncodeScaleMinSuperBlock(x, sb, 15, -1.0f, 20, L);
  // Byte l of chunk c (64 weights): weight 64 c + l low, 64 c + 32 + l high.
  uint8_t* q = sb + q4_k::kQs;
  for (int j = 0; j < kN; j += 64) {
    for (int l = 0; l < 32; ++l)
      q[j / 2 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
  }
}

void DecodeQ4K(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const uint8_t* row = m.row(r);
  for (size_t b = 0; b < m.cols / kSuperBlock; ++b) {
    const uint8_t* sb = row + b * q4_k::kBytes;
    const float d = KQuantHalf(sb, q4_k::kD);
    const float min = KQuantHalf(sb, q4_k::kDmin);
    float* y = out + b * kSuperBlock;
    for (int j = 0; j < 8; ++j) {
      int sc, mn;
      Q4KScaleMin(sb + q4_k::kScales, j, &sc, &mn);
      const float d1 = d * sc, m1 = min * mn;
      const uint8_t* q = sb + q4_k::kQs + 32 * (j / 2);
      const int shift = 4 * (j % 2);
      for (int l = 0; l < 32; ++l)
        y[32 * j + l] = d1 * ((q[l] >> shift) & 0xF) - m1;
    }
  }
}

void EncodeQ4K(const float* w, size_t stride, QuantizedMatrix::Data& d,
               size_t r0, size_t r1) {
  EncodeSuperBlocks<q4_k::kBytes>(w, stride, d, r0, r1, &EncodeQ4KBlock);
}

void EncodeQ5KBlock(const float* x, uint8_t* sb) {
  uint8_t L[kN];
  EncodeScaleMinSuperBlock(x, sb, 31, -0.5f, 15, L);
  // As Q4_K's nibbles; the fifth bit of weight 32 j + l is bit j of qh[l].
  uint8_t* qh = sb + q5_k::kQh;
  uint8_t* ql = sb + q5_k::kQs;
  std::memset(qh, 0, 32);
  for (int j = 0; j < 8; ++j) {
    for (int l = 0; l < 32; ++l) {
      int v = L[32 * j + l];
      if (v > 15) {
        v -= 16;
        qh[l] |= static_cast<uint8_t>(1 << j);
      }
      uint8_t& byte = ql[32 * (j / 2) + l];
      byte = static_cast<uint8_t>(j % 2 ? byte | (v << 4) : v);
    }
  }
}

void DecodeQ5K(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const uint8_t* row = m.row(r);
  for (size_t b = 0; b < m.cols / kSuperBlock; ++b) {
    const uint8_t* sb = row + b * q5_k::kBytes;
    const float d = KQuantHalf(sb, q5_k::kD);
    const float min = KQuantHalf(sb, q5_k::kDmin);
    const uint8_t* qh = sb + q5_k::kQh;
    float* y = out + b * kSuperBlock;
    for (int j = 0; j < 8; ++j) {
      int sc, mn;
      Q4KScaleMin(sb + q5_k::kScales, j, &sc, &mn);
      const float d1 = d * sc, m1 = min * mn;
      const uint8_t* ql = sb + q5_k::kQs + 32 * (j / 2);
      const int shift = 4 * (j % 2);
      for (int l = 0; l < 32; ++l) {
        const int q = ((ql[l] >> shift) & 0xF) + (((qh[l] >> j) & 1) << 4);
        y[32 * j + l] = d1 * q - m1;
      }
    }
  }
}

void EncodeQ5K(const float* w, size_t stride, QuantizedMatrix::Data& d,
               size_t r0, size_t r1) {
  EncodeSuperBlocks<q5_k::kBytes>(w, stride, d, r0, r1, &EncodeQ5KBlock);
}

// ---- Q6_K

void EncodeQ6KBlock(const float* x, uint8_t* sb) {
  int8_t L[kN];
  float scales[16];
  float max_scale = 0, max_abs_scale = 0;
  for (int ib = 0; ib < 16; ++ib) {
    scales[ib] = MakeQxQuants(16, 32, x + 16 * ib, L + 16 * ib);
    const float abs_scale = std::fabs(scales[ib]);
    if (abs_scale > max_abs_scale) {
      max_abs_scale = abs_scale;
      max_scale = scales[ib];
    }
  }
  if (max_abs_scale < kGroupMaxEps) {
    std::memset(sb, 0, q6_k::kBytes);
    return;
  }
  const float iscale = -128.0f / max_scale;
  StoreHalf(sb, q6_k::kD, 1 / iscale);
  int8_t* sc = reinterpret_cast<int8_t*>(sb + q6_k::kScales);
  for (int ib = 0; ib < 16; ++ib)
    sc[ib] =
        static_cast<int8_t>(std::min(127, NearestInt(iscale * scales[ib])));
  const float d_all = KQuantHalf(sb, q6_k::kD);
  for (int j = 0; j < 16; ++j) {
    const float d = d_all * sc[j];
    if (!d) continue;
    for (int ii = 0; ii < 16; ++ii) {
      const int l = NearestInt(x[16 * j + ii] / d);
      L[16 * j + ii] = static_cast<int8_t>(std::max(-32, std::min(31, l)) + 32);
    }
  }
  // Half h: ql[64 h + l] = weights 128 h + l (low nibble), + 64 (high);
  // ql[64 h + 32 + l] = + 32, + 96; qh[32 h + l] their high 2 bits at 0,
  // 2, 4, 6 for + 0, + 32, + 64, + 96.
  uint8_t* ql = sb + q6_k::kQl;
  uint8_t* qh = sb + q6_k::kQh;
  for (int j = 0; j < kN; j += 128) {
    for (int l = 0; l < 32; ++l) {
      const int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64],
                q4 = L[j + l + 96];
      ql[j / 2 + l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
      ql[j / 2 + l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
      qh[j / 4 + l] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) |
                                           ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
  }
}

void DecodeQ6K(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const uint8_t* row = m.row(r);
  for (size_t b = 0; b < m.cols / kSuperBlock; ++b) {
    const uint8_t* sb = row + b * q6_k::kBytes;
    const float d = KQuantHalf(sb, q6_k::kD);
    const int8_t* sc = reinterpret_cast<const int8_t*>(sb + q6_k::kScales);
    float* y = out + b * kSuperBlock;
    for (int j = 0; j < 8; ++j) {
      uint8_t q[32];
      Q6KBlockCodes(sb, j, q);
      // Weights 32 j + 16 half + l, scale sc[2 j + half].
      for (int half = 0; half < 2; ++half) {
        const float dl = d * sc[2 * j + half];
        for (int l = 0; l < 16; ++l)
          y[32 * j + 16 * half + l] = dl * (q[16 * half + l] - 32);
      }
    }
  }
}

void EncodeQ6K(const float* w, size_t stride, QuantizedMatrix::Data& d,
               size_t r0, size_t r1) {
  EncodeSuperBlocks<q6_k::kBytes>(w, stride, d, r0, r1, &EncodeQ6KBlock);
}

}  // namespace

// The largest magnitude any K-quant holds is Q6_K's 65504 * 127 * 32 =
// 2.7e8 (f16 d, int8 scale, code -32); a weight beyond 1e9 could only make
// an f16 d overflow (which Quantize refuses after decoding), but before
// that its square and cube overflow the f32 sums of the scale searches, and
// a NaN search result would be clamped to a finite scale instead.
Status PrepareKQuant(const float* w, size_t stride, QuantizedMatrix::Data& d) {
  for (size_t r = 0; r < d.rows; ++r) {
    for (size_t c = 0; c < d.cols; ++c) {
      const float v = w[r * stride + c];
      if (std::fabs(v) > kKQuantMaxWeight) {
        return OutOfRange("weight " + std::to_string(v) + " at row " +
                          std::to_string(r) + ", column " + std::to_string(c) +
                          " is out of the format's range (|w| <= 1e9; its "
                          "f16 super-block scale holds far less)");
      }
    }
  }
  return Status::Ok();
}

const Codec kQ2_KCodec = {&SuperBlockBytes<q2_k::kBytes>,
                          0,
                          0,
                          &PrepareKQuant,
                          &EncodeQ2K,
                          &DecodeQ2K};
const Codec kQ3_KCodec = {&SuperBlockBytes<q3_k::kBytes>,
                          0,
                          0,
                          &PrepareKQuant,
                          &EncodeQ3K,
                          &DecodeQ3K};
const Codec kQ4_KCodec = {&SuperBlockBytes<q4_k::kBytes>,
                          0,
                          0,
                          &PrepareKQuant,
                          &EncodeQ4K,
                          &DecodeQ4K};
const Codec kQ5_KCodec = {&SuperBlockBytes<q5_k::kBytes>,
                          0,
                          0,
                          &PrepareKQuant,
                          &EncodeQ5K,
                          &DecodeQ5K};
const Codec kQ6_KCodec = {&SuperBlockBytes<q6_k::kBytes>,
                          0,
                          0,
                          &PrepareKQuant,
                          &EncodeQ6K,
                          &DecodeQ6K};

}  // namespace qins
