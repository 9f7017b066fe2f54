// qins::Repack: after it, Gemv's kDot gives the same bits as before (the
// row kernel, itself checked bit for bit against an independent scalar
// reference in gemv_dot_test.cc), on every target (AVX3_DL reads the
// interleaved copy; the others ignore it), for odd shapes (partial panels,
// partial and non-multiple-of-8 blocks), x with zero, tiny, huge and tie
// blocks, any thread count; the copy is shared by the matrix's copies;
// errors.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "qins/format.h"
#include "qins/gemv.h"
#include "qins/quantize.h"
#include "tests/support/dot_reference.h"
#include "tests/support/format_cols.h"
#include "tests/support/per_target.h"
#include "tests/support/reference.h"

namespace qins {
namespace {

class GemvRepackedTest : public testing::PerTargetTest {};

std::vector<float> DotY(const Context& ctx, const QuantizedMatrix& q,
                        const float* x) {
  std::vector<float> y(q.rows(), NAN);
  const Status s = Gemv(ctx, q, x, y.data(), {GemvStrategy::kDot});
  EXPECT_TRUE(s.ok()) << s.ToString();
  return y;
}

// Gemv(kDot) on two clones of q, the second after Repack, bit for bit: x
// mixed, then x at codes +-127 (every `period`-th column negative).
void ExpectRepackedSameBits(Target t, const QuantizedMatrix& q, uint64_t seed,
                            size_t period) {
  const size_t rows = q.rows(), cols = q.cols();
  for (int xi = 0; xi < 2; ++xi) {
    std::vector<float> x = testing::MixedX(cols, seed);
    if (xi == 1) {
      for (size_t j = 0; j < cols; ++j) x[j] = j % period ? 1.0f : -1.0f;
    }
    const Context ctx = testing::MakeContext(t, 2);
    const QuantizedMatrix fresh = q.Clone();
    const std::vector<float> before = DotY(ctx, fresh, x.data());
    const QuantizedMatrix packed = q.Clone();
    ASSERT_TRUE(Repack(ctx, packed).ok());
    const std::vector<float> after = DotY(ctx, packed, x.data());
    EXPECT_EQ(0, std::memcmp(before.data(), after.data(), rows * 4))
        << "x set " << xi;
  }
}

// n pseudo-random bytes (a 32-bit LCG's top byte).
std::vector<uint8_t> RandomBytes(size_t n, uint32_t state) {
  std::vector<uint8_t> v(n);
  for (uint8_t& b : v) {
    state = state * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(state >> 24);
  }
  return v;
}

TEST_P(GemvRepackedTest, SameBitsAsTheRowKernel) {
  for (const char* name : {"q4_0", "iq4_nl", "q4_1", "q5_0", "q5_1", "q2_k",
                           "q3_k", "q4_k", "q5_k", "q6_k", "iq4_xs", "qins4"}) {
    const Format f = *ParseFormat(name);
    ASSERT_TRUE(HasRepack(f));
    // Per super-block of 256 columns (0: a 32-block format).
    const size_t super = f.kind == FormatKind::kQ2_K     ? 1344
                         : f.kind == FormatKind::kQ3_K   ? 1824
                         : f.kind == FormatKind::kQ4_K   ? 2368
                         : f.kind == FormatKind::kQ5_K   ? 2880
                         : f.kind == FormatKind::kQ6_K   ? 3360
                         : f.kind == FormatKind::kIQ4_XS ? 2208
                                                         : 0;
    for (size_t n : {1, 15, 16, 17, 50, 301}) {
      for (size_t k_in : {1, 31, 33, 300, 520, 1024}) {
        // The K-quants: whole super-blocks, k = 256, 768, 1024.
        const size_t k = testing::FitCols(f, k_in);
        if (k != k_in && k_in != 1 && k_in != 520) continue;
        SCOPED_TRACE(::testing::Message() << name << " n=" << n << " k=" << k);
        const std::vector<float> w =
            testing::RandomFloats(n * k, 7 + n * 3 + k, 0.02f);
        StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), n, k);
        ASSERT_TRUE(q.ok());
        const std::vector<float> x = testing::MixedX(k, 5 + k);
        const Context ctx = testing::MakeContext(target(), 2);
        const std::vector<float> before = DotY(ctx, *q, x.data());
        EXPECT_EQ(RepackedBytes(*q), 0u);
        ASSERT_TRUE(Repack(ctx, *q).ok());
        // 16-row panels, blocks of 32 padded to 8, 288 bytes each (q4_1:
        // 320, with the mins; the K-quants per super-block).
        const size_t per_panel =
            super != 0 ? k / 256 * super
                       : ((k + 31) / 32 + 7) / 8 * 8 *
                             (f.kind == FormatKind::kQ4_1   ? 320
                              : f.kind == FormatKind::kQ5_0 ? 352
                              : f.kind == FormatKind::kQ5_1 ? 384
                                                            : 288);
        EXPECT_EQ(RepackedBytes(*q), (n + 15) / 16 * per_panel);
        for (int threads : {1, 2, 3}) {
          const std::vector<float> after =
              DotY(testing::MakeContext(target(), threads), *q, x.data());
          ASSERT_EQ(0, std::memcmp(before.data(), after.data(), n * 4))
              << threads << " threads";
        }
      }
    }
  }
}

