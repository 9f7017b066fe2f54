// IQ4_XS: ggml's block_iq4_xs (kquant_blocks.h): per 256 weights an f16 d
// and eight 6-bit block scales (offset 32), and iq4_nl's 4-bit codes into
// kIQ4NLValues, 32 weights per block in iq4_nl's nibble order.
//
// decode_row is ggml's dequantize_row_iq4_xs: (d * (ls - 32)) * value.
// encode_rows is ggml's reference quantizer quantize_row_iq4_xs_ref
// (quantize_row_iq4_nl_impl without an importance matrix: weights x^2,
// per block of 32 the best of 16 trial scales refined by weighted least
// squares, then 6-bit block scales of d = -max_scale / 32), written again
// here with its float operations in its order. Deterministic; see
// kquant_codecs.cc for when a ggml build could round differently.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/formats/codec.h"
#include "kernels/formats/half.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/kquant_blocks.h"

namespace qins {

namespace {

constexpr int kBlock = 32;
constexpr int kBlocks = static_cast<int>(kSuperBlock) / kBlock;
constexpr float kGroupMaxEps = 1e-15f;  // ggml's GROUP_MAX_EPS

// ggml's nearest_int exactly (see kquant_codecs.cc).
int NearestInt(float f) {
  const float v = f + 12582912.0f;
  int32_t i;
  std::memcpy(&i, &v, 4);
  return (i & 0x007FFFFF) - 0x00400000;
}

// ggml's best_index_int8 over kIQ4NLValues: the nearest entry, the lower
// one on a tie.
int BestIndex(float x) {
  const int8_t* v = kIQ4NLValues;
  if (x <= v[0]) return 0;
  if (x >= v[15]) return 15;
  int ml = 0, mu = 15;
  while (mu - ml > 1) {
    const int mav = (ml + mu) / 2;
    if (x < v[mav])
      mu = mav;
    else
      ml = mav;
  }
  return x - v[mu - 1] < v[mu] - x ? mu - 1 : mu;
}

size_t IQ4XSBytes(size_t cols, int) {
  return (cols + kSuperBlock - 1) / kSuperBlock * iq4_xs::kBytes;
}

void EncodeIQ4XSBlock(const float* x, uint8_t* sb) {
  constexpr int kNtry = 7;
  const int8_t* values = kIQ4NLValues;
  uint8_t L[kSuperBlock];
  float scales[kBlocks], weight[kBlock];
  float max_scale = 0, amax_scale = 0;
  for (int ib = 0; ib < kBlocks; ++ib) {
    const float* xb = x + ib * kBlock;
    uint8_t* Lb = L + ib * kBlock;
    for (int j = 0; j < kBlock; ++j) weight[j] = xb[j] * xb[j];
    float amax = 0, max = 0;
    for (int j = 0; j < kBlock; ++j) {
      const float ax = std::fabs(xb[j]);
      if (ax > amax) {
        amax = ax;
        max = xb[j];
      }
    }
    if (amax < kGroupMaxEps) {
      scales[ib] = 0;
      continue;
    }
    float d = -max / values[0];
    float id = 1 / d;
    float sumqx = 0, sumq2 = 0;
    for (int j = 0; j < kBlock; ++j) {
      const int l = BestIndex(id * xb[j]);
      Lb[j] = static_cast<uint8_t>(l);
      const float q = values[l];
      const float w = weight[j];
      sumqx += w * q * xb[j];
      sumq2 += w * q * q;
    }
    d = sumq2 > 0 ? sumqx / sumq2 : 0.0f;
    float best = d * sumqx;
    for (int itry = -kNtry; itry <= kNtry; ++itry) {
      id = (itry + values[0]) / max;
      sumqx = sumq2 = 0;
      for (int j = 0; j < kBlock; ++j) {
        const float q = values[BestIndex(id * xb[j])];
        const float w = weight[j];
        sumqx += w * q * xb[j];
        sumq2 += w * q * q;
      }
      if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
        d = sumqx / sumq2;
        best = d * sumqx;
      }
    }
    scales[ib] = d;
    if (std::fabs(d) > amax_scale) {
      amax_scale = std::fabs(d);
      max_scale = d;
    }
  }
  // The block scales in 6 bits of d = -max_scale / 32 (an all-zero
  // super-block stores d = -0, as ggml does). The codes are chosen again
  // for each block's quantized scale, computed from the f32 d (not its f16).
  const float d = -max_scale / 32;
  const uint16_t dh = F32ToF16(d);
  std::memcpy(sb + iq4_xs::kD, &dh, 2);
  const float id = d ? 1 / d : 0.0f;
  uint16_t scales_h = 0;
  uint8_t* scales_l = sb + iq4_xs::kScalesL;
  for (int ib = 0; ib < kBlocks; ++ib) {
    int l = NearestInt(id * scales[ib]);
    l = std::max(-32, std::min(31, l));
    const float dl = d * l;
    const float idl = dl ? 1 / dl : 0.0f;
    for (int j = 0; j < kBlock; ++j) {
      L[ib * kBlock + j] =
          static_cast<uint8_t>(BestIndex(idl * x[ib * kBlock + j]));
    }
    l += 32;
    if (ib % 2 == 0) {
      scales_l[ib / 2] = static_cast<uint8_t>(l & 0xF);
    } else {
      scales_l[ib / 2] |= static_cast<uint8_t>((l & 0xF) << 4);
    }
    scales_h |= static_cast<uint16_t>((l >> 4) << (2 * ib));
  }
  std::memcpy(sb + iq4_xs::kScalesH, &scales_h, 2);
  uint8_t* q4 = sb + iq4_xs::kQs;
  for (int i = 0; i < kBlocks; ++i) {
    for (int j = 0; j < 16; ++j) {
      q4[16 * i + j] =
          static_cast<uint8_t>(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
    }
  }
}

void EncodeIQ4XS(const float* w, size_t stride, QuantizedMatrix::Data& d,
                 size_t r0, size_t r1) {
  for (size_t r = r0; r < r1; ++r) {
    for (size_t b = 0; b < d.cols / kSuperBlock; ++b) {
      EncodeIQ4XSBlock(w + r * stride + b * kSuperBlock,
                       d.mutable_row(r) + b * iq4_xs::kBytes);
    }
  }
}

void DecodeIQ4XS(const QuantizedMatrix::Data& m, size_t r, float* out) {
  const uint8_t* row = m.row(r);
  for (size_t b = 0; b < m.cols / kSuperBlock; ++b) {
    const uint8_t* sb = row + b * iq4_xs::kBytes;
    const float d = KQuantHalf(sb, iq4_xs::kD);
    float* y = out + b * kSuperBlock;
    for (int ib = 0; ib < kBlocks; ++ib) {
      const float dl = d * IQ4XSScale(sb, ib);
      const uint8_t* qs = sb + iq4_xs::kQs + 16 * ib;
      for (int j = 0; j < 16; ++j) {
        y[32 * ib + j] = dl * kIQ4NLValues[qs[j] & 0xF];
        y[32 * ib + j + 16] = dl * kIQ4NLValues[qs[j] >> 4];
      }
    }
  }
}

}  // namespace

const Codec kIQ4XSCodec = {&IQ4XSBytes,  0,           0, &PrepareKQuant,
                           &EncodeIQ4XS, &DecodeIQ4XS};

}  // namespace qins
