// The per-target qins8 encoder (kernels/formats/qins8_encode-inl.h): every
// target gives the scalar target's bytes and parameters, the codes are the
// nearest codes for the chosen (E, s), and (E, s) minimises the row's squared
// error over the documented candidate set (checked against a plain f64
// search written here).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/formats/qins8_code.h"
#include "qins/format.h"
#include "qins/quantize.h"
#include "qins/targets.h"
#include "tests/support/per_target.h"

namespace qins {
namespace {

constexpr int kRowsPerShape = 9;

// Rows of different character, `cols` weights each (row-major).
std::vector<float> TestRows(size_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> w(kRowsPerShape * cols);
  for (size_t c = 0; c < cols; ++c) {
    float* col = w.data() + c;
    col[0 * cols] = normal(rng);  // bell-shaped: E = 2 usually wins
    // Heavy tail: every 5th weight 40x larger (E = 3 can win).
    col[1 * cols] = normal(rng) * (c % 5 == 2 ? 40.0f : 1.0f);
    col[2 * cols] = uniform(rng);        // flat: E = 1 usually wins
    col[3 * cols] = 0.0f;                // all zero
    col[4 * cols] = c % 3 == 0   ? 0.0f  // exact zeros and negative zeros
                    : c % 3 == 1 ? -0.0f
                                 : normal(rng);
    col[5 * cols] = normal(rng) * 1e-30f;  // tiny row (scaled search)
    col[6 * cols] = normal(rng) * 1e30f;   // huge weights
    col[7 * cols] = c % 2 ? 0.5f : -0.5f;  // constant magnitude
    col[8 * cols] = normal(rng) * 1e-38f;  // subnormal-range weights
  }
  return w;
}

Format Qins8() { return *ParseFormat("qins8"); }

// The compiled fallback target (scalar or emu128).
Target FallbackTarget() {
  for (Target t : CompiledTargets()) {
    const std::string name = TargetName(t);
    if (name == "scalar" || name == "emu128") return t;
  }
  return CompiledTargets().back();
}

class Qins8EncodeTest : public testing::PerTargetTest {};

TEST_P(Qins8EncodeTest, EveryTargetGivesTheFallbackTargetsBytes) {
  const Context ref_ctx = testing::MakeContext(FallbackTarget(), 1);
  const Context ctx = testing::MakeContext(target(), 2);
  for (size_t cols : {1, 7, 16, 33, 300, 600}) {
    const std::vector<float> w = TestRows(cols, 11 + cols);
    StatusOr<QuantizedMatrix> ref =
        Quantize(ref_ctx, Qins8(), w.data(), kRowsPerShape, cols);
    StatusOr<QuantizedMatrix> got =
        Quantize(ctx, Qins8(), w.data(), kRowsPerShape, cols);
    ASSERT_TRUE(ref.ok()) << ref.status().message();
    ASSERT_TRUE(got.ok()) << got.status().message();
    for (size_t r = 0; r < kRowsPerShape; ++r) {
      SCOPED_TRACE("cols " + std::to_string(cols) + " row " +
                   std::to_string(r));
      EXPECT_EQ(got->row_params(r)[0], ref->row_params(r)[0]);
      EXPECT_EQ(got->row_params(r)[1], ref->row_params(r)[1]);
      EXPECT_EQ(std::memcmp(got->row(r), ref->row(r), cols), 0);
    }
  }
}

// Squared error of |x| coded with (E, s), the nearest codes, in f64.
double RowError(const float* x, size_t cols, int e, float s) {
  const float inv = 1.0f / s;
  double err = 0;
  for (size_t c = 0; c < cols; ++c) {
    const uint8_t m = qins8::NearestIndex(std::fabs(x[c]) * inv, e);
    const double d = static_cast<double>(std::fabs(x[c])) -
                     static_cast<double>(qins8::DecodeIndex(m, e) * s);
    err += d * d;
  }
  return err;
}

// The documented search with a plain f64 sum: returns the least error.
double ReferenceSearchError(const float* x, size_t cols) {
  float amax = 0;
  for (size_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(x[c]));
  double best = RowError(x, cols, 1, amax / qins8::MaxValue(1));
  for (int e = 1; e <= 3; ++e) {
    const float top = qins8::MaxValue(e);
    float center = 1.0f;
    double center_err = -1;
    for (float mult = 0.55f; mult <= 1.0001f; mult += 0.05f) {
      const double err = RowError(x, cols, e, amax * mult / top);
      if (center_err < 0 || err < center_err) {
        center_err = err;
        center = mult;
      }
    }
    for (float delta = -0.0375f; delta <= 0.0376f; delta += 0.0125f) {
      const float mult = std::min(1.0f, center + delta);
      const double err = RowError(x, cols, e, amax * mult / top);
      center_err = std::min(center_err, err);
    }
    best = std::min(best, center_err);
  }
  return best;
}

TEST_P(Qins8EncodeTest, CodesAreNearestAndScaleMinimisesTheError) {
  const Context ctx = testing::MakeContext(target(), 1);
  for (size_t cols : {1, 7, 33, 300, 4096}) {
    const std::vector<float> w = TestRows(cols, 3 + cols);
    StatusOr<QuantizedMatrix> q =
        Quantize(ctx, Qins8(), w.data(), kRowsPerShape, cols);
    ASSERT_TRUE(q.ok()) << q.status().message();
    for (size_t r = 0; r < kRowsPerShape; ++r) {
      SCOPED_TRACE("cols " + std::to_string(cols) + " row " +
                   std::to_string(r));
      const float* x = w.data() + r * cols;
      const float s = q->row_params(r)[0];
      const int e = static_cast<int>(q->row_params(r)[1]);
      ASSERT_TRUE(e >= 1 && e <= 3);
      ASSERT_TRUE(std::isfinite(s) && s > 0) << s;
      if (r == 3) {  // all zero
        for (size_t c = 0; c < cols; ++c) EXPECT_EQ(q->row(r)[c], 0);
        continue;
      }
      if (r == 8) {
        // Subnormal weights: s is subnormal too and rounded when scaled back
        // from the search's 2^149-scaled row (TinyRowsDecode... checks it).
        continue;
      }
      // Codes: nearest for (E, s), sign bit on negative nonzero codes.
      const float inv = 1.0f / s;
      for (size_t c = 0; c < cols; ++c) {
        const uint8_t m = qins8::NearestIndex(std::fabs(x[c]) * inv, e);
        const uint8_t want =
            static_cast<uint8_t>((x[c] < 0 && m ? 0x80 : 0) | m);
        ASSERT_EQ(q->row(r)[c], want) << "column " << c << " x " << x[c];
      }
      // (E, s) is the candidate of least f64 error, up to the f32 rounding
      // of the encoder's partial sums (relative ~1e-6).
      const double best = ReferenceSearchError(x, cols);
      const double got = RowError(x, cols, e, s);
      EXPECT_LE(got, best * (1 + 1e-6) + 1e-300) << "E " << e << " s " << s;
    }
  }
}

TEST_P(Qins8EncodeTest, TinyRowsDecodeCloseToTheirWeights) {
  const Context ctx = testing::MakeContext(target(), 1);
  const size_t cols = 300;
  const std::vector<float> w = TestRows(cols, 99);
  StatusOr<QuantizedMatrix> q =
      Quantize(ctx, Qins8(), w.data(), kRowsPerShape, cols);
  ASSERT_TRUE(q.ok()) << q.status().message();
  std::vector<float> out(kRowsPerShape * cols);
  ASSERT_TRUE(DequantizeReference(*q, out.data()).ok());
  // Row 5 (~1e-32): s stays normal, so the error is as for any row.
  double err = 0, norm = 0;
  for (size_t c = 0; c < cols; ++c) {
    const double d = static_cast<double>(out[5 * cols + c]) - w[5 * cols + c];
    err += d * d;
    norm += static_cast<double>(w[5 * cols + c]) * w[5 * cols + c];
  }
  EXPECT_LT(std::sqrt(err / norm), 0.02);
  // Row 8 (subnormal weights): every decoded weight is finite and no
  // further from its weight than the row's largest magnitude.
  float amax = 0;
  for (size_t c = 0; c < cols; ++c)
    amax = std::max(amax, std::fabs(w[8 * cols + c]));
  for (size_t c = 0; c < cols; ++c) {
    ASSERT_TRUE(std::isfinite(out[8 * cols + c]));
    EXPECT_LE(std::fabs(out[8 * cols + c] - w[8 * cols + c]), amax);
  }
}

QINS_INSTANTIATE_PER_TARGET(Qins8EncodeTest);

}  // namespace
}  // namespace qins
