// Per-target integer-dot GEMV kernel (strategy `dot`) for qins8: x arrives
// quantized to int8 blocks of 32 as for the other dot formats
// (kernels/gemv/quantize_x.h), and the weights are used exactly, as
// integers. Included once per target by dispatch/gemv_dispatch.cc, after
// gemv_dot-inl.h (whose DotReduce8, DotFinalSum and DotTreeSum it shares).
//
// Every qins8 weight is an integer times a per-row power of two: index m
// (the code's low 7 bits) has magnitude DecodeIndex(m, E) = I(m) * 2^-M
// with I(m) = qins8::IntegerMagnitude(m, E) <= 127 (E = 1), 252 (E = 2) or
// 1984 (E = 3), M = 7 - E. So w = (-1)^sign * I(m) * (s * 2^-M), and the
// block dot product with x's codes q is an exact integer. Numerics, the
// same on every target (tests/kernels/gemv/gemv_dot_test.cc checks each
// target bit for bit against a scalar reference):
// - S_b = sum_j (-1)^sign_j I(m_j) q_bj in int32; |S_b| <= 32 * 1984 * 127
//   = 8062976 < 2^24, so (float)S_b is exact.
// - P[b % 8] = P[b % 8] + (1 * dx_b) * (float)S_b, in groups of kDotGroup
//   blocks as gemv_dot-inl.h (i8row's order: block scale 1);
// - y = (((P0 + P4) + (P2 + P6)) + ((P1 + P5) + (P3 + P7))) * rs, with
//   rs = s * 2^-M rounded once in f32 (exact for every s the encoder
//   writes: normal, and far above 2^-120).
// The only rounding beyond the f32 strategies' is x's (int8 per block of
// 32), as for i8row's `dot`: the weights are not rounded at all.
//
// Per target:
// - AVX3_DL (AVX-512 VBMI and VNNI): two blocks (64 codes) per 512-bit
//   register. vpermi2b looks up the low byte of I(m) in a 128-entry table
//   held in two registers (it ignores the index's top bit, the sign); E = 3
//   rows also look up the high byte (I < 2^11) in a second table pair and
//   add that dot shifted by 8. The sign goes onto x: vpmovb2m takes the
//   codes' top bits as a mask and one masked subtract negates x's codes
//   there (|q| <= 127, so -q fits). vpdpbusd (unsigned I byte x signed x
//   byte, 4 per int32 lane) cannot saturate. Per 64 weights and row: load,
//   vpmovb2m, masked subtract, vpermi2b, vpdpbusd, extract: 6 ops (E = 3:
//   + vpermi2b, vpdpbusd, shift, add), + per 8 blocks DotReduce8 (9) and 4
//   f32 ops; against bitbuild's 13 per 64 (4 of them FMAs) on the same
//   target.
// - Every other target: Highway, the codes zero-extended to uint16, I(m)
//   computed (and, shift, and, min, shift, or; the power of two by a byte
//   table lookup; multiply), the sign applied (IfNegativeThenElse), x's
//   codes promoted to int16, then ReorderWidenMulAccumulate (int16 x int16
//   -> int32) and SumOfLanes: about 12 ops per vector of 16-bit lanes.
//   SCALAR: the definition, per weight. (An AVX2 kernel of the same
//   arithmetic was timed no faster than bitbuild and not kept:
//   docs/gemv.md, "qins8 `dot`".)

#if defined(QINS_KERNELS_GEMV_GEMV_QINS8_DOT_INL_H_) == \
    defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_GEMV_GEMV_QINS8_DOT_INL_H_
#undef QINS_KERNELS_GEMV_GEMV_QINS8_DOT_INL_H_
#else
#define QINS_KERNELS_GEMV_GEMV_QINS8_DOT_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>

#include <algorithm>

