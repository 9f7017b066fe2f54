// Per-target element-wise QINS operations: table lookups of code pairs (one
// gather per vector) and the same operations computed in float arithmetic.
// Included once per target by dispatch/lookup_dispatch.cc through
// hwy/foreach_target.h.
//
// Lookup design. Highway 1.0.3 gathers only 32/64-bit lanes, and the tables
// are bytes (64 KiB each, as in the document). Each code pair becomes a byte
// offset a * 256 + b into the table; GatherOffset loads the 4-byte word that
// starts at that byte, and the low byte of the word (little-endian) is the
// entry. The word can reach 3 bytes past a table's last entry; the caller
// guarantees those bytes are readable (QinsTables keeps other members after
// each table). The alternative, tables widened to int32, would be 256 KiB per
// table (4x the cache footprint) to save one AND per vector.

#if defined(QINS_KERNELS_QINS_TABLES_LOOKUP_OPS_INL_H_) == \
    defined(HWY_TARGET_TOGGLE)
#ifdef QINS_KERNELS_QINS_TABLES_LOOKUP_OPS_INL_H_
#undef QINS_KERNELS_QINS_TABLES_LOOKUP_OPS_INL_H_
#else
#define QINS_KERNELS_QINS_TABLES_LOOKUP_OPS_INL_H_
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hwy/highway.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "lookup_ops-inl.h takes the low byte of a gathered word: little-endian"
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One vector of N = Lanes(int32) code pairs: out[0, N) = the table bytes at
// words + table_offset + a * 256 + b.
template <class D32, class D8, class V32>
HWY_INLINE void LookupPairsVec(D32 d32, D8 d8, const int32_t* words, V32 offset,
                               V32 low_byte, const uint8_t* a, const uint8_t* b,
                               uint8_t* out) {
  const V32 va = hn::PromoteTo(d32, hn::LoadU(d8, a));
  const V32 vb = hn::PromoteTo(d32, hn::LoadU(d8, b));
  const V32 index = hn::Add(hn::Or(hn::ShiftLeft<8>(va), vb), offset);
  const V32 word = hn::GatherOffset(d32, words, index);
  hn::StoreU(hn::DemoteTo(d8, hn::And(word, low_byte)), d8, out);
}

// out[i] = base[table_offset + a[i] * 256 + b[i]] for i < n.
// Per vector of N = Lanes(int32) pairs (N = 16 on AVX3/AVX3_DL, 8 on AVX2,
// 4 on SSSE3/SSE4/NEON, 1 on SCALAR, 4..64 on SVE): 2 loads of N bytes
// zero-extended to int32, 1 shift + 1 OR + 1 add for the byte offsets,
// 1 gather of N 32-bit words, 1 AND, 1 demotion int32 -> uint8 (pack
// shuffles) and 1 store of N bytes. The gather is one instruction of N
// loads on AVX2, AVX3 and SVE; on SSSE3, SSE4, NEON and SCALAR Highway
// emulates it with N scalar 4-byte loads through a stack buffer. Vectors
// are independent, so out-of-order execution overlaps the gathers of
// successive iterations. Not HWY_RESTRICT: out may alias a or b (each
// vector is loaded before it is stored).
HWY_NOINLINE void LookupPairsU8(const uint8_t* base, uint32_t table_offset,
                                const uint8_t* a, const uint8_t* b,
                                uint8_t* out, size_t n) {
  const hn::ScalableTag<int32_t> d32;
  const hn::Rebind<uint8_t, decltype(d32)> d8;
  const size_t N = hn::Lanes(d32);
  const int32_t* words = reinterpret_cast<const int32_t*>(base);
  const auto offset = hn::Set(d32, static_cast<int32_t>(table_offset));
  const auto low_byte = hn::Set(d32, 0xFF);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    LookupPairsVec(d32, d8, words, offset, low_byte, a + i, b + i, out + i);
  }
  if (i < n) {
    // Fewer than N pairs left: run one vector on zero-padded copies (code
    // pair (0, 0) is a valid index), so nothing past the arrays is touched.
    const size_t rest = n - i;
    HWY_ALIGN uint8_t abuf[hn::MaxLanes(d32)] = {};
    HWY_ALIGN uint8_t bbuf[hn::MaxLanes(d32)] = {};
    HWY_ALIGN uint8_t obuf[hn::MaxLanes(d32)];
    memcpy(abuf, a + i, rest);
    memcpy(bbuf, b + i, rest);
    LookupPairsVec(d32, d8, words, offset, low_byte, abuf, bbuf, obuf);
    memcpy(out + i, obuf, rest);
  }
}

// Float tails: one vector on copies padded with 1.0f (no 0/0 in unused
// lanes).
template <class D, class Op>
HWY_INLINE void BinaryF32Tail(D d, const float* a, const float* b, float* out,
                              size_t rest, Op op) {
  HWY_ALIGN float abuf[hn::MaxLanes(d)];
  HWY_ALIGN float bbuf[hn::MaxLanes(d)];
  HWY_ALIGN float obuf[hn::MaxLanes(d)];
  for (size_t l = 0; l < hn::MaxLanes(d); ++l) abuf[l] = bbuf[l] = 1.0f;
  memcpy(abuf, a, rest * sizeof(float));
  memcpy(bbuf, b, rest * sizeof(float));
  hn::Store(op(hn::Load(d, abuf), hn::Load(d, bbuf)), d, obuf);
  memcpy(out, obuf, rest * sizeof(float));
}

// out[i] = (a[i] * b[i]) / (a[i] + b[i]). Per vector of Lanes(float): 2
// loads, 1 multiply, 1 add, 1 divide (IEEE, correctly rounded on every
// target, so the result equals the scalar expression), 1 store. The divide
// is the long-latency, low-throughput step; vectors are independent.
HWY_NOINLINE void HarmonicAddF32Vec(const float* a, const float* b, float* out,
                                    size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto op = [](auto va, auto vb) {
    return hn::Div(hn::Mul(va, vb), hn::Add(va, vb));
  };
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(op(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, out + i);
  }
  if (i < n) BinaryF32Tail(d, a + i, b + i, out + i, n - i, op);
}

// out[i] = a[i] * b[i]. Per vector of Lanes(float): 2 loads, 1 multiply,
// 1 store.
HWY_NOINLINE void MulF32Vec(const float* a, const float* b, float* out,
                            size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto op = [](auto va, auto vb) { return hn::Mul(va, vb); };
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(op(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, out + i);
  }
  if (i < n) BinaryF32Tail(d, a + i, b + i, out + i, n - i, op);
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#endif  // QINS_KERNELS_QINS_TABLES_LOOKUP_OPS_INL_H_
