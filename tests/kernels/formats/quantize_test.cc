// Quantize / Dequantize for every format: input validation, round-trip error
// bounds, and the parallel decoder against the scalar reference.
#include "qins/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "dispatch/decode_kernels.h"
#include "dispatch/encode_kernels.h"
#include "gtest/gtest.h"
#include "kernels/formats/codec.h"
#include "kernels/formats/format_table.h"
#include "tests/support/format_cols.h"
#include "tests/support/per_target.h"
#include "tests/support/reference.h"

namespace qins {
namespace {

using testing::FitCols;
using testing::RandomFloats;

TEST(QuantizeTest, RejectsBadInputWithClearMessages) {
  for (Format f : AllFormats()) {
    SCOPED_TRACE(FormatName(f));
    const size_t c = FitCols(f, 4);  // 4, or 256 for the K-quants
    const std::vector<float> w(3 * c, 0.5f);
    EXPECT_EQ(Quantize(f, w.data(), 0, c).status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(Quantize(f, w.data(), 3, 0).status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(Quantize(f, nullptr, 3, c).status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(Quantize(f, w.data(), 3, c, 2).status().code(),
              StatusCode::kInvalidArgument);
    std::vector<float> bad = w;
    bad[c + 2] = std::numeric_limits<float>::quiet_NaN();
    StatusOr<QuantizedMatrix> q = Quantize(f, bad.data(), 3, c);
    ASSERT_FALSE(q.ok());
    EXPECT_NE(q.status().message().find("NaN weight at row 1, column 2"),
              std::string::npos)
        << q.status().message();
    bad[c + 2] = -std::numeric_limits<float>::infinity();
    q = Quantize(f, bad.data(), 3, c);
    ASSERT_FALSE(q.ok());
    EXPECT_NE(q.status().message().find("Inf"), std::string::npos);
    // A row length the format cannot hold is refused, naming the format.
    const size_t m = GetFormatInfo(f).col_multiple;
    if (m > 1) {
      q = Quantize(f, w.data(), 1, m + 4);
      ASSERT_FALSE(q.ok());
      EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(
          q.status().message().find(FormatName(f) + " needs a multiple of " +
                                    std::to_string(m)),
          std::string::npos)
          << q.status().message();
    }
  }
  const float big[2] = {1.0f, 70000.0f};
  StatusOr<QuantizedMatrix> h = Quantize(*ParseFormat("f16"), big, 1, 2);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(h.status().message().find("column 1"), std::string::npos);
}

// RMS error relative to RMS weight that each format must stay under on
// N(0, 0.02) rows of 256: its row's bound in the format table.
double Bound(Format f) {
  return FormatRowOf(f.kind).rms_error_bound.At(f.level);
}

// iq4_nl's table {-127, ..., -10, 1, 13, ...} (also iq4_xs's) has no zero:
// a weight near zero decodes to +-d, whose sign follows the block scale, not
// the weight. q4_1 and q5_1 decode to d q + m, the block's min plus a
// multiple of d, and q2_k, q4_k and q5_k to d * q - m with a per-sub-block
// min m: a zero weight decodes to whichever is nearest, of either sign.
bool HasZeroAndSignedCodes(Format f) {
  switch (f.kind) {
    case FormatKind::kIQ4_NL:
    case FormatKind::kIQ4_XS:
    case FormatKind::kQ4_1:
    case FormatKind::kQ5_1:
    case FormatKind::kQ2_K:
    case FormatKind::kQ4_K:
    case FormatKind::kQ5_K:
      return false;
    case FormatKind::kF32:
    case FormatKind::kBF16:
    case FormatKind::kF16:
    case FormatKind::kQ8_0:
    case FormatKind::kI8Row:
    case FormatKind::kQ4_0:
    case FormatKind::kQ5_0:
    case FormatKind::kQins8Seed:
    case FormatKind::kQins8SeedRow:
    case FormatKind::kQins8:
    case FormatKind::kQins4:
    case FormatKind::kFpinsSeed:
    case FormatKind::kFpinsNearest:
    case FormatKind::kQ3_K:
    case FormatKind::kQ6_K:
      return true;
    case FormatKind::kCount:
      break;
  }
  ADD_FAILURE() << "HasZeroAndSignedCodes: no answer for " << FormatName(f);
  return true;
}

double RmsRel(const std::vector<float>& w, const std::vector<float>& q) {
  double e = 0, s = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    e += (double(w[i]) - q[i]) * (double(w[i]) - q[i]);
    s += double(w[i]) * w[i];
  }
  return std::sqrt(e / s);
}

TEST(QuantizeTest, RoundTripErrorIsBoundedAndPaddingIsInvisible) {
  for (Format f : AllFormats()) {
    for (size_t cols_in : {1, 31, 33, 256, 257}) {
      // The K-quants: 256 (bounded below) and 768 (three super-blocks).
      const size_t cols = FitCols(f, cols_in);
      SCOPED_TRACE(::testing::Message() << FormatName(f) << " cols=" << cols);
      const size_t rows = 7, stride = cols + 3;
      std::vector<float> w = RandomFloats(rows * stride, 11 + cols, 0.02f);
      StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), rows, cols, stride);
      ASSERT_TRUE(q.ok()) << q.status().ToString();
      EXPECT_EQ(q->rows(), rows);
      EXPECT_EQ(q->cols(), cols);
      EXPECT_EQ(q->row_stride() % 64, 0u);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(q->row(1)) % 64, 0u);
      std::vector<float> out(rows * cols);
      ASSERT_TRUE(DequantizeReference(*q, out.data()).ok());
      std::vector<float> dense(rows * cols);
      for (size_t r = 0; r < rows; ++r) {
        std::memcpy(&dense[r * cols], &w[r * stride], cols * 4);
      }
      if (cols == 256) {
        EXPECT_LE(RmsRel(dense, out), Bound(f));
      }
      for (size_t i = 0; i < out.size(); ++i) {
        ASSERT_TRUE(std::isfinite(out[i]));
        // Sign preserved (or zero).
        if (HasZeroAndSignedCodes(f)) {
          ASSERT_TRUE(out[i] == 0 || (out[i] > 0) == (dense[i] > 0)) << i;
        }
      }
    }
  }
}

TEST(QuantizeTest, ZerosStayZeroWhereTheFormatHasAZero) {
  for (Format f : AllFormats()) {
    if (!HasZeroAndSignedCodes(f)) continue;
    const size_t cols = FitCols(f, 64);
    std::vector<float> w = RandomFloats(4 * cols, 3, 0.02f);
    for (size_t i = 0; i < w.size(); i += 5) w[i] = 0.0f;
    // (qins8-seed and FPINS: the sign byte 0 makes zero exact.)
    StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), 4, cols);
    ASSERT_TRUE(q.ok());
    std::vector<float> out(w.size());
    ASSERT_TRUE(DequantizeReference(*q, out.data()).ok());
    for (size_t i = 0; i < w.size(); i += 5)
      EXPECT_EQ(out[i], 0.0f) << FormatName(f) << " " << i;
  }
}

