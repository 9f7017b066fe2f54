// The per-target nearest-code helpers of kernels/formats/qins8_encode-inl.h
// against the scalar qins8::NearestIndex / DecodeIndex, on every code's
// value, the exact midpoints between neighbouring codes (ties, to even), one
// ulp either side of them, the binade boundaries and values past the top.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/kernels/formats/qins8_encode_rounding_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/formats/qins8_encode-inl.h"

#ifndef QINS_TESTS_QINS8_ENCODE_ROUNDING_TEST_ONCE_
#define QINS_TESTS_QINS8_ENCODE_ROUNDING_TEST_ONCE_
#include <cmath>
#include <vector>

#include "dispatch/target_index.h"
#include "gtest/gtest.h"
#include "kernels/formats/qins8_code.h"
#include "tests/support/per_target.h"

namespace qins {
// The inputs a = |x| / s to check for exponent width e.
inline std::vector<float> RoundingInputs(int e) {
  std::vector<float> a = {0.0f, 1e-30f, 0.5f, 1.0f, 255.0f, 256.0f, 1e9f};
  for (uint32_t m = 0; m < 128; ++m) {
    const float v = qins8::DecodeIndex(m, e);
    a.push_back(v);
    a.push_back(std::nextafter(v, 0.0f));
    a.push_back(std::nextafter(v, 1e30f));
    if (m < 127) {
      // The midpoint to the next code is exact in f32 (one more bit).
      const float mid = 0.5f * (v + qins8::DecodeIndex(m + 1, e));
      a.push_back(mid);
      a.push_back(std::nextafter(mid, 0.0f));
      a.push_back(std::nextafter(mid, 1e30f));
    }
  }
  const float top = qins8::MaxValue(e);
  for (float t = top; t < 600.0f; t *= 1.01f) a.push_back(t);
  return a;
}
}  // namespace qins
#endif

HWY_BEFORE_NAMESPACE();
namespace qins {
namespace HWY_NAMESPACE {

// Number of inputs where the SIMD code or value differs from the scalar one.
template <int kE>
size_t CountMismatchesE() {
  const Qins8Tag df;
  const Qins8IntTag di;
  const size_t N = hn::Lanes(df);
  const std::vector<float> a = RoundingInputs(kE);
  HWY_ALIGN float in[16];
  HWY_ALIGN float value[16];
  HWY_ALIGN int32_t code[16];
  size_t bad = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t l = 0; l < N; ++l) in[l] = a[i];
    const auto v = hn::Load(df, in);
    hn::Store(Qins8NearestValue<kE>(v), df, value);
    hn::Store(Qins8NearestCode<kE>(v), di, code);
    const uint8_t m = qins8::NearestIndex(a[i], kE);
    for (size_t l = 0; l < N; ++l) {
      if (code[l] != m || value[l] != qins8::DecodeIndex(m, kE)) {
        if (bad < 5) {
          fprintf(stderr, "E=%d a=%.9g: code %d value %.9g, want %d %.9g\n", kE,
                  a[i], code[l], value[l], m, qins8::DecodeIndex(m, kE));
        }
        ++bad;
      }
    }
  }
  return bad;
}

size_t CountRoundingMismatches() {
  return CountMismatchesE<1>() + CountMismatchesE<2>() + CountMismatchesE<3>();
}

}  // namespace HWY_NAMESPACE
}  // namespace qins
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace qins {
namespace {

HWY_EXPORT(CountRoundingMismatches);

class Qins8EncodeRoundingTest : public testing::PerTargetTest {};

TEST_P(Qins8EncodeRoundingTest, NearestCodeAndValueMatchTheScalarHelpers) {
  const size_t bad = HWY_DISPATCH_TABLE(
      CountRoundingMismatches)[HwyTableIndex(target().bit)]();
  EXPECT_EQ(bad, 0u);
}

QINS_INSTANTIATE_PER_TARGET(Qins8EncodeRoundingTest);

}  // namespace
}  // namespace qins
#endif  // HWY_ONCE
