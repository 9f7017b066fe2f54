// QINS harmonic-arithmetic tables (design document 001, chapter 5) and
// element-wise operations on QINS code vectors through them.
//
// Values and codes. A QINS value q is an integer in [1, 256]; its magnitude
// is mu(q) = 256 / q (q = 256 is the smallest magnitude, 1; q = 1 the
// largest, 256). A code is the byte stored: code = 256 - q, with q = 256
// stored as 0 (chapter 5: "result_binary = 0 if result_qins == 256 else
// 256 - result_qins"). So code 0 is q = 256 (mu 1), code 1 is q = 255 and
// code 255 is q = 1 (mu 256).
//
// Tables, each 256 x 256 bytes, row-major: table[a * 256 + b] for codes a, b
// (the document's TABLE[binary_a][binary_b]; the snippet never defines
// binary_a / binary_b, they are read here as the code of its loop values
// a, b through the same mapping as the stored result).
//   add        a (+) b = qa * qb / (qa + qb) (harmonic addition), so that
//              mu(a (+) b) = mu(a) + mu(b) before quantization.
//   mul        not defined in the documents. Defined here by
//              mu(a (x) b) = mu(a) * mu(b), i.e. s = qa * qb / 256, then
//              quantized like add.
//   reciprocal mu(code) = 256 / q(code) as float32 (256 entries, 1 KiB).
//
// Quantization. The exact result r (a rational, r in (0, 256]) becomes a
// QINS value in [1, 256] by one of three readings of the document's code
// (TableRounding), then is clamped to [1, 256] (floor and round can give 0
// when r < 1: a = 1 or b = 1 for add; the document's code has no branch for
// that, and 256 - 0 = 256 does not fit a uint8).
#ifndef QINS_QINS_TABLES_H_
#define QINS_QINS_TABLES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "qins/context.h"
#include "qins/export.h"
#include "qins/status.h"

namespace qins {

inline constexpr size_t kQinsCodes = 256;
inline constexpr size_t kQinsTableEntries = kQinsCodes * kQinsCodes;

// QINS value in [1, 256] of a code: 256 - code, and code 0 is 256.
constexpr int QinsValueOfCode(uint8_t code) {
  return code == 0 ? 256 : 256 - code;
}
// Code of a QINS value. Precondition: 1 <= q <= 256.
constexpr uint8_t QinsCodeOfValue(int q) {
  return q == 256 ? uint8_t{0} : static_cast<uint8_t>(256 - q);
}

enum class TableRounding {
  // The document's code as written: the float 256 - r is stored into a numpy
  // uint8 array, which truncates toward zero. 256 - r is always positive, so
  // this is also floor in code space, and equals q = ceil(r) in QINS space
  // (magnitude rounded down).
  kTruncate,
  // Floor in QINS space: q = floor(r), as integer arithmetic
  // (qa * qb) // (qa + qb) would compute it (magnitude rounded up).
  kFloor,
  // Round half to even (numpy.round / Python round) in QINS space; since 256
  // is even this is the same as rounding 256 - r.
  kRound,
};
inline constexpr TableRounding kAllTableRoundings[] = {
    TableRounding::kTruncate, TableRounding::kFloor, TableRounding::kRound};

// "truncate", "floor", "round".
QINS_API const char* TableRoundingName(TableRounding rounding);
// Parses a TableRoundingName (case-sensitive); an error names the valid ones.
QINS_API StatusOr<TableRounding> ParseTableRounding(std::string_view name);

// The QINS value in [1, 256] that the exact result r > 0 is stored as under
// `rounding` (computed in double, as the document's Python code does).
QINS_API int QuantizeQinsValue(double r, TableRounding rounding);

// The three tables of one reading. add's and mul's last entries are followed
// by other members, so the SIMD lookups may read 4-byte words at any entry
// without leaving the object (see kernels/qins_tables/lookup_ops-inl.h).
struct QinsTables {
  uint8_t add[kQinsTableEntries];  // add[a * 256 + b] = code of a (+) b
  uint8_t mul[kQinsTableEntries];  // mul[a * 256 + b] = code of a (x) b
  float reciprocal[kQinsCodes];    // reciprocal[code] = mu(code)
  TableRounding rounding = TableRounding::kTruncate;
};

// Fills *out. Errors: null out, a rounding value outside the enum.
QINS_API Status BuildQinsTables(TableRounding rounding, QinsTables* out);
// The same, on the heap (the tables are 129 KiB: too big for most stacks).
QINS_API StatusOr<std::unique_ptr<QinsTables>> MakeQinsTables(
    TableRounding rounding);

// ---------------------------------------------------------------------------
// Conservation check (chapter 5, "verify_conservation_property").

enum class QinsTableOp { kAdd, kMul };

// The document's sample of codes ("binary indices") for the 9 x 9 check.
inline constexpr uint8_t kDocumentSampleCodes[] = {0,  1,   5,   10, 32,
                                                   64, 128, 200, 255};

// Error statistics over pairs of codes. Per pair (a, b), with
// t = table[a * 256 + b] and rec = reciprocal, in float32 arithmetic as the
// document's numpy code does:
//   kAdd: error = |rec[t] - (rec[a] + rec[b])|            (absolute)
//   kMul: error = |rec[t] - rec[a] * rec[b]| / (rec[a] * rec[b])  (relative)
// mean is accumulated in double. p999 is the 99.9th percentile with linear
// interpolation between order statistics (numpy.percentile's default).
struct ConservationStats {
  size_t pairs = 0;
  double mean = 0;
  double max = 0;
  uint8_t max_a = 0, max_b = 0;  // first pair (row-major) whose error is max
  double p999 = 0;
  size_t below_10 = 0;  // pairs with error < 10
  double share_below_10 = 0;
};

// Over all ordered pairs (codes[i], codes[j]), i, j < count. Errors: null
// codes with count > 0, count == 0, an op outside the enum.
QINS_API StatusOr<ConservationStats> VerifyConservation(
    const QinsTables& tables, QinsTableOp op, const uint8_t* codes,
    size_t count);
// Over all 65,536 pairs.
QINS_API StatusOr<ConservationStats> VerifyConservationAllPairs(
    const QinsTables& tables, QinsTableOp op);

// ---------------------------------------------------------------------------
// Element-wise operations, on ctx's target, split over ctx's threads for
// large n. out may be the same array as a or b (not a partial overlap).
// n == 0 is a no-op; null pointers with n > 0 are errors.

// out[i] = tables.add[a[i] * 256 + b[i]]  (codes in, codes out; a gather).
QINS_API Status QinsAddCodes(const Context& ctx, const QinsTables& tables,
                             const uint8_t* a, const uint8_t* b, uint8_t* out,
                             size_t n);
// out[i] = tables.mul[a[i] * 256 + b[i]].
QINS_API Status QinsMulCodes(const Context& ctx, const QinsTables& tables,
                             const uint8_t* a, const uint8_t* b, uint8_t* out,
                             size_t n);

// The same operations computed in float arithmetic instead of looked up:
// out[i] = (a[i] * b[i]) / (a[i] + b[i]) in float32 (one multiply, one add,
// one correctly rounded divide; the chapter's "computed harmonic addition"),
// with a, b QINS values as floats.
QINS_API Status HarmonicAddF32(const Context& ctx, const float* a,
                               const float* b, float* out, size_t n);
// out[i] = mu_a[i] * mu_b[i] in float32: the product on decoded magnitudes.
QINS_API Status MagnitudeMulF32(const Context& ctx, const float* mu_a,
                                const float* mu_b, float* out, size_t n);

}  // namespace qins

#endif  // QINS_QINS_TABLES_H_
