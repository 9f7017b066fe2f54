// QINS arithmetic tables: scalar generation (design document 001, chapter 5),
// the conservation check, and the target-independent entry points of the
// element-wise operations (validation, thread split, call into the
// per-target kernels of dispatch/lookup_dispatch.cc).
#include "qins/qins_tables.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "dispatch/lookup_kernels.h"
#include "dispatch/parallel.h"

namespace qins {

namespace {

// The gathers read 4-byte words starting at any table entry: the 3 bytes
// after each table's last entry must belong to the same object, and the
// object must be 4-byte aligned (see lookup_ops-inl.h).
static_assert(offsetof(QinsTables, mul) ==
                  offsetof(QinsTables, add) + kQinsTableEntries,
              "mul must follow add");
static_assert(offsetof(QinsTables, reciprocal) >=
                  offsetof(QinsTables, mul) + kQinsTableEntries,
              "reciprocal must follow mul");
static_assert(sizeof(QinsTables::reciprocal) >= 3, "gather over-read room");
static_assert(alignof(QinsTables) >= 4, "gather base alignment");

// A task covers at least this many elements: below 2x this, one thread does
// the whole operation.
constexpr size_t kMinTaskElements = size_t{1} << 16;

bool ValidRounding(TableRounding r) {
  return r == TableRounding::kTruncate || r == TableRounding::kFloor ||
         r == TableRounding::kRound;
}

// floor(r) + 1 when the fraction is above 1/2, or exactly 1/2 and floor(r)
// is odd (round half to even). r - floor(r) is exact in double.
double RoundHalfEven(double r) {
  const double f = std::floor(r);
  const double frac = r - f;
  if (frac > 0.5) return f + 1;
  if (frac == 0.5) return std::fmod(f, 2.0) != 0 ? f + 1 : f;
  return f;
}

Status CheckPairArgs(const char* what, const void* a, const void* b,
                     const void* out, size_t n) {
  if (n > 0 && (a == nullptr || b == nullptr || out == nullptr)) {
    return InvalidArgument(std::string(what) + ": null input or output");
  }
  return Status::Ok();
}

Status LookupCodes(const char* what, const Context& ctx,
                   const QinsTables& tables, size_t table_offset,
                   const uint8_t* a, const uint8_t* b, uint8_t* out, size_t n) {
  if (Status s = CheckPairArgs(what, a, b, out, n); !s.ok()) return s;
  if (n == 0) return Status::Ok();
  const LookupKernels& k = GetLookupKernels(ctx.target());
  const uint8_t* base = reinterpret_cast<const uint8_t*>(&tables);
  const uint32_t offset = static_cast<uint32_t>(table_offset);
  ParallelFor(ctx, n, kMinTaskElements, [&](size_t i0, size_t i1) {
    k.lookup_pairs(base, offset, a + i0, b + i0, out + i0, i1 - i0);
  });
  return Status::Ok();
}

template <class Kernel>
Status BinaryF32(const char* what, const Context& ctx, Kernel kernel,
                 const float* a, const float* b, float* out, size_t n) {
  if (Status s = CheckPairArgs(what, a, b, out, n); !s.ok()) return s;
  if (n == 0) return Status::Ok();
  ParallelFor(ctx, n, kMinTaskElements, [&](size_t i0, size_t i1) {
    kernel(a + i0, b + i0, out + i0, i1 - i0);
  });
  return Status::Ok();
}

// numpy.percentile's default: linear interpolation at rank (n - 1) * p of the
// sorted values.
double Percentile(std::vector<float>& v, double p) {
  std::sort(v.begin(), v.end());
  const double h = static_cast<double>(v.size() - 1) * p;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (double{v[hi]} - v[lo]);
}

}  // namespace

const char* TableRoundingName(TableRounding rounding) {
  switch (rounding) {
    case TableRounding::kTruncate:
      return "truncate";
    case TableRounding::kFloor:
      return "floor";
    case TableRounding::kRound:
      return "round";
  }
  return "unknown";
}

StatusOr<TableRounding> ParseTableRounding(std::string_view name) {
  for (TableRounding r : kAllTableRoundings) {
    if (name == TableRoundingName(r)) return r;
  }
  return InvalidArgument("unknown rounding '" + std::string(name) +
                         "'; valid: truncate, floor, round");
}

int QuantizeQinsValue(double r, TableRounding rounding) {
  if (!(r > 0)) return 1;  // precondition r > 0; NaN and r <= 0 saturate
  if (r >= 256) return 256;
  double q = r;
  switch (rounding) {
    case TableRounding::kTruncate:
      // result_binary = 256 - result_qins, stored into uint8: truncation
      // toward zero of a positive float.
      q = 256 - std::trunc(256 - r);
      break;
    case TableRounding::kFloor:
      q = std::floor(r);
      break;
    case TableRounding::kRound:
      q = RoundHalfEven(r);
      break;
  }
  return static_cast<int>(std::clamp(q, 1.0, 256.0));
}

Status BuildQinsTables(TableRounding rounding, QinsTables* out) {
  if (out == nullptr) return InvalidArgument("BuildQinsTables: out is null");
  if (!ValidRounding(rounding)) {
    return InvalidArgument("BuildQinsTables: invalid rounding");
  }
  out->rounding = rounding;
  // 65,536 pairs x 2 tables, one double divide each: run once per table set.
  for (size_t a = 0; a < kQinsCodes; ++a) {
    const int qa = QinsValueOfCode(static_cast<uint8_t>(a));
    for (size_t b = 0; b < kQinsCodes; ++b) {
      const int qb = QinsValueOfCode(static_cast<uint8_t>(b));
      const double prod = static_cast<double>(qa) * qb;
      const double add = prod / (qa + qb);  // in [0.5, 128]
      const double mul = prod / 256.0;      // in [1/256, 256]
      out->add[a * kQinsCodes + b] =
          QinsCodeOfValue(QuantizeQinsValue(add, rounding));
      out->mul[a * kQinsCodes + b] =
          QinsCodeOfValue(QuantizeQinsValue(mul, rounding));
    }
  }
  for (size_t c = 0; c < kQinsCodes; ++c) {
    out->reciprocal[c] =
        256.0f / static_cast<float>(QinsValueOfCode(static_cast<uint8_t>(c)));
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<QinsTables>> MakeQinsTables(TableRounding rounding) {
  auto t = std::make_unique<QinsTables>();
  if (Status s = BuildQinsTables(rounding, t.get()); !s.ok()) return s;
  return t;
}

StatusOr<ConservationStats> VerifyConservation(const QinsTables& tables,
                                               QinsTableOp op,
                                               const uint8_t* codes,
                                               size_t count) {
  if (count == 0) return InvalidArgument("VerifyConservation: no codes");
  if (codes == nullptr) return InvalidArgument("VerifyConservation: null");
  if (op != QinsTableOp::kAdd && op != QinsTableOp::kMul) {
    return InvalidArgument("VerifyConservation: invalid op");
  }
  const uint8_t* table = op == QinsTableOp::kAdd ? tables.add : tables.mul;
  const float* rec = tables.reciprocal;
  ConservationStats st;
  st.pairs = count * count;
  std::vector<float> errors;
  errors.reserve(st.pairs);
  double sum = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t a = codes[i];
    for (size_t j = 0; j < count; ++j) {
      const uint8_t b = codes[j];
      const float got = rec[table[a * kQinsCodes + b]];
      float err;
      if (op == QinsTableOp::kAdd) {
        const float expected = rec[a] + rec[b];
        err = std::fabs(got - expected);
      } else {
        const float expected = rec[a] * rec[b];
        err = std::fabs(got - expected) / expected;
      }
      if (errors.empty() || err > st.max) {
        st.max = err;
        st.max_a = a;
        st.max_b = b;
      }
      sum += err;
      if (err < 10.0f) ++st.below_10;
      errors.push_back(err);
    }
  }
  st.mean = sum / static_cast<double>(st.pairs);
  st.share_below_10 =
      static_cast<double>(st.below_10) / static_cast<double>(st.pairs);
  st.p999 = Percentile(errors, 0.999);
  return st;
}

StatusOr<ConservationStats> VerifyConservationAllPairs(const QinsTables& tables,
                                                       QinsTableOp op) {
  uint8_t all[kQinsCodes];
  for (size_t c = 0; c < kQinsCodes; ++c) all[c] = static_cast<uint8_t>(c);
  return VerifyConservation(tables, op, all, kQinsCodes);
}

Status QinsAddCodes(const Context& ctx, const QinsTables& tables,
                    const uint8_t* a, const uint8_t* b, uint8_t* out,
                    size_t n) {
  return LookupCodes("QinsAddCodes", ctx, tables, offsetof(QinsTables, add), a,
                     b, out, n);
}

Status QinsMulCodes(const Context& ctx, const QinsTables& tables,
                    const uint8_t* a, const uint8_t* b, uint8_t* out,
                    size_t n) {
  return LookupCodes("QinsMulCodes", ctx, tables, offsetof(QinsTables, mul), a,
                     b, out, n);
}

Status HarmonicAddF32(const Context& ctx, const float* a, const float* b,
                      float* out, size_t n) {
  return BinaryF32("HarmonicAddF32", ctx,
                   GetLookupKernels(ctx.target()).harmonic_add_f32, a, b, out,
                   n);
}

Status MagnitudeMulF32(const Context& ctx, const float* mu_a, const float* mu_b,
                       float* out, size_t n) {
  return BinaryF32("MagnitudeMulF32", ctx,
                   GetLookupKernels(ctx.target()).mul_f32, mu_a, mu_b, out, n);
}

}  // namespace qins
