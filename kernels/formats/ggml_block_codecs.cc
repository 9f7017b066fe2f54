// q4_1, q5_0 and q5_1: ggml's block formats, byte for byte (ggml-common.h),
// so that a GGUF tensor of type Q4_1 (3), Q5_0 (6) or Q5_1 (7) is a row of
// these blocks as stored. 32 weights per block, blocks back to back:
//   q4_1 (20 bytes): f16 d, f16 m, 16 bytes qs;   value = d * q + m
//   q5_0 (22 bytes): f16 d, u32 qh, 16 bytes qs;  value = d * (q - 16)
//   q5_1 (24 bytes): f16 d, f16 m, u32 qh, qs;    value = d * q + m
// qs: the low nibble of byte j is bits 0..3 of weight j's code, the high
// nibble those of weight j + 16; qh (little endian): bit j is bit 4 of
// weight j's code.
//
// Decoding is gguf-py's dequantize (gguf/quants.py): d * q rounded, then + m
// rounded (two roundings, no FMA; the project builds with
// -ffp-contract=off), and (q - 16) as an integer times d.
// Encoding is ggml's reference quantizer (quantize_row_q4_1_ref,
// quantize_row_q5_0_ref, quantize_row_q5_1_ref), which gguf-py's quantize
// reproduces: tests/kernels/formats/ggml_block_codecs_test.cc checks both
// against gguf-py 0.19.0's bytes and floats. A row whose length is not a
// multiple of 32 gets a zero-padded last block, which takes part in the
// block's min, max and scale as in ggml on a zero-padded row.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/formats/block_rows.h"
#include "kernels/formats/codec.h"
#include "kernels/formats/half.h"