// Weights at the nibble ends and x codes at +-127: the largest block sums.
TEST_P(GemvRepackedTest, ExtremeCodes) {
  const size_t n = 40, k = 512;
  std::vector<float> w(n * k), x(k);
  for (size_t i = 0; i < n * k; ++i) w[i] = (i / 3) % 2 ? -1.0f : 1.0f;
  for (size_t c = 0; c < k; ++c) x[c] = c % 5 ? 2.0f : -2.0f;
  for (const char* name : {"q4_0", "iq4_nl", "q4_1", "q5_0", "q5_1", "q2_k",
                           "q3_k", "q4_k", "q5_k", "q6_k", "iq4_xs", "qins4"}) {
    SCOPED_TRACE(name);
    StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat(name), w.data(), n, k);
    ASSERT_TRUE(q.ok());
    const Context ctx = testing::MakeContext(target(), 2);
    const std::vector<float> before = DotY(ctx, *q, x.data());
    ASSERT_TRUE(Repack(ctx, *q).ok());
    EXPECT_EQ(
        0, std::memcmp(before.data(), DotY(ctx, *q, x.data()).data(), n * 4));
  }
}

// qins4 from raw bytes: random nibbles and headers, so every block picks
// one of the 16 tables at random (a row's table applied to another row, or
// a sign not negated, changes y) with random 12-bit scales (zero, subnormal
// and the largest finite included); row 0 all ones (table 15, scale 0xF7F,
// -127 everywhere), row 1 all zero.
TEST_P(GemvRepackedTest, Qins4EveryTableAndScale) {
  const Format f = *ParseFormat("qins4");
  for (size_t rows : {2, 17, 40}) {
    for (size_t cols : {32, 100, 520}) {
      SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
      const size_t blocks = (cols + 31) / 32;
      std::vector<uint8_t> payload = RandomBytes(
          rows * blocks * 18, 77 + static_cast<uint32_t>(rows * cols));
      for (size_t r = 0; r < rows; ++r) {
        for (size_t b = 0; b < blocks; ++b) {
          uint8_t* blk = payload.data() + (r * blocks + b) * 18;
          if (r < 2) std::memset(blk, r == 0 ? 0xFF : 0x00, 18);
          uint16_t h;
          std::memcpy(&h, blk, 2);
          uint16_t scale12 = static_cast<uint16_t>((h >> 4) % 0xF80);
          if (r == 0) scale12 = 0xF7F;
          if (r == 1) scale12 = 0;
          h = static_cast<uint16_t>(scale12 << 4 | (h & 0xF));
          std::memcpy(blk, &h, 2);
        }
      }
      StatusOr<QuantizedMatrix> q = QuantizedMatrix::FromParts(
          f, rows, cols, payload.data(), payload.size(), {}, {});
      ASSERT_TRUE(q.ok()) << q.status().ToString();
      ExpectRepackedSameBits(target(), *q, 9 + cols, 3);
    }
  }
}