#include "dispatch/gemv_kernels.h"
#include "hwy/highway.h"
#include "kernels/formats/format_kernels-inl.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/formats/qins8_code.h"
#include "kernels/gemv/gemv_dot-inl.h"
#include "kernels/gemv/group_prefetch.h"
#include "kernels/gemv/quantize_x.h"

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_AVX3_DL
#define QINS_Q8DOT_ATTR __attribute__((target(HWY_TARGET_STR ",avx512vnni")))
#else
#define QINS_Q8DOT_ATTR
#endif

// One row's constants: its exponent width and the scale y is multiplied by.
struct Qins8DotRow {
  int e_bits;
  float rs;  // s * 2^-M
};

HWY_INLINE Qins8DotRow Qins8DotRowOf(const QuantizedMatrix::Data& m, size_t r) {
  const float* p = m.row_params_of(r);
  const int e_bits = static_cast<int>(p[1]);
  const float pow = 1.0f / static_cast<float>(1 << qins8::MantissaBits(e_bits));
  return {e_bits, p[0] * pow};
}

#if HWY_TARGET == HWY_AVX3_DL
// [E - 1][0]: the low bytes of I(m), m = 0..127; [E - 1][1]: the high bytes.
// Built at compile time: no initialization guard on the kernel's path.
struct Qins8DotTables {
  HWY_ALIGN uint8_t bytes[3][2][128];
};

constexpr Qins8DotTables MakeQins8DotTables() {
  Qins8DotTables t{};
  for (int e_bits = 1; e_bits <= 3; ++e_bits) {
    for (uint32_t m = 0; m < 128; ++m) {
      const uint32_t v = qins8::IntegerMagnitude(m, e_bits);
      t.bytes[e_bits - 1][0][m] = static_cast<uint8_t>(v & 0xFF);
      t.bytes[e_bits - 1][1][m] = static_cast<uint8_t>(v >> 8);
    }
  }
  return t;
}
inline constexpr Qins8DotTables kQins8DotTables = MakeQins8DotTables();
static_assert(kQins8DotTables.bytes[2][0][127] == (1984 & 0xFF) &&
              kQins8DotTables.bytes[2][1][127] == (1984 >> 8));

// A row's table registers.
struct Qins8DotRegs {
  __m512i lo0, lo1, hi0, hi1;
  bool wide;  // E = 3: I(m) has a high byte
};

QINS_Q8DOT_ATTR HWY_INLINE Qins8DotRegs LoadQins8DotRegs(int e_bits) {
  const uint8_t(*t)[128] = kQins8DotTables.bytes[e_bits - 1];
  return {_mm512_load_si512(t[0]), _mm512_load_si512(t[0] + 64),
          _mm512_load_si512(t[1]), _mm512_load_si512(t[1] + 64), e_bits == 3};
}

// The 8 block sums S_b of one row's group (nb blocks with data; x's codes
// are 0 past the row's blocks), in lane b.
QINS_Q8DOT_ATTR HWY_INLINE __m256i Qins8GroupSums(const uint8_t* row,
                                                  const DotQ8_0::XGroup& x,
                                                  size_t nb,
                                                  const Qins8DotRegs& t) {
  __m256i v[kDotGroup];
  const __m512i zero = _mm512_setzero_si512();
  for (size_t k = 0; k < kDotGroup / 2; ++k) {
    const size_t j = 2 * k;
    const uint8_t* b0 = row + j * kDotBlock;
    __m512i w = zero;
    if (HWY_LIKELY(j + 1 < nb)) {
      w = _mm512_loadu_si512(b0);
    } else if (j < nb) {
      w = _mm512_zextsi256_si512(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0)));
    }
    // x's code negated where the weight's sign bit is set.
    const __m512i xs =
        _mm512_mask_sub_epi8(x.v[k], _mm512_movepi8_mask(w), zero, x.v[k]);
    __m512i p = _mm512_dpbusd_epi32(
        zero, _mm512_permutex2var_epi8(t.lo0, w, t.lo1), xs);
    if (t.wide) {
      const __m512i ph = _mm512_dpbusd_epi32(
          zero, _mm512_permutex2var_epi8(t.hi0, w, t.hi1), xs);
      p = _mm512_add_epi32(p, _mm512_slli_epi32(ph, 8));
    }
    v[j] = _mm512_castsi512_si256(p);
    v[j + 1] = _mm512_extracti64x4_epi64(p, 1);
  }
  return DotReduce8(v);
}