namespace qins {

namespace {

constexpr size_t kBlock = kWeightBlock;

// The code ggml and gguf-py store for v = x * id + 0.5 (or + 16.5): ggml's
// MIN(qmax, (int8_t)v), gguf-py's trunc(v).astype(uint8).clip(0, qmax).
// For the v a finite scale gives (0 <= v < qmax + 2) both are
// min(trunc(v), qmax). A scale below f32's normal range makes id = 1/d
// overflow and v non-finite or huge; the f16 d stored is then 0 and the code
// does not change the value, but the bytes do: here v converts as x86's
// cvttss2si does (NaN, Inf and |v| >= 2^31 give 0x80000000) and keeps its
// low byte, as gguf-py does on x86 (numpy's cast) and ggml's (int8_t) cast
// compiles there. (numpy on Arm saturates instead; docs/formats.md.)
uint8_t BlockCode(float v, int qmax) {
  const float t = std::trunc(v);
  uint8_t low = 0;  // NaN, Inf, out of int32's range: 0x80000000
  if (t > -2147483648.0f && t < 2147483648.0f) {
    low = static_cast<uint8_t>(static_cast<uint32_t>(static_cast<int64_t>(t)));
  }
  return low < qmax ? low : static_cast<uint8_t>(qmax);
}

void StoreF16(uint8_t* p, float f) {
  const uint16_t h = F32ToF16(f);
  std::memcpy(p, &h, 2);
}

float LoadF16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return F16ToF32(h);
}

void StoreLE32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// The low 4 bits of each code into qs (weight j and j + 16 share byte j),
// and for 5-bit codes bit 4 into qh.
void StoreCodes(const uint8_t q[kBlock], uint8_t* qs, uint8_t* qh) {
  uint32_t h = 0;
  for (size_t j = 0; j < kBlock / 2; ++j) {
    qs[j] = static_cast<uint8_t>((q[j] & 0xF) | (q[j + kBlock / 2] & 0xF) << 4);
  }
  for (size_t j = 0; j < kBlock; ++j)
    h |= static_cast<uint32_t>(q[j] >> 4 & 1) << j;
  if (qh != nullptr) StoreLE32(qh, h);
}

// Code of weight j (0..31) of a block: its nibble, plus bit 4 from qh.
uint32_t Code4(const uint8_t* qs, size_t j) {
  const uint8_t byte = qs[j % (kBlock / 2)];
  return j < kBlock / 2 ? (byte & 0xFu) : (byte >> 4);
}
uint32_t Code5(const uint8_t* qs, uint32_t qh, size_t j) {
  return Code4(qs, j) | (qh >> j & 1u) << 4;
}

// q4_1 and q5_1 (quantize_row_q4_1_ref / q5_1_ref): d = (max - min) / qmax,
// m = min, q = (x - min) * id + 0.5 truncated.
template <int kQMax>
void EncodeMinBlock(const float x[kBlock], uint8_t q[kBlock], float* d_out,
                    float* m_out) {
  float min = FLT_MAX, max = -FLT_MAX;
  for (size_t j = 0; j < kBlock; ++j) {
    if (x[j] < min) min = x[j];
    if (x[j] > max) max = x[j];
  }
  const float d = (max - min) / kQMax;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  for (size_t j = 0; j < kBlock; ++j) {
    const float v = (x[j] - min) * id;
    q[j] = BlockCode(v + 0.5f, kQMax);
  }
  *d_out = d;
  *m_out = min;
}

void EncodeQ4_1Block(const float x[kBlock], uint8_t* blk) {
  uint8_t q[kBlock];
  float d, m;
  EncodeMinBlock<15>(x, q, &d, &m);
  StoreF16(blk, d);
  StoreF16(blk + 2, m);
  StoreCodes(q, blk + 4, nullptr);
}

void EncodeQ5_1Block(const float x[kBlock], uint8_t* blk) {
  uint8_t q[kBlock];
  float d, m;
  EncodeMinBlock<31>(x, q, &d, &m);
  StoreF16(blk, d);
  StoreF16(blk + 2, m);
  StoreCodes(q, blk + 8, blk + 4);
}

// quantize_row_q5_0_ref: d = max / -16 with max the weight of largest
// magnitude (the first on ties), with its sign; q = x * id + 16.5
// truncated.
void EncodeQ5_0Block(const float x[kBlock], uint8_t* blk) {
  float amax = 0, max = 0;
  for (size_t j = 0; j < kBlock; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  const float d = max / -16;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  uint8_t q[kBlock];
  for (size_t j = 0; j < kBlock; ++j) {
    const float v = x[j] * id;
    q[j] = BlockCode(v + 16.5f, 31);
  }
  StoreF16(blk, d);
  StoreCodes(q, blk + 6, blk + 2);
}

template <size_t kBlockBytes>
size_t RowBytes(size_t cols, int) {
  return (cols + kBlock - 1) / kBlock * kBlockBytes;
}

void EncodeQ4_1(const float* w, size_t stride, QuantizedMatrix::Data& d,
                size_t r0, size_t r1) {
  EncodeBlockRows<kQ4_1BlockBytes>(w, stride, d, r0, r1, &EncodeQ4_1Block);
}
void EncodeQ5_0(const float* w, size_t stride, QuantizedMatrix::Data& d,
                size_t r0, size_t r1) {
  EncodeBlockRows<kQ5_0BlockBytes>(w, stride, d, r0, r1, &EncodeQ5_0Block);
}
void EncodeQ5_1(const float* w, size_t stride, QuantizedMatrix::Data& d,
                size_t r0, size_t r1) {
  EncodeBlockRows<kQ5_1BlockBytes>(w, stride, d, r0, r1, &EncodeQ5_1Block);
}

// Each product and sum is a separate statement: one rounding each, as
// gguf-py's (d * qs) + m.
void DecodeQ4_1(const QuantizedMatrix::Data& d, size_t r, float* out) {
  const uint8_t* row = d.row(r);
  for (size_t c = 0; c < d.cols; ++c) {
    const uint8_t* blk = row + c / kBlock * kQ4_1BlockBytes;
    const float scaled =
        LoadF16(blk) * static_cast<float>(Code4(blk + 4, c % kBlock));
    out[c] = scaled + LoadF16(blk + 2);
  }
}

void DecodeQ5_0(const QuantizedMatrix::Data& d, size_t r, float* out) {
  const uint8_t* row = d.row(r);
  for (size_t c = 0; c < d.cols; ++c) {
    const uint8_t* blk = row + c / kBlock * kQ5_0BlockBytes;
    const int q =
        static_cast<int>(Code5(blk + 6, LoadLE32(blk + 2), c % kBlock));
    out[c] = LoadF16(blk) * static_cast<float>(q - 16);
  }
}

void DecodeQ5_1(const QuantizedMatrix::Data& d, size_t r, float* out) {
  const uint8_t* row = d.row(r);
  for (size_t c = 0; c < d.cols; ++c) {
    const uint8_t* blk = row + c / kBlock * kQ5_1BlockBytes;
    const float scaled =
        LoadF16(blk) *
        static_cast<float>(Code5(blk + 8, LoadLE32(blk + 4), c % kBlock));
    out[c] = scaled + LoadF16(blk + 2);
  }
}

}  // namespace

const Codec kQ4_1Codec = {
    &RowBytes<kQ4_1BlockBytes>, 0, 0, nullptr, &EncodeQ4_1, &DecodeQ4_1};
const Codec kQ5_0Codec = {
    &RowBytes<kQ5_0BlockBytes>, 0, 0, nullptr, &EncodeQ5_0, &DecodeQ5_0};
const Codec kQ5_1Codec = {
    &RowBytes<kQ5_1BlockBytes>, 0, 0, nullptr, &EncodeQ5_1, &DecodeQ5_1};

}  // namespace qins