class DequantizeTest : public testing::PerTargetTest {};

TEST_P(DequantizeTest, SimdDecodersExistForTheTarget) {
  const DecodeKernels& k = GetDecodeKernels(target());
  EXPECT_EQ(k.target_bit, target().bit);
  for (Format f : AllFormats()) {
    EXPECT_NE(k.row[static_cast<int>(f.kind)], nullptr) << FormatName(f);
  }
}

// A format's codec encodes it in scalar code, or the target has its SIMD
// encoder (EncodeKernelOf, kernels/formats/format_kernels-inl.h): qins8's
// codec has none, so its row must find one on every target.
TEST_P(DequantizeTest, EveryFormatHasAnEncoderOnTheTarget) {
  const EncodeKernels& k = GetEncodeKernels(target());
  EXPECT_EQ(k.target_bit, target().bit);
  for (Format f : AllFormats()) {
    const bool simd = k.rows[static_cast<int>(f.kind)] != nullptr;
    EXPECT_TRUE(GetCodec(f.kind).encode_rows != nullptr || simd)
        << FormatName(f);
  }
  EXPECT_NE(k.rows[static_cast<int>(FormatKind::kQins8)], nullptr);
}

TEST_P(DequantizeTest, SimdDecodeEqualsReferenceBitForBit) {
  for (size_t cols_in : {1, 7, 31, 32, 33, 129, 300}) {
    const size_t rows = 67;
    for (Format f : AllFormats()) {
      const size_t cols = FitCols(f, cols_in);
      // The K-quants: 256 and 768 only once each.
      if (cols != cols_in && cols_in != 1 && cols_in != 300) continue;
      const std::vector<float> w = RandomFloats(rows * cols, 21 + cols, 0.02f);
      SCOPED_TRACE(::testing::Message() << FormatName(f) << " cols=" << cols);
      StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), rows, cols);
      ASSERT_TRUE(q.ok());
      std::vector<float> ref(rows * cols), got(rows * (cols + 1), -1.0f);
      ASSERT_TRUE(DequantizeReference(*q, ref.data()).ok());
      ASSERT_TRUE(Dequantize(testing::MakeContext(target(), 2), *q, got.data(),
                             cols + 1)
                      .ok());
      for (size_t r = 0; r < rows; ++r) {
        ASSERT_EQ(0,
                  std::memcmp(&ref[r * cols], &got[r * (cols + 1)], cols * 4))
            << "row " << r;
        ASSERT_EQ(got[r * (cols + 1) + cols], -1.0f);  // stride gap untouched
      }
    }
  }
}

