// q4_0 and iq4_nl with the llama.cpp block layout: 32 weights per block, an
// f16 scale d, then 16 bytes whose low nibbles hold weights 0..15 and high
// nibbles weights 16..31 (18 bytes per block).
//   q4_0:   value = (q - 8) * d, d = max / -8 where max is the weight of
//           largest magnitude, with its sign (llama.cpp quantize_row_q4_0).
//   iq4_nl: value = d * kIQ4NLValues[q]. The encoder is ours: llama.cpp's
//           scale search (15 trial scales around max / -127, each refined by
//           least squares) with unit weights, i.e. it minimises the plain
//           squared error that qins-codec-stats reports.
// A row whose length is not a multiple of 32 gets a zero-padded last block.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/formats/block_rows.h"
#include "kernels/formats/codec.h"
#include "kernels/formats/half.h"
#include "kernels/formats/iq4_nl_values.h"

namespace qins {

namespace {

constexpr size_t kBlock = kWeightBlock;
constexpr size_t kBlockBytes = kNibbleBlockBytes;

size_t Q4Bytes(size_t cols, int) {
  return (cols + kBlock - 1) / kBlock * kBlockBytes;
}

// The weight of largest magnitude, with its sign (the first one on ties).
float SignedMax(const float x[kBlock]) {
  float amax = 0, max = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    if (amax < std::fabs(x[i])) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  return max;
}

void StoreBlock(uint8_t* blk, float d, const uint8_t q[kBlock]) {
  const uint16_t h = F32ToF16(d);
  std::memcpy(blk, &h, 2);
  for (size_t j = 0; j < kBlock / 2; ++j) {
    blk[2 + j] = static_cast<uint8_t>(q[j] | (q[j + kBlock / 2] << 4));
  }
}

uint8_t Nibble(const uint8_t* blk, size_t i) {
  const uint8_t byte = blk[2 + i % (kBlock / 2)];
  return i < kBlock / 2 ? (byte & 0xF) : (byte >> 4);
}

float BlockScale(const uint8_t* blk) {
  uint16_t h;
  std::memcpy(&h, blk, 2);
  return F16ToF32(h);
}

void EncodeQ4_0Block(const float x[kBlock], uint8_t* blk) {
  const float scale = SignedMax(x) / -8.0f;
  const float inv = scale != 0 ? 1.0f / scale : 0.0f;
  uint8_t q[kBlock];
  for (size_t j = 0; j < kBlock; ++j) {
    // (int8_t)(x * id + 8.5f) in llama.cpp: the argument is >= 0.5 for a
    // normal scale. Clamped in float first: with a subnormal scale, 1 / scale
    // is Inf and the argument +-Inf or NaN (found by the quantize fuzzer).
    float v = x[j] * inv + 8.5f;
    v = v >= 0.0f ? std::min(v, 15.0f) : 0.0f;  // NaN -> 0
    q[j] = static_cast<uint8_t>(static_cast<int>(v));
  }
  StoreBlock(blk, scale, q);
}

void EncodeQ4_0(const float* w, size_t stride, QuantizedMatrix::Data& d,
                size_t r0, size_t r1) {
  EncodeBlockRows<kBlockBytes>(w, stride, d, r0, r1, &EncodeQ4_0Block);
}

void DecodeQ4_0(const QuantizedMatrix::Data& d, size_t r, float* out) {
  const uint8_t* row = d.row(r);
  for (size_t c = 0; c < d.cols; ++c) {
    const uint8_t* blk = row + c / kBlock * kBlockBytes;
    out[c] = static_cast<float>(static_cast<int>(Nibble(blk, c % kBlock)) - 8) *
             BlockScale(blk);
  }
}

uint8_t NearestIQ4(float v) {
  // kIQ4NLValues is sorted: binary search the midpoints.
  int lo = 0, hi = 15;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (v < kIQ4NLValues[mid])
      hi = mid;
    else
      lo = mid;
  }
  return static_cast<uint8_t>(v - kIQ4NLValues[lo] < kIQ4NLValues[hi] - v ? lo
                                                                          : hi);
}

void EncodeIQ4NLBlock(const float x[kBlock], uint8_t* blk) {
  const float max = SignedMax(x);
  uint8_t q[kBlock] = {};
  float best_d = 0;
  if (max != 0) {
    double best = -1;
    for (int itry = -7; itry <= 7; ++itry) {
      const float id = (itry + kIQ4NLValues[0]) / max;
      uint8_t l[kBlock];
      double sumqx = 0, sumq2 = 0;
      for (size_t j = 0; j < kBlock; ++j) {
        l[j] = NearestIQ4(id * x[j]);
        const double v = kIQ4NLValues[l[j]];
        sumqx += v * x[j];
        sumq2 += v * v;
      }
      // Least-squares scale for these codes; its error is
      // sum x^2 - sumqx^2 / sumq2, so maximise sumqx^2 / sumq2.
      if (sumq2 > 0 && sumqx * sumqx / sumq2 > best) {
        best = sumqx * sumqx / sumq2;
        best_d = static_cast<float>(sumqx / sumq2);
        std::memcpy(q, l, kBlock);
      }
    }
  }
  StoreBlock(blk, best_d, q);
}

void EncodeIQ4NL(const float* w, size_t stride, QuantizedMatrix::Data& d,
                 size_t r0, size_t r1) {
  EncodeBlockRows<kBlockBytes>(w, stride, d, r0, r1, &EncodeIQ4NLBlock);
}

void DecodeIQ4NL(const QuantizedMatrix::Data& d, size_t r, float* out) {
  const uint8_t* row = d.row(r);
  for (size_t c = 0; c < d.cols; ++c) {
    const uint8_t* blk = row + c / kBlock * kBlockBytes;
    out[c] = BlockScale(blk) *
             static_cast<float>(kIQ4NLValues[Nibble(blk, c % kBlock)]);
  }
}

}  // namespace

const Codec kQ4_0Codec = {&Q4Bytes, 0, 0, nullptr, &EncodeQ4_0, &DecodeQ4_0};
const Codec kIQ4NLCodec = {&Q4Bytes, 0, 0, nullptr, &EncodeIQ4NL, &DecodeIQ4NL};

}  // namespace qins
