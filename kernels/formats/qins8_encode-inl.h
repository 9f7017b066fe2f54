// Per-target qins8 encoder. Included once per target by
// dispatch/encode_dispatch.cc. docs/formats.md defines the format and the
// search; kernels/formats/qins8_codec.cc has the decoder.
//
// Per row: E in {1, 2, 3} and the scale s are chosen to minimise the row's
// squared error over a fixed candidate set (per E, 10 coarse multipliers of
// amax / max_code(E), then up to 6 fine ones around the best; ~49 distinct
// candidates per row), then every weight gets its nearest code.
//
// Every target produces the same bytes and parameters. The squared error of
// a candidate is summed in a fixed order that does not depend on the vector
// width: 16 "virtual lanes" (lane l holds columns c = l mod 16) accumulate
// f32 squares over chunks of 256 columns, then the 16 lane sums of each chunk
// are added to one f64 total in lane order. A target with N < 16 lanes
// covers the 16 virtual lanes with 16 / N vectors; FMA is never used
// (explicit Mul and Add, and the build passes -ffp-contract=off). The row is
// padded with zeros to a multiple of 16 columns; a zero column adds exactly
// 0. This order, and computing the difference and its square in f32, differs
// from a plain f64 sum only by f32 rounding of each term (relative 2^-24) and
// of 16-term partial sums; it can change the choice only between candidates
// whose errors tie to about 1e-6 relative.
//
// Cost per weight and candidate, in vector ops: 1 multiply for |x| / s,
// 5 integer ops to round to M mantissa bits (binade codes) and 1 min for the
// clamp to code 127, 4 float ops for the linear segment (round |x| / s * 2^M
// to an integer with the 2^23 trick), 1 compare + 1 blend, then 4 float ops
// for the difference, its square and the sum: 17 ops. No table lookups: the
// code's value is the f32 whose bits are the rounded |x| / s.
#if defined(QINS_KERNELS_FORMATS_QINS8_ENCODE_INL_H_) == \
    defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_FORMATS_QINS8_ENCODE_INL_H_
#undef QINS_KERNELS_FORMATS_QINS8_ENCODE_INL_H_
#else
#define QINS_KERNELS_FORMATS_QINS8_ENCODE_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <cmath>

#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#include "kernels/formats/format_kernels-inl.h"
#include "kernels/formats/half.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/formats/qins8_code.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The virtual lane count of the error sum and the chunk flushed to f64.
constexpr size_t kQins8SumLanes = 16;
constexpr size_t kQins8SumChunk = 256;
// Lanes(Qins8Tag()) is a power of two <= 16 on every target (Highway's SVE
// lane counts are powers of two too), so 16 / N vectors cover the 16
// virtual lanes exactly.
using Qins8Tag = hn::CappedTag<float, kQins8SumLanes>;

// Rounding a = |x| / s (finite, >= 0) to the nearest code, as
// qins8::NearestIndex does, for E = kE. Free functions of the vectors (SVE
// vectors cannot be struct members); the constants are hoisted out of the
// callers' loops after inlining.
using Qins8IntTag = hn::RebindToSigned<Qins8Tag>;
using Qins8VF = hn::Vec<Qins8Tag>;
using Qins8VI = hn::Vec<Qins8IntTag>;

// Binade segment (a >= 1): a rounded to M = 7 - kE mantissa bits, ties to
// even (a carry into the exponent is the correct rounding), clamped to code
// 127: 5 integer ops + min. The result's bits are the code's bits plus
// 126 << 23, i.e. it is the code's unscaled value DecodeIndex(m).
template <int kE>
HWY_INLINE Qins8VI Qins8LogBits(Qins8VF a) {
  constexpr int kShift = 23 - (7 - kE);
  const Qins8IntTag di;
  const Qins8VI b = hn::BitCast(di, a);
  const Qins8VI odd = hn::And(hn::ShiftRight<kShift>(b), hn::Set(di, 1));
  const Qins8VI r =
      hn::And(hn::Add(hn::Add(b, hn::Set(di, (1 << (kShift - 1)) - 1)), odd),
              hn::Set(di, ~((1 << kShift) - 1)));
  return hn::Min(
      r, hn::Set(di, static_cast<int32_t>(F32Bits(qins8::MaxValue(kE)))));
}

// Linear segment (a < 1): a * 2^M + 2^23 rounds a * 2^M to an integer
// (nearest even, as NearestIndex); the sum's low mantissa bits are the code.
template <int kE>
HWY_INLINE Qins8VF Qins8LinSum(Qins8VF a) {
  const Qins8Tag df;
  return hn::Add(hn::Mul(a, hn::Set(df, static_cast<float>(1 << (7 - kE)))),
                 hn::Set(df, 0x1p23f));
}

