// q8_0 (llama.cpp Q8_0: blocks of 32 int8 with an f16 scale, 34 bytes per
// block, d = amax / 127, q = round(x / d)) and i8row (int8 with one f32
// scale per row, the same rule over the whole row).
//
// A row whose length is not a multiple of 32 gets a last q8_0 block padded
// with zeros (counted in its bytes).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/formats/block_rows.h"
#include "kernels/formats/codec.h"
#include "kernels/formats/half.h"

namespace qins {
namespace {

constexpr size_t kBlock = kWeightBlock;

size_t Q8_0Bytes(size_t cols, int) {
  return (cols + kBlock - 1) / kBlock * kQ8_0BlockBytes;
}

// round(v) as int8, for v = x / scale. |v| <= 127 whenever the scale is
// normal; a subnormal amax makes 1 / scale infinite, and then v is +-Inf or
// NaN (0 * Inf), which a plain cast would turn into undefined behaviour
// (found by tests/fuzz/quantize_fuzzer.cc). Such blocks decode to 0 anyway:
// their f16 (or f32) scale is 0 or subnormal.
inline int8_t RoundToInt8(float v) {
  if (!(v >= -127.0f)) v = std::isnan(v) ? 0.0f : -127.0f;
  if (v > 127.0f) v = 127.0f;
  return static_cast<int8_t>(std::round(v));
}

// llama.cpp quantize_row_q8_0_ref: the f32 scale rounds the codes; the f16
// copy of it decodes them.
void EncodeQ8_0Block(const float x[kBlock], uint8_t* blk) {
  float amax = 0;
  for (size_t i = 0; i < kBlock; ++i) amax = std::max(amax, std::fabs(x[i]));
  const float scale = amax / 127.0f;
  const float inv = scale != 0 ? 1.0f / scale : 0.0f;
  const uint16_t h = F32ToF16(scale);
  std::memcpy(blk, &h, 2);
  for (size_t i = 0; i < kBlock; ++i) {
    blk[2 + i] = static_cast<uint8_t>(RoundToInt8(x[i] * inv));
  }
}

void EncodeQ8_0(const float* w, size_t stride, QuantizedMatrix::Data& d,
                size_t r0, size_t r1) {
  EncodeBlockRows<kQ8_0BlockBytes>(w, stride, d, r0, r1, &EncodeQ8_0Block);
}

void DecodeQ8_0(const QuantizedMatrix::Data& d, size_t r, float* out) {
  const uint8_t* row = d.row(r);
  for (size_t c = 0; c < d.cols; ++c) {
    const uint8_t* blk = row + c / kBlock * kQ8_0BlockBytes;
    uint16_t h;
    std::memcpy(&h, blk, 2);
    out[c] = static_cast<float>(static_cast<int8_t>(blk[2 + c % kBlock])) *
             F16ToF32(h);
  }
}

size_t I8RowBytes(size_t cols, int) { return cols; }

void EncodeI8Row(const float* w, size_t stride, QuantizedMatrix::Data& d,
                 size_t r0, size_t r1) {
  for (size_t r = r0; r < r1; ++r) {
    const float* x = w + r * stride;
    float amax = 0;
    for (size_t c = 0; c < d.cols; ++c) amax = std::max(amax, std::fabs(x[c]));
    const float scale = amax / 127.0f;
    const float inv = scale != 0 ? 1.0f / scale : 0.0f;
    d.mutable_row_params(r)[0] = scale;
    auto* q = reinterpret_cast<int8_t*>(d.mutable_row(r));
    for (size_t c = 0; c < d.cols; ++c) {
      q[c] = RoundToInt8(x[c] * inv);
    }
  }
}

void DecodeI8Row(const QuantizedMatrix::Data& d, size_t r, float* out) {
  const float scale = d.row_params_of(r)[0];
  const auto* q = reinterpret_cast<const int8_t*>(d.row(r));
  for (size_t c = 0; c < d.cols; ++c) out[c] = static_cast<float>(q[c]) * scale;
}

}  // namespace

const Codec kQ8_0Codec = {&Q8_0Bytes, 0, 0, nullptr, &EncodeQ8_0, &DecodeQ8_0};
const Codec kI8RowCodec = {&I8RowBytes,  1,           0, nullptr,
                           &EncodeI8Row, &DecodeI8Row};

}  // namespace qins