TEST_P(DequantizeTest, DequantizeRowsEqualsDequantizeAndChecksBounds) {
  const size_t rows = 37;
  const Context ctx = testing::MakeContext(target(), 2);
  for (Format f : AllFormats()) {
    SCOPED_TRACE(FormatName(f));
    const size_t cols = FitCols(f, 45);
    const std::vector<float> w = RandomFloats(rows * cols, 5, 0.02f);
    StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), rows, cols);
    ASSERT_TRUE(q.ok());
    std::vector<float> all(rows * cols);
    ASSERT_TRUE(Dequantize(ctx, *q, all.data()).ok());
    for (size_t begin : {size_t{0}, size_t{13}, rows - 1}) {
      const size_t count = std::min<size_t>(5, rows - begin);
      std::vector<float> got(count * (cols + 2), -1.0f);
      ASSERT_TRUE(
          DequantizeRows(ctx, *q, begin, count, got.data(), cols + 2).ok());
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(0, std::memcmp(&all[(begin + i) * cols], &got[i * (cols + 2)],
                                 cols * 4))
            << "row " << begin + i;
        ASSERT_EQ(got[i * (cols + 2) + cols], -1.0f);
      }
    }
    std::vector<float> out(2 * cols);
    EXPECT_TRUE(DequantizeRows(ctx, *q, rows, 0, out.data()).ok());
    EXPECT_EQ(DequantizeRows(ctx, *q, rows - 1, 2, out.data()).code(),
              StatusCode::kOutOfRange);
    EXPECT_EQ(DequantizeRows(ctx, *q, rows, 1, out.data()).code(),
              StatusCode::kOutOfRange);
    EXPECT_EQ(DequantizeRows(ctx, *q, SIZE_MAX, 2, out.data()).code(),
              StatusCode::kOutOfRange);
    EXPECT_EQ(DequantizeRows(ctx, *q, 0, 1, nullptr).code(),
              StatusCode::kInvalidArgument);
  }
}

