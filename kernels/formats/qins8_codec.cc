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
// store m itself, because it decodes with no table: m's bits shifted into
// an f32 exponent and mantissa, (m << (23 - M)) + (126 << 23), are the
// value for e >= 1 and 1/2 + f / 2^(M+1) for e = 0, and min(v, 2v - 1)
// corrects the e = 0 segment exactly (qins8_code.h, decode-inl.h). No
// intermediate is an f32 subnormal, so decoding runs at full speed on CPUs
// that take a microcode assist on subnormal operands (Intel) and gives the
// same floats under DAZ/FTZ. That relabelling to the QINS orientation would
// cost two more integer ops per vector.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/formats/codec.h"
#include "kernels/formats/half.h"
#include "kernels/formats/qins8_code.h"

namespace qins {
namespace {

size_t Qins8Bytes(size_t cols, int) { return cols; }

// The encoder is per target (kernels/formats/qins8_encode-inl.h, through
// dispatch/encode_dispatch.cc); every target gives the same bytes.

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

// The encoder writes s >= 0 and E in {1, 2, 3}; the SIMD decoders put the
// code's sign on the magnitude's bits, so a negative s would decode
// differently on different paths (found by from_parts_fuzzer).
std::string CheckQins8Row(const QuantizedMatrix::Data& d, size_t r) {
  const float* p = d.row_params_of(r);
  if (std::signbit(p[0])) {
    return "row " + std::to_string(r) + " has scale " + std::to_string(p[0]) +
           " (must be >= 0)";
  }
  if (p[1] != 1.0f && p[1] != 2.0f && p[1] != 3.0f) {
    return "row " + std::to_string(r) + " has exponent width " +
           std::to_string(p[1]) + " (must be 1, 2 or 3)";
  }
  return {};
}

}  // namespace

const Codec kQins8Codec = {&Qins8Bytes,   2, 0, nullptr, nullptr, &DecodeQins8,
                           &CheckQins8Row};

}  // namespace qins
