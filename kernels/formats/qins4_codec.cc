// qins4: 4-bit QINS. Per block of 32 weights, 18 bytes (as q4_0 / iq4_nl):
//   bytes 0-1  little-endian uint16: scale12 << 4 | table (4 bits)
//              scale12 = an unsigned half-float with 5 exponent and 7
//              mantissa bits: f16 bits = scale12 << 3
//   bytes 2-17 nibbles, low nibble of byte j = weight j, high = weight j+16;
//              nibble = sign << 3 | m, m = 0 is exact zero
//   weight     = (m ? kQins4Tables[table][m - 1] : 0) * scale, negated if sign
// The 16 tables of 7 magnitudes (largest 1) were learned by Lloyd iterations
// (tools/train_qins4_tables.py, blocks of N(0,1), Laplace and Student-t(5));
// they run from nearly uniform to nearly logarithmic, and each block picks
// the table and scale that minimise its squared error. Decoding is a 16-entry
// table per block: in registers on SIMD targets.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "kernels/formats/block_rows.h"
#include "kernels/formats/codec.h"
#include "kernels/formats/half.h"
#include "kernels/formats/qins4_tables.h"

namespace qins {
namespace {

constexpr size_t kBlock = kWeightBlock;
constexpr size_t kBlockBytes = kNibbleBlockBytes;

size_t Qins4Bytes(size_t cols, int) {
  return (cols + kBlock - 1) / kBlock * kBlockBytes;
}

// Rounds a positive scale to the 12-bit header format (nearest even) and
// returns the header bits; the decoded scale goes to *decoded.
uint16_t EncodeScale(float s, float* decoded) {
  uint32_t h = F32ToF16(std::min(s, 65504.0f));  // sign bit 0
  // Drop the 3 low mantissa bits, round to nearest even.
  const uint32_t rest = h & 7u;
  h >>= 3;
  if (rest > 4 || (rest == 4 && (h & 1u))) ++h;
  if (h > 0xFFFu) h = 0xFFFu;  // largest encodable
  *decoded = F16ToF32(static_cast<uint16_t>(h << 3));
  return static_cast<uint16_t>(h);
}

// Codes x with (t, s) into m[]; returns the squared error. m[i] is the
// nearest magnitude index 0..7 of |x[i]| / s in table t (0: exact zero; ties
// to the smaller index). The search runs over m for all 32 weights at once
// (the compiler vectorizes the inner loops: 7 x (sub, abs, compare, 2
// selects) per 16 weights on AVX-512), the error sums in double in weight
// order. EncodeBlock calls it 320 times per block, so it is the encoder's
// whole cost.
double Assign(const float* x, const float* t, float s, uint8_t* m) {
  const float inv = 1.0f / s;
  float a[kBlock], best_d[kBlock];
  int32_t best[kBlock];
  for (size_t i = 0; i < kBlock; ++i) {
    a[i] = std::fabs(x[i]) * inv;
    best_d[i] = a[i];  // distance to 0
    best[i] = 0;
  }
  for (int32_t k = 1; k <= 7; ++k) {
    const float tk = t[k - 1];
    for (size_t i = 0; i < kBlock; ++i) {
      const float d = std::fabs(a[i] - tk);
      const bool closer = d < best_d[i];
      best_d[i] = closer ? d : best_d[i];
      best[i] = closer ? k : best[i];
    }
  }
  const float tq[8] = {0.0f, t[0], t[1], t[2], t[3], t[4], t[5], t[6]};
  double err = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    m[i] = static_cast<uint8_t>(best[i]);
    const float v = tq[best[i]] * s;
    const double e = static_cast<double>(std::fabs(x[i])) - v;
    err += e * e;
  }
  return err;
}

void EncodeBlock(const float x[kBlock], uint8_t* blk) {
  float amax = 0;
  for (size_t i = 0; i < kBlock; ++i) amax = std::max(amax, std::fabs(x[i]));
  std::memset(blk, 0, kBlockBytes);
  if (amax == 0) return;
  double best = -1;
  uint16_t best_header = 0;
  uint8_t best_m[kBlock] = {};
  for (int sel = 0; sel < 16; ++sel) {
    const float* t = kQins4Tables[sel];
    for (int k = 0; k < 10; ++k) {
      const float s0 = amax * (0.5f + 0.055f * k);
      uint8_t m[kBlock];
      Assign(x, t, s0, m);
      // Least-squares scale for these codes, rounded to the header format,
      // then the codes again for the rounded scale.
      double sqx = 0, sq2 = 0;
      for (size_t i = 0; i < kBlock; ++i) {
        const double q = m[i] ? t[m[i] - 1] : 0.0;
        sqx += q * std::fabs(x[i]);
        sq2 += q * q;
      }
      const float ls = sq2 > 0 ? static_cast<float>(sqx / sq2) : s0;
      float s;
      const uint16_t scale12 = EncodeScale(ls > 0 ? ls : s0, &s);
      if (s <= 0) continue;
      const double err = Assign(x, t, s, m);
      if (best < 0 || err < best) {
        best = err;
        best_header = static_cast<uint16_t>(scale12 << 4 | sel);
        std::memcpy(best_m, m, kBlock);
      }
    }
  }
  std::memcpy(blk, &best_header, 2);
  for (size_t j = 0; j < kBlock / 2; ++j) {
    auto nib = [&](size_t i) {
      return static_cast<uint8_t>((best_m[i] && std::signbit(x[i]) ? 8 : 0) |
                                  best_m[i]);
    };
    blk[2 + j] = static_cast<uint8_t>(nib(j) | nib(j + kBlock / 2) << 4);
  }
}

void EncodeQins4(const float* w, size_t stride, QuantizedMatrix::Data& d,
                 size_t r0, size_t r1) {
  EncodeBlockRows<kBlockBytes>(w, stride, d, r0, r1, &EncodeBlock);
}

void DecodeQins4(const QuantizedMatrix::Data& d, size_t r, float* out) {
  const uint8_t* row = d.row(r);
  for (size_t c = 0; c < d.cols; ++c) {
    const uint8_t* blk = row + c / kBlock * kBlockBytes;
    float table16[16];
    Qins4BlockTable(blk, table16);
    const size_t i = c % kBlock;
    const uint8_t byte = blk[2 + i % (kBlock / 2)];
    out[c] = table16[i < kBlock / 2 ? (byte & 0xF) : (byte >> 4)];
  }
}

// The largest magnitude a block can hold: the largest 12-bit scale (f16 bits
// 0xF7F << 3 = 65280) times the tables' largest entry (1). Larger weights
// are refused rather than clamped.
constexpr float kQins4Max = 65280.0f;

Status CheckQins4Range(const float* w, size_t stride,
                       QuantizedMatrix::Data& d) {
  for (size_t r = 0; r < d.rows; ++r) {
    for (size_t c = 0; c < d.cols; ++c) {
      const float v = w[r * stride + c];
      if (std::fabs(v) > kQins4Max) {
        return OutOfRange("qins4 cannot represent " + std::to_string(v) +
                          " at row " + std::to_string(r) + ", column " +
                          std::to_string(c) + " (largest magnitude: 65280)");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

const Codec kQins4Codec = {&Qins4Bytes,  0,           0, &CheckQins4Range,
                           &EncodeQins4, &DecodeQins4};

}  // namespace qins