// DecodeIndex(NearestIndex(a)): 12 ops.
template <int kE>
HWY_INLINE Qins8VF Qins8NearestValue(Qins8VF a) {
  const Qins8Tag df;
  const auto is_lin = hn::Lt(a, hn::Set(df, 1.0f));
  const Qins8VF lin =
      hn::Mul(hn::Sub(Qins8LinSum<kE>(a), hn::Set(df, 0x1p23f)),
              hn::Set(df, 1.0f / static_cast<float>(1 << (7 - kE))));
  return hn::IfThenElse(is_lin, lin, hn::BitCast(df, Qins8LogBits<kE>(a)));
}

// NearestIndex(a).
template <int kE>
HWY_INLINE Qins8VI Qins8NearestCode(Qins8VF a) {
  const Qins8Tag df;
  const Qins8IntTag di;
  const auto is_lin = hn::RebindMask(di, hn::Lt(a, hn::Set(df, 1.0f)));
  const Qins8VI lin = hn::Sub(hn::BitCast(di, Qins8LinSum<kE>(a)),
                              hn::BitCast(di, hn::Set(df, 0x1p23f)));
  const Qins8VI log = hn::ShiftRight<23 - (7 - kE)>(
      hn::Sub(Qins8LogBits<kE>(a), hn::Set(di, int32_t{126} << 23)));
  return hn::IfThenElse(is_lin, lin, log);
}

// Squared error of the row's magnitudes ax[0, n) (n a multiple of 16,
// zero-padded) coded with (E, s), summed in the fixed order described at
// the top of this file.
template <int kE>
double Qins8RowError(const float* HWY_RESTRICT ax, size_t n, float s) {
  const Qins8Tag df;
  const size_t N = hn::Lanes(df);
  const auto inv = hn::Set(df, 1.0f / s);
  const auto scale = hn::Set(df, s);
  HWY_ALIGN float part[kQins8SumLanes];
  double total = 0;
  for (size_t c0 = 0; c0 < n; c0 += kQins8SumChunk) {
    const size_t c1 = std::min(n, c0 + kQins8SumChunk);
    for (size_t j = 0; j < kQins8SumLanes; j += N) {
      auto acc = hn::Zero(df);
      for (size_t c = c0 + j; c < c1; c += kQins8SumLanes) {
        const auto x = hn::Load(df, ax + c);
        const auto mag = hn::Mul(Qins8NearestValue<kE>(hn::Mul(x, inv)), scale);
        const auto diff = hn::Sub(x, mag);
        acc = hn::Add(acc, hn::Mul(diff, diff));
      }
      hn::Store(acc, df, part + j);
    }
    for (size_t l = 0; l < kQins8SumLanes; ++l) total += part[l];
  }
  return total;
}

inline double Qins8RowErrorE(int e_bits, const float* ax, size_t n, float s) {
  switch (e_bits) {
    case 1:
      return Qins8RowError<1>(ax, n, s);
    case 2:
      return Qins8RowError<2>(ax, n, s);
    default:
      return Qins8RowError<3>(ax, n, s);
  }
}

// Writes the codes of x[0, n) (signed weights, n a multiple of 16) with
// (E, s): sign in bit 7 for negative nonzero codes.
template <int kE>
void Qins8WriteCodes(const float* HWY_RESTRICT x, size_t n, float s,
                     uint8_t* HWY_RESTRICT out) {
  const Qins8Tag df;
  const Qins8IntTag di;
  const hn::Rebind<uint8_t, Qins8Tag> d8;
  const size_t N = hn::Lanes(df);
  const auto inv = hn::Set(df, 1.0f / s);
  const auto zero = hn::Zero(di);
  const auto sign_bit = hn::Set(di, 0x80);
  for (size_t c = 0; c < n; c += N) {
    const auto v = hn::Load(df, x + c);
    const auto m = Qins8NearestCode<kE>(hn::Mul(hn::Abs(v), inv));
    const auto neg =
        hn::And(hn::RebindMask(di, hn::Lt(v, hn::Zero(df))), hn::Gt(m, zero));
    const auto code = hn::Or(m, hn::IfThenElseZero(neg, sign_bit));
    hn::StoreU(hn::DemoteTo(d8, code), d8, out + c);
  }
}

