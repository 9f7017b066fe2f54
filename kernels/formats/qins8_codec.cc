// qins8: one byte per weight, sign in bit 7, a 7-bit logarithmic magnitude
// code, per-row parameters (scale s, exponent width E). docs/formats.md has
// the full description; in short:
//
// The 7-bit magnitude index m is a minifloat with E exponent bits and
// M = 7 - E mantissa bits, with subnormals: binade e >= 1 holds
// s * 2^(e-1) * (1 + f / 2^M), e = 0 holds s * f / 2^M (a linear segment
// through zero, so m = 0 is exactly zero). E is 1, 2 or 3, chosen per row
// together with s to minimise the row's squared error: E = 1 is a uniform
// code (int8's grid), E = 2 and 3 are increasingly logarithmic (constant
// relative step 2^-M per binade).
//
// The QINS orientation (code 1 = largest magnitude, as the design documents'
// inverse mapping) is the exchange code: qins_code = (128 - m) mod 128. Rows
// store m itself, because it decodes with no table and no blend:
//   bits(v / (s * 2^126)) = (sign << 31) | (m << (23 - M))
// (f32 subnormals make the e = 0 segment exact; the multiply by 2^126 makes
// it normal). That relabelling would cost two more integer ops per vector.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/formats/codec.h"
#include "kernels/formats/half.h"
#include "kernels/formats/qins8_code.h"

namespace qins {
namespace {

size_t Qins8Bytes(size_t cols, int) { return cols; }

// Unscaled magnitudes of the 128 indices for E = 1, 2, 3.
struct Tables {
  float v[4][128];
  Tables() {
    for (int e = 1; e <= 3; ++e) {
      for (uint32_t m = 0; m < 128; ++m) v[e][m] = qins8::DecodeIndex(m, e);
    }
  }
};
const Tables& DecodeTables() {
  static const Tables t;
  return t;
}

// Squared error of the row with parameters (e_bits, s); writes codes if out.
// About 10 scalar ops per weight: the search calls it ~50 times per row.
double EncodeRowWith(const float* x, size_t cols, int e_bits, float s,
                     uint8_t* out) {
  const float* table = DecodeTables().v[e_bits];
  const float inv = 1.0f / s;
  double err = 0;
  for (size_t c = 0; c < cols; ++c) {
    const uint8_t m = qins8::NearestIndex(std::fabs(x[c]) * inv, e_bits);
    const float mag = table[m] * s;
    const double diff = static_cast<double>(std::fabs(x[c])) - mag;
    err += diff * diff;
    if (out)
      out[c] = static_cast<uint8_t>((std::signbit(x[c]) && m ? 0x80 : 0) | m);
  }
  return err;
}

void EncodeQins8(const float* w, size_t stride, QuantizedMatrix::Data& d,
                 size_t r0, size_t r1) {
  for (size_t r = r0; r < r1; ++r) {
    const float* x = w + r * stride;
    float amax = 0;
    for (size_t c = 0; c < d.cols; ++c) amax = std::max(amax, std::fabs(x[c]));
    float* p = d.mutable_row_params(r);
    if (amax == 0) {  // all zero: codes stay 0
      p[0] = 1.0f;
      p[1] = 1.0f;
      continue;
    }
    // Scale search: the largest weight maps to mult * (largest code); a
    // coarse grid of mult in [0.55, 1], then a finer one around the best.
    int best_e = 1;
    float best_s = amax / qins8::MaxValue(1);
    double best_err = EncodeRowWith(x, d.cols, best_e, best_s, nullptr);
    for (int e_bits = 1; e_bits <= 3; ++e_bits) {
      const float top = qins8::MaxValue(e_bits);
      float center = 1.0f;
      double center_err = -1;
      for (float mult = 0.55f; mult <= 1.0001f; mult += 0.05f) {
        const float s = amax * mult / top;
        const double err = EncodeRowWith(x, d.cols, e_bits, s, nullptr);
        if (center_err < 0 || err < center_err) {
          center_err = err;
          center = mult;
        }
      }
      for (float delta = -0.0375f; delta <= 0.0376f; delta += 0.0125f) {
        const float mult = std::min(1.0f, center + delta);
        const float s = amax * mult / top;
        const double err = EncodeRowWith(x, d.cols, e_bits, s, nullptr);
        if (err < center_err) {
          center_err = err;
          center = mult;
        }
      }
      if (center_err < best_err) {
        best_err = center_err;
        best_e = e_bits;
        best_s = amax * center / top;
      }
    }
    p[0] = best_s;
    p[1] = static_cast<float>(best_e);
    EncodeRowWith(x, d.cols, best_e, best_s, d.mutable_row(r));
  }
}

void DecodeQins8(const QuantizedMatrix::Data& d, size_t r, float* out) {
  const float* p = d.row_params_of(r);
  const float s = p[0];
  const int e_bits = static_cast<int>(p[1]);
  const uint8_t* codes = d.row(r);
  for (size_t c = 0; c < d.cols; ++c) {
    const float mag = qins8::DecodeIndex(codes[c] & 0x7F, e_bits) * s;
    out[c] = (codes[c] & 0x80) ? -mag : mag;
  }
}

}  // namespace

const Codec kQins8Codec = {&Qins8Bytes,  2,           0, nullptr,
                           &EncodeQins8, &DecodeQins8};

}  // namespace qins
