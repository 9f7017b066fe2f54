// Scalar FPINS codec (design document, chapter 9), standalone.
//
// An FPINS weight at depth L holds L + 1 levels q_i in [1, 256] and a sign.
// Its magnitude is 256 / (q_0 * q_1 * ... * q_L). Each level is stored as one
// byte b = 256 - q (q = 256 is stored as 0), the sign as one int8 byte in
// {-1, 0, +1} (torch.sign convention; 0 means the weight is exactly zero).
// Bytes per weight: (L + 1) + 1. See docs/fpins.md for the layout, the
// representable range per depth and the measured errors.
//
// Two encoders:
//   EncodeSeed    the document's greedy root-based factorisation
//                 (float_to_fpins_levels), reproduced operation for operation
//                 in double precision; levels in the order it produces them.
//   EncodeNearest the representable magnitude closest to |v|: minimises
//                 |256 / P - |v|| over all products P of L + 1 levels. Levels
//                 in canonical order: non-increasing q (so non-decreasing
//                 stored bytes).
//
// Range: magnitudes 256^-L .. 256. Both encoders saturate outside it: the
// nearest encoder returns the nearest end exactly; the seed does what its
// Python does (levels clamped to [1, 256], which also ends at an end of the
// range). Zero (and -0) encodes as sign 0 with all level bytes 0 and decodes
// to exactly +0. NaN and +-Inf are errors.
#ifndef QINS_KERNELS_FPINS_FPINS_CODEC_H_
#define QINS_KERNELS_FPINS_FPINS_CODEC_H_

#include <cstdint>

#include "qins/status.h"

namespace qins::fpins {

constexpr int kMaxDepth = 7;
constexpr int kMaxLevels = kMaxDepth + 1;

// Stored bytes of one weight: sign byte + (depth + 1) level bytes.
constexpr int BytesPerWeight(int depth) { return depth + 2; }

// Level q in [1, 256] <-> stored byte (256 - q, with 256 stored as 0).
constexpr uint8_t LevelToByte(int q) { return static_cast<uint8_t>(256 - q); }
constexpr int ByteToLevel(uint8_t b) { return b == 0 ? 256 : 256 - b; }

struct Encoded {
  int8_t sign = 0;                  // -1, 0 (exact zero) or +1
  uint8_t levels[kMaxLevels] = {};  // stored bytes; [depth + 1, 8) are 0
  bool operator==(const Encoded&) const = default;
};

// Errors (both encoders): InvalidArgument for depth outside [0, kMaxDepth]
// or a NaN input; OutOfRange for +-Inf. Finite values never fail.
StatusOr<Encoded> EncodeSeed(float v, int depth);
StatusOr<Encoded> EncodeNearest(float v, int depth);

// 256 / prod(q_i) over the first depth + 1 stored bytes, in double, as the
// document's fpins_levels_to_float does. The sign is not applied. Returns
// NaN if levels is null or depth is outside [0, kMaxDepth].
double DecodeMagnitude(const uint8_t* levels, int depth);

// Signed value, rounded to float: 0 if sign == 0, else the magnitude with
// the sign of e.sign (any negative sign byte reads as -1, positive as +1).
float Decode(const Encoded& e, int depth);

// Representable magnitude range at a depth: [256^-depth, 256].
double MinMagnitude(int depth);
double MaxMagnitude(int depth);

namespace internal {
// Integer candidates EncodeNearest may test for one value.
constexpr int64_t kNearestWorkBudget = int64_t{1} << 16;
// EncodeNearest with a chosen work budget, reporting whether the search
// proved its result optimal (false only if the budget ended it early; the
// result is then the best found, never worse than the seed's).
StatusOr<Encoded> EncodeNearestChecked(
    float v, int depth, bool* proven, int64_t work_budget = kNearestWorkBudget);
}  // namespace internal

}  // namespace qins::fpins

#endif  // QINS_KERNELS_FPINS_FPINS_CODEC_H_