template <size_t kRows>
QINS_Q8DOT_ATTR HWY_INLINE void Qins8DotRows(const uint8_t* HWY_RESTRICT w,
                                             size_t stride, const Q8Blocks& x,
                                             const Qins8DotRow* rows,
                                             float* out, GroupPrefetch pf) {
  Qins8DotRegs t[kRows];
  __m256 acc[kRows];
  for (size_t i = 0; i < kRows; ++i) {
    t[i] = LoadQins8DotRegs(rows[i].e_bits);
    acc[i] = _mm256_setzero_ps();
  }
  for (size_t g = 0; g < x.blocks_padded; g += kDotGroup) {
    const size_t nb = std::min(kDotGroup, x.blocks - g);
    if constexpr (kRows == 4) {
      for (size_t j = 0; j < kDotGroup; ++j) pf.Step();
    }
    const auto xg = DotQ8_0::LoadX(x.q + g * kDotBlock);
    // 1 * dx_b: the same float as dx_b.
    const __m256 dx = _mm256_loadu_ps(x.d + g);
    for (size_t i = 0; i < kRows; ++i) {
      const __m256i s =
          Qins8GroupSums(w + i * stride + g * kDotBlock, xg, nb, t[i]);
      acc[i] = _mm256_add_ps(acc[i], _mm256_mul_ps(dx, _mm256_cvtepi32_ps(s)));
    }
  }
  for (size_t i = 0; i < kRows; ++i) out[i] = DotFinalSum(acc[i]) * rows[i].rs;
}
#else
// S_b of one block (n codes, n <= 32; x's codes are 0 past the row).
HWY_INLINE int32_t Qins8BlockSum(const uint8_t* codes, const int8_t* xq,
                                 int e_bits) {
#if HWY_TARGET == HWY_SCALAR
  int32_t sum = 0;  // one lane: the definition itself
  for (size_t j = 0; j < kDotBlock; ++j) {
    const int32_t v =
        static_cast<int32_t>(qins8::IntegerMagnitude(codes[j] & 0x7F, e_bits));
    sum += (codes[j] & 0x80 ? -v : v) * xq[j];
  }
  return sum;
#else
  const hn::CappedTag<int16_t, 16> d16;
  const hn::RebindToUnsigned<decltype(d16)> du16;
  const hn::Rebind<uint8_t, decltype(d16)> du8;
  const hn::Rebind<int8_t, decltype(d16)> d8;
  const hn::RepartitionToWide<decltype(d16)> d32;
  const size_t N = hn::Lanes(d16);
  const int M = qins8::MantissaBits(e_bits);
  const auto mask7 = hn::Set(du16, 0x7F);
  const auto fmask = hn::Set(du16, static_cast<uint16_t>((1 << M) - 1));
  const auto one = hn::Set(du16, 1);
  // 2^max(e - 1, 0) by e, looked up bytewise (Highway 1.0.3's 16-bit
  // variable shift does not compile for SSSE3): the index's high byte 0x80
  // zeroes the result's high byte.
  const hn::Repartition<uint8_t, decltype(du16)> dbytes;
  alignas(16) static constexpr uint8_t kPow[16] = {1, 1, 2, 4, 8, 16, 32, 64};
  const auto pow_table = hn::LoadDup128(dbytes, kPow);
  const auto high = hn::Set(du16, 0x8000);
  auto s0 = hn::Zero(d32), s1 = hn::Zero(d32);
  for (size_t k = 0; k < kDotBlock; k += N) {
    const auto c = hn::PromoteTo(du16, hn::LoadU(du8, codes + k));
    const auto m = hn::And(c, mask7);
    const auto e = hn::ShiftRightSame(m, M);
    // (f | [e > 0] << M) << max(e - 1, 0)
    const auto base =
        hn::Or(hn::And(m, fmask), hn::ShiftLeftSame(hn::Min(e, one), M));
    const auto pow =
        hn::BitCast(du16, hn::TableLookupBytesOr0(
                              pow_table, hn::BitCast(dbytes, hn::Or(e, high))));
    const auto mag = hn::BitCast(d16, hn::Mul(base, pow));
    // The code's bit 7 moved to the int16 sign bit.
    const auto neg = hn::BitCast(d16, hn::ShiftLeft<8>(c));
    const auto v = hn::IfNegativeThenElse(neg, hn::Neg(mag), mag);
    const auto q = hn::PromoteTo(d16, hn::LoadU(d8, xq + k));
    s0 = hn::ReorderWidenMulAccumulate(d32, v, q, s0, s1);
  }
  return hn::GetLane(hn::SumOfLanes(d32, hn::Add(s0, s1)));
#endif
}