// q6_k from raw bytes: random codes (low and high bits), random int8
// scales (-128 and 127 included) and finite f16 d (normal, subnormal,
// zero, negative) per super-block; row 0 all 0xFF (q = 63, scales -1, d =
// NaN bits replaced by a finite one), row 1 all zero. A high-bit pair or a
// half's scale taken from the wrong place changes y.
TEST_P(GemvRepackedTest, Q6KRandomCodesAndScales) {
  const Format f = *ParseFormat("q6_k");
  const uint16_t kHalves[] = {0x3C00, 0x2E66, 0xB800, 0x0200, 0x0000, 0xC900};
  for (size_t rows : {2, 17, 40}) {
    for (size_t cols : {256, 768}) {
      SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
      const size_t sbs = cols / 256;
      std::vector<uint8_t> payload = RandomBytes(
          rows * sbs * 210, 99 + static_cast<uint32_t>(rows * cols));
      for (size_t r = 0; r < rows; ++r) {
        for (size_t s = 0; s < sbs; ++s) {
          uint8_t* sb = payload.data() + (r * sbs + s) * 210;
          if (r < 2) std::memset(sb, r == 0 ? 0xFF : 0x00, 210);
          if (r == 2 && s == 0) {
            sb[192] = 0x80;  // scale -128
            sb[193] = 0x7F;  // scale 127
          }
          std::memcpy(sb + 208, &kHalves[(r + 2 * s) % 6], 2);
        }
      }
      StatusOr<QuantizedMatrix> q = QuantizedMatrix::FromParts(
          f, rows, cols, payload.data(), payload.size(), {}, {});
      ASSERT_TRUE(q.ok()) << q.status().ToString();
      ExpectRepackedSameBits(target(), *q, 21 + cols, 5);
    }
  }
}

// q2_k, q3_k, q5_k and iq4_xs from raw bytes: random codes, scales, mins,
// hmask and fifth bits, and finite f16 d (and dmin) per super-block
// (normal, subnormal, zero, negative); row 0 all 0xFF (codes 3, scale and
// min 15; q3_k: scale 31; q5_k: code 31, scale and min 63; iq4_xs: value
// 113, scale 31), row 1 all zero (q3_k: codes -4, scales -32; iq4_xs:
// value -127, scale -32). A code group, a
// hmask bit, a half's or block's scale or a min taken from the wrong place
// changes y.
TEST_P(GemvRepackedTest, KQuantRandomCodesAndScales) {
  const uint16_t kHalves[] = {0x3C00, 0x2E66, 0xB800, 0x0200, 0x0000, 0xC900};
  for (const char* name : {"q2_k", "q3_k", "q5_k", "iq4_xs"}) {
    const Format f = *ParseFormat(name);
    const FormatKind k = f.kind;
    const size_t bytes = k == FormatKind::kQ2_K   ? 84
                         : k == FormatKind::kQ3_K ? 110
                         : k == FormatKind::kQ5_K ? 176
                                                  : 136;
    const size_t d_at = k == FormatKind::kQ2_K   ? 80
                        : k == FormatKind::kQ3_K ? 108
                                                 : 0;
    // The f16 dmin: q2_k's after d, q5_k's at byte 2; 0: none.
    const size_t dmin_at = k == FormatKind::kQ2_K   ? 82
                           : k == FormatKind::kQ5_K ? 2
                                                    : 0;
    for (size_t rows : {2, 17, 40}) {
      for (size_t cols : {256, 768}) {
        SCOPED_TRACE(::testing::Message()
                     << name << " " << rows << "x" << cols);
        const size_t sbs = cols / 256;
        std::vector<uint8_t> payload = RandomBytes(
            rows * sbs * bytes, 131 + static_cast<uint32_t>(rows * cols));
        for (size_t r = 0; r < rows; ++r) {
          for (size_t s = 0; s < sbs; ++s) {
            uint8_t* sb = payload.data() + (r * sbs + s) * bytes;
            if (r < 2) std::memset(sb, r == 0 ? 0xFF : 0x00, bytes);
            std::memcpy(sb + d_at, &kHalves[(r + 2 * s) % 6], 2);
            if (dmin_at != 0)
              std::memcpy(sb + dmin_at, &kHalves[(r + 3 * s + 1) % 6], 2);
          }
        }
        StatusOr<QuantizedMatrix> q = QuantizedMatrix::FromParts(
            f, rows, cols, payload.data(), payload.size(), {}, {});
        ASSERT_TRUE(q.ok()) << q.status().ToString();
        ExpectRepackedSameBits(target(), *q, 23 + cols, 7);
      }
    }
  }
}

