// qins8-seed and qins8-seed-row: the design documents' convert_to_qins
// (001_6b67af012e959580.txt, chapter 3), in float32 arithmetic as PyTorch
// evaluates it on an FP32 tensor:
//   sign   = sign(w) as int8 (-1, 0, +1), one byte per weight
//   a      = max(|w|, 1e-8f); l = ln(a)
//   lo, hi = min and max of l over the tensor (qins8-seed) or row (-row)
//   n      = (l - lo) / ((hi - lo) + 1e-8f)
//   stored = clamp(round_half_even(255 - n * 254), 1, 255) as uint8
// Decoder (not in the documents; derived): w = sign * exp(lo + (255 -
// stored) / 254 * (hi - lo)). Row payload: cols stored bytes, then cols sign
// bytes (2 bytes per weight). ln and exp are the C library's logf/expf; the
// documents' torch.log may differ from logf by an ulp on some inputs.
#include <cmath>
#include <limits>
#include <string>

#include "kernels/formats/codec.h"
#include "kernels/formats/qins8_seed_code.h"

namespace qins {
namespace {

size_t SeedBytes(size_t cols, int) { return 2 * cols; }

constexpr float kClamp = 1e-8f;

float LogMag(float w) { return std::log(std::max(std::fabs(w), kClamp)); }

void EncodeRow(const float* x, size_t cols, float lo, float hi, uint8_t* out) {
  const float den = (hi - lo) + 1e-8f;
  for (size_t c = 0; c < cols; ++c) {
    const float n = (LogMag(x[c]) - lo) / den;
    const float s = 255.0f - n * 254.0f;
    const float q = std::min(255.0f, std::max(1.0f, std::nearbyint(s)));
    out[c] = static_cast<uint8_t>(q);
    out[cols + c] =
        static_cast<uint8_t>(static_cast<int8_t>((x[c] > 0) - (x[c] < 0)));
  }
}

void DecodeRow(const uint8_t* in, size_t cols, float lo, float hi, float* out) {
  const float range = hi - lo;
  for (size_t c = 0; c < cols; ++c) {
    const float mag = qins8_seed::Magnitude(in[c], lo, range);
    out[c] = static_cast<float>(static_cast<int8_t>(in[cols + c])) * mag;
  }
}

void RowLogRange(const float* x, size_t cols, float* lo, float* hi) {
  for (size_t c = 0; c < cols; ++c) {
    const float l = LogMag(x[c]);
    *lo = std::min(*lo, l);
    *hi = std::max(*hi, l);
  }
}

Status TensorLogRange(const float* w, size_t stride, QuantizedMatrix::Data& d) {
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (size_t r = 0; r < d.rows; ++r)
    RowLogRange(w + r * stride, d.cols, &lo, &hi);
  d.tensor_params = {lo, hi};
  return Status::Ok();
}

void EncodeTensorRows(const float* w, size_t stride, QuantizedMatrix::Data& d,
                      size_t r0, size_t r1) {
  for (size_t r = r0; r < r1; ++r) {
    EncodeRow(w + r * stride, d.cols, d.tensor_params[0], d.tensor_params[1],
              d.mutable_row(r));
  }
}

void DecodeTensorRow(const QuantizedMatrix::Data& d, size_t r, float* out) {
  DecodeRow(d.row(r), d.cols, d.tensor_params[0], d.tensor_params[1], out);
}

void EncodePerRow(const float* w, size_t stride, QuantizedMatrix::Data& d,
                  size_t r0, size_t r1) {
  for (size_t r = r0; r < r1; ++r) {
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    RowLogRange(w + r * stride, d.cols, &lo, &hi);
    float* p = d.mutable_row_params(r);
    p[0] = lo;
    p[1] = hi;
    EncodeRow(w + r * stride, d.cols, lo, hi, d.mutable_row(r));
  }
}

void DecodePerRow(const QuantizedMatrix::Data& d, size_t r, float* out) {
  const float* p = d.row_params_of(r);
  DecodeRow(d.row(r), d.cols, p[0], p[1], out);
}

// A row is cols codes (1..255) and then cols sign bytes (-1, 0, +1).
std::string CheckSeedRow(const QuantizedMatrix::Data& d, size_t r) {
  const uint8_t* row = d.row(r);
  if (std::string why = CheckSignBytes(row + d.cols, d.cols, r); !why.empty())
    return why;
  for (size_t c = 0; c < d.cols; ++c) {
    if (row[c] == 0) {
      return "code 0 at row " + std::to_string(r) + ", column " +
             std::to_string(c) + " (codes are 1..255)";
    }
  }
  return {};
}

}  // namespace

const Codec kQins8SeedCodec = {
    &SeedBytes,   0, 2, &TensorLogRange, &EncodeTensorRows, &DecodeTensorRow,
    &CheckSeedRow};
const Codec kQins8SeedRowCodec = {
    &SeedBytes, 2, 0, nullptr, &EncodePerRow, &DecodePerRow, &CheckSeedRow};

}  // namespace qins