template <size_t kRows>
HWY_INLINE void Qins8DotRows(const uint8_t* HWY_RESTRICT w, size_t stride,
                             const Q8Blocks& x, const Qins8DotRow* rows,
                             float* out, GroupPrefetch pf) {
  float acc[kRows][kDotGroup] = {};
  for (size_t g = 0; g < x.blocks_padded; g += kDotGroup) {
    const size_t nb = std::min(kDotGroup, x.blocks - g);
    for (size_t j = 0; j < kDotGroup; ++j) {
      if constexpr (kRows == 4) pf.Step();
    }
    for (size_t i = 0; i < kRows; ++i) {
      const uint8_t* row = w + i * stride + g * kDotBlock;
      for (size_t j = 0; j < kDotGroup; ++j) {
        const int32_t s =
            j < nb ? Qins8BlockSum(row + j * kDotBlock,
                                   x.q + (g + j) * kDotBlock, rows[i].e_bits)
                   : 0;
        const float c = 1.0f * x.d[g + j];
        acc[i][j] = acc[i][j] + c * static_cast<float>(s);
      }
    }
  }
  for (size_t i = 0; i < kRows; ++i) out[i] = DotTreeSum(acc[i]) * rows[i].rs;
}
#endif  // HWY_TARGET == HWY_AVX3_DL

// Rows [r0, r1) in groups of 4 (a row's arithmetic is the same in a group
// of 4 and alone: y does not depend on the thread split).
QINS_Q8DOT_ATTR HWY_NOINLINE void GemvQins8Dot(const QuantizedMatrix::Data& m,
                                               const GemvX& gx, float* y,
                                               size_t r0, size_t r1) {
  const Q8Blocks& x = gx.q8;
  for (size_t r = r0; r < r1; r += 4) {
    const size_t n = std::min<size_t>(4, r1 - r);
    Qins8DotRow rows[4];
    for (size_t i = 0; i < n; ++i) rows[i] = Qins8DotRowOf(m, r + i);
    if (n == 4) {
      Qins8DotRows<4>(m.row(r), m.row_stride, x, rows, y + r,
                      GroupPrefetch::ForGroup(m, r, r1, x.blocks_padded));
    } else {
      for (size_t i = 0; i < n; ++i) {
        Qins8DotRows<1>(m.row(r + i), m.row_stride, x, rows + i, y + r + i,
                        GroupPrefetch(nullptr, 0, 0));
      }
    }
  }
}

// `dot` reads x quantized (GemvX::q8), no f32 copy.
template <>
struct GemvKernelOf<FormatKind::kQins8, GemvStrategy::kDot>
    : GemvKernel<&GemvQins8Dot> {};

#undef QINS_Q8DOT_ATTR

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_GEMV_GEMV_QINS8_DOT_INL_H_