// Quantize checks for overflowed scales with the context's SIMD decoder:
// on every target an f16 block scale that rounded to Inf must decode
// non-finite. Highway 1.0.3's emulated f16 PromoteTo (SSE4, SSSE3, SCALAR)
// made it a finite 2^16, and q8_0, q4_0, iq4_nl, q4_1, q5_0 and q5_1 kept
// Inf scales there (found 2026-12-06; LoadBlockParams converts those
// scales exactly now).
TEST_P(DequantizeTest, ScaleOverflowIsOutOfRangeOnTheTarget) {
  std::vector<float> w(64, 0.01f);
  w[40] = -8.4e37f;
  const Context ctx = testing::MakeContext(target(), 1);
  for (const char* name :
       {"q8_0", "q4_0", "iq4_nl", "qins4", "q4_1", "q5_0", "q5_1"}) {
    StatusOr<QuantizedMatrix> q =
        Quantize(ctx, *ParseFormat(name), w.data(), 1, 64);
    ASSERT_FALSE(q.ok()) << name;
    EXPECT_EQ(q.status().code(), StatusCode::kOutOfRange) << name;
  }
}

QINS_INSTANTIATE_PER_TARGET(DequantizeTest);

// Finite weights beyond a format's range (here an f16 block scale beyond
// 65504) are refused with a message, not stored as Inf/NaN scales. Found by
// tests/fuzz/quantize_fuzzer.cc.
TEST(QuantizeTest, ScaleOverflowIsOutOfRange) {
  std::vector<float> w(64, 0.01f);
  w[40] = -8.4e37f;
  for (const char* name :
       {"q8_0", "q4_0", "iq4_nl", "qins4", "f16", "q4_1", "q5_0", "q5_1"}) {
    StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat(name), w.data(), 1, 64);
    ASSERT_FALSE(q.ok()) << name;
    EXPECT_EQ(q.status().code(), StatusCode::kOutOfRange) << name;
    EXPECT_NE(q.status().message().find("column 40"), std::string::npos)
        << q.status().message();
  }
  // The K-quants: the super-block's f16 d overflows; the message names the
  // super-block's largest weight.
  std::vector<float> wk(256, 0.01f);
  wk[40] = -8.4e37f;
  for (const char* name : {"q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_xs"}) {
    StatusOr<QuantizedMatrix> q =
        Quantize(*ParseFormat(name), wk.data(), 1, 256);
    ASSERT_FALSE(q.ok()) << name;
    EXPECT_EQ(q.status().code(), StatusCode::kOutOfRange) << name;
    EXPECT_NE(q.status().message().find("column 40"), std::string::npos)
        << q.status().message();
  }
  // The largest value each keeps: q4_0's scale max / -8 still fits f16.
  w[40] = -5.0e5f;
  EXPECT_TRUE(Quantize(*ParseFormat("q4_0"), w.data(), 1, 64).ok());
  EXPECT_TRUE(Quantize(*ParseFormat("q8_0"), w.data(), 1, 64).ok());
}

// Issue 19 item 9: FPINS stored |w| > 256 as +-256 with an OK status while
// docs/hardening.md says out-of-range weights are refused, never clamped.
TEST(QuantizeTest, FpinsRefusesMagnitudesAbove256) {
  std::vector<float> w(16, 0.01f);
  for (const char* name : {"fpins0-seed", "fpins3-nearest", "fpins7-seed"}) {
    StatusOr<Format> f = ParseFormat(name);
    ASSERT_TRUE(f.ok()) << name;
    w[9] = 256.0f;  // the largest magnitude: kept exactly
    StatusOr<QuantizedMatrix> ok = Quantize(*f, w.data(), 1, 16);
    ASSERT_TRUE(ok.ok()) << name << ": " << ok.status().ToString();
    std::vector<float> back(16);
    ASSERT_TRUE(DequantizeReference(*ok, back.data()).ok());
    EXPECT_EQ(back[9], 256.0f) << name;
    w[9] = -256.5f;
    StatusOr<QuantizedMatrix> q = Quantize(*f, w.data(), 1, 16);
    ASSERT_FALSE(q.ok()) << name;
    EXPECT_EQ(q.status().code(), StatusCode::kOutOfRange);
    EXPECT_NE(q.status().message().find("row 0, column 9"), std::string::npos)
        << q.status().message();
    EXPECT_NE(q.status().message().find("at most 256"), std::string::npos);
  }
}

}  // namespace
}  // namespace qins