// The copy belongs to the matrix's shared data: a copy of the
// QuantizedMatrix sees it, a Clone does not; concurrent Repack calls build
// it once; Inf in x still runs the f32-activation strategy.
TEST_P(GemvRepackedTest, SharedOnceAndNonFiniteX) {
  const size_t n = 33, k = 96;
  const std::vector<float> w = testing::RandomFloats(n * k, 3, 0.02f);
  StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat("q4_0"), w.data(), n, k);
  ASSERT_TRUE(q.ok());
  const QuantizedMatrix copy = *q;
  const QuantizedMatrix clone = q->Clone();
  const Context ctx = testing::MakeContext(target(), 1);
  std::vector<std::thread> ts;
  std::vector<Status> st(4);
  for (int i = 0; i < 4; ++i)
    ts.emplace_back([&, i] { st[i] = Repack(ctx, i % 2 ? copy : *q); });
  for (auto& t : ts) t.join();
  for (const Status& s : st) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_GT(RepackedBytes(copy), 0u);
  EXPECT_EQ(RepackedBytes(clone), 0u);
  std::vector<float> x = testing::RandomFloats(k, 4);
  x[50] = std::numeric_limits<float>::infinity();
  std::vector<float> y(n), yf(n);
  ASSERT_TRUE(Gemv(ctx, *q, x.data(), y.data(), {GemvStrategy::kDot}).ok());
  ASSERT_TRUE(Gemv(ctx, clone, x.data(), yf.data(), {GemvStrategy::kDot}).ok());
  EXPECT_EQ(0, std::memcmp(y.data(), yf.data(), n * 4));
}

TEST_P(GemvRepackedTest, FormatsWithoutIt) {
  const Context ctx = testing::MakeContext(target(), 1);
  const std::vector<float> w = testing::RandomFloats(4 * 256, 13, 0.02f);
  for (const char* name : {"f32", "q8_0", "i8row", "qins8"}) {
    SCOPED_TRACE(name);
    const Format f = *ParseFormat(name);
    EXPECT_FALSE(HasRepack(f));
    StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), 4, 256);
    ASSERT_TRUE(q.ok());
    const Status s = Repack(ctx, *q);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("q4_0, q4_1, q5_0, q5_1, iq4_nl, q2_k .. "
                               "q6_k, iq4_xs and qins4"),
              std::string::npos);
    EXPECT_EQ(RepackedBytes(*q), 0u);
  }
  EXPECT_EQ(Repack(ctx, QuantizedMatrix()).code(),
            StatusCode::kInvalidArgument);
}

QINS_INSTANTIATE_PER_TARGET(GemvRepackedTest);

}  // namespace
}  // namespace qins