// Encodes rows [r0, r1) of W (stride in floats) into d.
void EncodeRowsQins8(const float* w, size_t stride, QuantizedMatrix::Data& d,
                     size_t r0, size_t r1) {
  const Qins8Tag df;
  const size_t cols = d.cols;
  const size_t n =
      (cols + kQins8SumLanes - 1) / kQins8SumLanes * kQins8SumLanes;
  // Zero-padded copies of the row (signed) and of its magnitudes, and the
  // codes before they are copied into the row.
  auto xs = hwy::AllocateAligned<float>(n);
  auto ax = hwy::AllocateAligned<float>(n);
  auto codes = hwy::AllocateAligned<uint8_t>(n);
  for (size_t r = r0; r < r1; ++r) {
    const float* x = w + r * stride;
    float amax = 0;
    for (size_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(x[c]));
    float* p = d.mutable_row_params(r);
    if (amax == 0) {  // all zero: codes stay 0
      p[0] = 1.0f;
      p[1] = 1.0f;
      continue;
    }
    // The row is searched scaled by 2^k, amax * 2^k in [1, 2), and s scaled
    // back by 2^-k at the end. Scaling by a power of two is exact (products
    // and quotients round the same), so the codes and s are those of the
    // unscaled search; but the f32 squared differences neither overflow
    // (weights ~1e20) nor lose precision as subnormals (weights ~1e-20),
    // and 1 / s stays finite. 2^k is applied as two normal factors (k = 149
    // for a subnormal amax: amax * 2^k in [1, 2^23)).
    const int k = 127 - static_cast<int>(F32Bits(amax) >> 23);  // amax normal
    const int k_lo = (amax < 0x1p-126f ? 149 : k) / 2;
    const int k_hi = (amax < 0x1p-126f ? 149 : k) - k_lo;
    const float up_lo = std::ldexp(1.0f, k_lo), up_hi = std::ldexp(1.0f, k_hi);
    const auto v_up_lo = hn::Set(df, up_lo), v_up_hi = hn::Set(df, up_hi);
    for (size_t c = 0; c + hn::Lanes(df) <= cols; c += hn::Lanes(df)) {
      const auto v = hn::Mul(hn::Mul(hn::LoadU(df, x + c), v_up_lo), v_up_hi);
      hn::Store(v, df, xs.get() + c);
      hn::Store(hn::Abs(v), df, ax.get() + c);
    }
    for (size_t c = cols / hn::Lanes(df) * hn::Lanes(df); c < n; ++c) {
      xs[c] = c < cols ? x[c] * up_lo * up_hi : 0.0f;
      ax[c] = std::fabs(xs[c]);
    }
    amax = amax * up_lo * up_hi;
    // The candidate search of docs/formats.md, with the same float
    // arithmetic for the multipliers. Candidates whose s equals one already
    // evaluated for this E (the fine grid's delta ~ 0, mult clamped to 1)
    // reuse its error: the comparisons are strict, so a repeat never wins.
    int best_e = 1;
    float best_s = amax / qins8::MaxValue(1);
    double best_err = Qins8RowErrorE(1, ax.get(), n, best_s);
    for (int e_bits = 1; e_bits <= 3; ++e_bits) {
      const float top = qins8::MaxValue(e_bits);
      float seen_s[24];
      double seen_err[24];
      int num_seen = 0;
      if (e_bits == 1) {
        seen_s[0] = best_s;
        seen_err[0] = best_err;
        num_seen = 1;
      }
      auto error_of = [&](float s) {
        for (int i = 0; i < num_seen; ++i) {
          if (seen_s[i] == s) return seen_err[i];
        }
        const double err = Qins8RowErrorE(e_bits, ax.get(), n, s);
        seen_s[num_seen] = s;
        seen_err[num_seen] = err;
        ++num_seen;
        return err;
      };
      float center = 1.0f;
      double center_err = -1;
      for (float mult = 0.55f; mult <= 1.0001f; mult += 0.05f) {
        const double err = error_of(amax * mult / top);
        if (center_err < 0 || err < center_err) {
          center_err = err;
          center = mult;
        }
      }
      for (float delta = -0.0375f; delta <= 0.0376f; delta += 0.0125f) {
        const float mult = std::min(1.0f, center + delta);
        const double err = error_of(amax * mult / top);
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
    switch (best_e) {
      case 1:
        Qins8WriteCodes<1>(xs.get(), n, best_s, codes.get());
        break;
      case 2:
        Qins8WriteCodes<2>(xs.get(), n, best_s, codes.get());
        break;
      default:
        Qins8WriteCodes<3>(xs.get(), n, best_s, codes.get());
    }
    memcpy(d.mutable_row(r), codes.get(), cols);
    p[0] = best_s / up_lo / up_hi;
    p[1] = static_cast<float>(best_e);
  }
}
template <>
struct EncodeKernelOf<FormatKind::kQins8> {
  static constexpr EncodeRowsFn value = &EncodeRowsQins8;
};

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_FORMATS_QINS8_ENCODE_INL_H_
