// fpins<L>-seed and fpins<L>-nearest as matrix formats, over the scalar codec
// in kernels/fpins/ (docs/fpins.md). Row payload, planar so that a SIMD
// decoder loads one vector per plane: cols sign bytes (int8 -1/0/+1), then
// L+1 planes of cols level bytes (plane i holds level i of every weight).
// L + 2 bytes per weight.
#include <cmath>
#include <cstring>
#include <string>

#include "kernels/formats/codec.h"
#include "kernels/fpins/fpins_codec.h"

namespace qins {
namespace {

size_t FpinsBytes(size_t cols, int level) {
  return cols * static_cast<size_t>(fpins::BytesPerWeight(level));
}

// Every magnitude must be <= 256 (all levels 1, docs/fpins.md): a larger
// weight used to be stored as +-256 with an OK status. Refused instead, as
// every other format refuses what it cannot represent (docs/hardening.md).
Status CheckRange(const float* w, size_t stride, QuantizedMatrix::Data& d) {
  const double max = fpins::MaxMagnitude(d.format.level);
  for (size_t r = 0; r < d.rows; ++r) {
    for (size_t c = 0; c < d.cols; ++c) {
      const float v = w[r * stride + c];
      if (std::fabs(v) > max) {
        return OutOfRange("weight " + std::to_string(v) + " at row " +
                          std::to_string(r) + ", column " + std::to_string(c) +
                          " is out of the format's range: FPINS magnitudes "
                          "are at most 256 (docs/fpins.md)");
      }
    }
  }
  return Status::Ok();
}

template <bool kNearest>
void EncodeRows(const float* w, size_t stride, QuantizedMatrix::Data& d,
                size_t r0, size_t r1) {
  const int depth = d.format.level;
  for (size_t r = r0; r < r1; ++r) {
    uint8_t* row = d.mutable_row(r);
    for (size_t c = 0; c < d.cols; ++c) {
      const float v = w[r * stride + c];
      // Inputs are finite (Quantize validated them) and depth is in range,
      // so the codec cannot fail.
      StatusOr<fpins::Encoded> e = kNearest ? fpins::EncodeNearest(v, depth)
                                            : fpins::EncodeSeed(v, depth);
      const fpins::Encoded enc = e.ok() ? *e : fpins::Encoded{};
      row[c] = static_cast<uint8_t>(enc.sign);
      for (int l = 0; l <= depth; ++l)
        row[(1 + l) * d.cols + c] = enc.levels[l];
    }
  }
}

void DecodeRow(const QuantizedMatrix::Data& d, size_t r, float* out) {
  const int depth = d.format.level;
  const uint8_t* row = d.row(r);
  for (size_t c = 0; c < d.cols; ++c) {
    fpins::Encoded e;
    e.sign = static_cast<int8_t>(row[c]);
    for (int l = 0; l <= depth; ++l) e.levels[l] = row[(1 + l) * d.cols + c];
    out[c] = fpins::Decode(e, depth);
  }
}

// A row is cols sign bytes (-1, 0, +1), then L + 1 planes of level bytes
// (every byte value is a level).
std::string CheckRowSigns(const QuantizedMatrix::Data& d, size_t r) {
  return CheckSignBytes(d.row(r), d.cols, r);
}

}  // namespace

const Codec kFpinsSeedCodec = {
    &FpinsBytes,   0, 0, &CheckRange, &EncodeRows<false>, &DecodeRow,
    &CheckRowSigns};
const Codec kFpinsNearestCodec = {
    &FpinsBytes,   0, 0, &CheckRange, &EncodeRows<true>, &DecodeRow,
    &CheckRowSigns};

}  // namespace qins
