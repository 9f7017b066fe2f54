// f32, bf16 and f16: one self-contained code per weight, no parameters.
#include <cmath>
#include <cstring>
#include <string>

#include "kernels/formats/codec.h"
#include "kernels/formats/half.h"

namespace qins {
namespace {

size_t Bytes4(size_t cols, int) { return cols * 4; }
size_t Bytes2(size_t cols, int) { return cols * 2; }

void EncodeF32(const float* w, size_t stride, QuantizedMatrix::Data& d,
               size_t r0, size_t r1) {
  for (size_t r = r0; r < r1; ++r) {
    std::memcpy(d.mutable_row(r), w + r * stride, d.cols * 4);
  }
}
void DecodeF32(const QuantizedMatrix::Data& d, size_t r, float* out) {
  std::memcpy(out, d.row(r), d.cols * 4);
}

// bf16 and f16: one 16-bit code per weight through a scalar converter.
template <uint16_t (*kEncode)(float)>
void EncodeHalf(const float* w, size_t stride, QuantizedMatrix::Data& d,
                size_t r0, size_t r1) {
  for (size_t r = r0; r < r1; ++r) {
    auto* codes = reinterpret_cast<uint16_t*>(d.mutable_row(r));
    for (size_t c = 0; c < d.cols; ++c) codes[c] = kEncode(w[r * stride + c]);
  }
}

template <float (*kDecode)(uint16_t)>
void DecodeHalf(const QuantizedMatrix::Data& d, size_t r, float* out) {
  const auto* codes = reinterpret_cast<const uint16_t*>(d.row(r));
  for (size_t c = 0; c < d.cols; ++c) out[c] = kDecode(codes[c]);
}

Status CheckF16Range(const float* w, size_t stride, QuantizedMatrix::Data& d) {
  for (size_t r = 0; r < d.rows; ++r) {
    for (size_t c = 0; c < d.cols; ++c) {
      const float v = w[r * stride + c];
      if (std::fabs(v) >= kF16Overflow) {
        return OutOfRange("f16 cannot represent " + std::to_string(v) +
                          " at row " + std::to_string(r) + ", column " +
                          std::to_string(c) + " (largest finite f16: 65504)");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

const Codec kF32Codec = {&Bytes4, 0, 0, nullptr, &EncodeF32, &DecodeF32};
const Codec kBF16Codec = {
    &Bytes2, 0, 0, nullptr, &EncodeHalf<F32ToBF16>, &DecodeHalf<BF16ToF32>};
const Codec kF16Codec = {&Bytes2,
                         0,
                         0,
                         &CheckF16Range,
                         &EncodeHalf<F32ToF16>,
                         &DecodeHalf<F16ToF32>};

}  // namespace qins
