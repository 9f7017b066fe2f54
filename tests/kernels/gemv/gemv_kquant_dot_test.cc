// The integer-dot GEMV strategy (`dot`) for the K-quants q2_k, q3_k, q4_k,
// q5_k, q6_k and for iq4_xs
// (kernels/gemv/gemv_kquant_dot-inl.h) on every target the CPU runs: bit for
// bit equal to a scalar reference of the same integer arithmetic, written
// here from the documented layouts (x quantized with nearbyintf, the codes
// read weight by weight, the documented f32 order), and within a derived
// bound of `decode`.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "dispatch/f32_kernels.h"
#include "gtest/gtest.h"
#include "kernels/formats/half.h"
#include "kernels/formats/iq4_nl_values.h"
#include "kernels/formats/kquant_blocks.h"
#include "qins/format.h"
#include "qins/gemv.h"
#include "qins/quantize.h"
#include "qins/targets.h"
#include "tests/support/dot_reference.h"
#include "tests/support/per_target.h"
#include "tests/support/reference.h"

namespace qins {
namespace {

constexpr size_t kBlock = 32, kSB = 256;

using testing::Half;
using testing::MixedX;
using testing::QuantizeX;
using testing::RefX;

size_t SuperBlockBytes(FormatKind k) {
  return k == FormatKind::kQ4_K     ? q4_k::kBytes
         : k == FormatKind::kQ5_K   ? q5_k::kBytes
         : k == FormatKind::kIQ4_XS ? iq4_xs::kBytes
         : k == FormatKind::kQ3_K   ? q3_k::kBytes
         : k == FormatKind::kQ2_K   ? q2_k::kBytes
                                    : q6_k::kBytes;
}

// IQ4_XS's scale of block j, -32..31, from ggml's dequantize_row_iq4_xs:
// the low 4 bits in nibble j of scales_l, the high 2 at bit 2 j of the
// little-endian scales_h (written here, not kquant_blocks.h's IQ4XSScale).
int RefIQ4XSScale(const uint8_t* sb, size_t j) {
  const int lo = (sb[iq4_xs::kScalesL + j / 2] >> (4 * (j % 2))) & 0xF;
  const int h = sb[iq4_xs::kScalesH] | (sb[iq4_xs::kScalesH + 1] << 8);
  return (lo | (((h >> (2 * j)) & 3) << 4)) - 32;
}

// Weight w (0..255) of a super-block as its integer code: q4_k the nibble,
// q5_k nibble + 16 * fifth bit, q6_k the 6-bit code - 32 (ggml's layouts,
// kquant_blocks.h).
// Q3_K's scale k (0..15), -32..31, as ggml's dequantize_row_q3_K unpacks
// the 12 bytes into 16 (the aux[] words with kmask1 = 0x03030303, kmask2 =
// 0x0f0f0f0f), written here independently of kquant_blocks.h's Q3KScale.
int RefQ3KScale(const uint8_t* sb, size_t k) {
  uint32_t aux[4];
  std::memcpy(aux, sb + q3_k::kScales, 12);
  const uint32_t tmp = aux[2], m1 = 0x03030303, m2 = 0x0f0f0f0f;
  aux[2] = ((aux[0] >> 4) & m2) | (((tmp >> 4) & m1) << 4);
  aux[3] = ((aux[1] >> 4) & m2) | (((tmp >> 6) & m1) << 4);
  aux[0] = (aux[0] & m2) | (((tmp >> 0) & m1) << 4);
  aux[1] = (aux[1] & m2) | (((tmp >> 2) & m1) << 4);
  int8_t s[16];
  std::memcpy(s, aux, 16);
  return s[k] - 32;
}

int Code(FormatKind k, const uint8_t* sb, size_t w) {
  if (k == FormatKind::kQ2_K) {  // ggml: (q[l] >> shift) & 3
    const size_t n = w / 128, j = w % 128 / 32, l = w % 32;
    return (sb[q2_k::kQs + 32 * n + l] >> (2 * j)) & 3;
  }
  if (k == FormatKind::kQ3_K) {  // ggml: ((q >> shift) & 3) - (hm & m ? 0 : 4)
    const size_t n = w / 128, j = w % 128 / 32, l = w % 32;
    const int q = (sb[q3_k::kQs + 32 * n + l] >> (2 * j)) & 3;
    const bool high = (sb[q3_k::kHmask + l] >> (4 * n + j)) & 1;
    return q - (high ? 0 : 4);
  }
  if (k == FormatKind::kIQ4_XS) {  // iq4_nl's value of the nibble
    const size_t j = w / 32, l = w % 32;
    const uint8_t byte = sb[iq4_xs::kQs + 16 * j + l % 16];
    return kIQ4NLValues[l < 16 ? byte & 0xF : byte >> 4];
  }
  if (k == FormatKind::kQ6_K) {
    const size_t h = w / 128, c = w % 128 / 32, l = w % 32;
    const int lo =
        (sb[q6_k::kQl + 64 * h + 32 * (c % 2) + l] >> (4 * (c / 2))) & 0xF;
    const int hi = (sb[q6_k::kQh + 32 * h + l] >> (2 * c)) & 3;
    return (lo | (hi << 4)) - 32;
  }
  const size_t j = w / 32, l = w % 32;
  const size_t qs = k == FormatKind::kQ4_K ? q4_k::kQs : q5_k::kQs;
  int q = (sb[qs + 32 * (j / 2) + l] >> (4 * (j % 2))) & 0xF;
  if (k == FormatKind::kQ5_K) q += ((sb[q5_k::kQh + l] >> j) & 1) << 4;
  return q;
}

// The scale of weight w's group (q4_k/q5_k: d * sc_j, exact in f32; q6_k:
// d * sc_k, as a double) and its min (dmin * m_j; q6_k 0): the weight is
// scale * code - min.
void ScaleMin(FormatKind k, const uint8_t* sb, size_t w, double* scale,
              double* min) {
  if (k == FormatKind::kQ2_K) {
    const uint8_t sc = sb[q2_k::kScales + w / 16];
    *scale = static_cast<double>(Half(sb + q2_k::kD)) * (sc & 0xF);
    *min = static_cast<double>(Half(sb + q2_k::kDmin)) * (sc >> 4);
    return;
  }
  if (k == FormatKind::kQ3_K) {
    *scale = static_cast<double>(Half(sb + q3_k::kD)) * RefQ3KScale(sb, w / 16);
    *min = 0;
    return;
  }
  if (k == FormatKind::kIQ4_XS) {
    *scale =
        static_cast<double>(Half(sb + iq4_xs::kD)) * RefIQ4XSScale(sb, w / 32);
    *min = 0;
    return;
  }
  if (k == FormatKind::kQ6_K) {
    *scale = static_cast<double>(Half(sb + q6_k::kD)) *
             static_cast<int8_t>(sb[q6_k::kScales + w / 16]);
    *min = 0;
    return;
  }
  int sc, m;
  Q4KScaleMin(sb + q4_k::kScales, static_cast<int>(w / 32), &sc, &m);
  *scale = static_cast<double>(Half(sb + q4_k::kD)) * sc;
  *min = static_cast<double>(Half(sb + q4_k::kDmin)) * m;
}

// y as the dot strategy defines it (kernels/gemv/gemv_kquant_dot-inl.h).
std::vector<float> DotReference(const QuantizedMatrix& w, const float* x) {
  const RefX rx = QuantizeX(x, w.cols());
  const FormatKind k = w.format().kind;
  std::vector<float> y(w.rows());
  for (size_t r = 0; r < w.rows(); ++r) {
    float p[8] = {};
    for (size_t s = 0; s < w.cols() / kSB; ++s) {
      const uint8_t* sb = w.row(r) + s * SuperBlockBytes(k);
      for (size_t j = 0; j < 8; ++j) {
        const size_t b = 8 * s + j;
        const int8_t* xq = rx.q.data() + b * kBlock;
        if (k == FormatKind::kQ2_K) {
          // A = sum_k sc_k D_k, M = sum_k m_k Xh_k over the block's two
          // sub-blocks, in int32; then d A - dmin M, times dx.
          int32_t a = 0, m = 0;
          for (size_t half = 0; half < 2; ++half) {
            const uint8_t sc = sb[q2_k::kScales + 2 * j + half];
            int32_t dk = 0, xk = 0;
            for (size_t l = 0; l < 16; ++l) {
              dk += Code(k, sb, 32 * j + 16 * half + l) * xq[16 * half + l];
              xk += xq[16 * half + l];
            }
            a += (sc & 0xF) * dk;
            m += (sc >> 4) * xk;
          }
          const float t = Half(sb + q2_k::kD) * static_cast<float>(a) -
                          Half(sb + q2_k::kDmin) * static_cast<float>(m);
          p[j] = p[j] + t * rx.d[b];
        } else if (k == FormatKind::kQ3_K) {
          int32_t t = 0;
          for (size_t half = 0; half < 2; ++half) {
            int32_t dk = 0;
            for (size_t l = 0; l < 16; ++l)
              dk += Code(k, sb, 32 * j + 16 * half + l) * xq[16 * half + l];
            t += RefQ3KScale(sb, 2 * j + half) * dk;
          }
          const float c = Half(sb + q3_k::kD) * rx.d[b];
          p[j] = p[j] + c * static_cast<float>(t);
        } else if (k == FormatKind::kIQ4_XS) {
          int32_t sum = 0;
          for (size_t l = 0; l < kBlock; ++l)
            sum += Code(k, sb, 32 * j + l) * xq[l];
          // d (ls - 32) is exact in f32.
          const float dw =
              Half(sb + iq4_xs::kD) * static_cast<float>(RefIQ4XSScale(sb, j));
          p[j] = p[j] + (dw * rx.d[b]) * static_cast<float>(sum);
        } else if (k == FormatKind::kQ6_K) {
          int32_t t = 0;
          for (size_t half = 0; half < 2; ++half) {
            int32_t dk = 0;
            for (size_t l = 0; l < 16; ++l)
              dk += Code(k, sb, 32 * j + 16 * half + l) * xq[16 * half + l];
            t += static_cast<int8_t>(sb[q6_k::kScales + 2 * j + half]) * dk;
          }
          const float c = Half(sb + q6_k::kD) * rx.d[b];
          p[j] = p[j] + c * static_cast<float>(t);
        } else {
          int sc, m;
          Q4KScaleMin(sb + q4_k::kScales, static_cast<int>(j), &sc, &m);
          int32_t sum = 0;
          for (size_t l = 0; l < kBlock; ++l)
            sum += Code(k, sb, 32 * j + l) * xq[l];
          // d sc and dmin m are exact in f32.
          const float dw = Half(sb + q4_k::kD) * static_cast<float>(sc);
          const float dm = Half(sb + q4_k::kDmin) * static_cast<float>(m);
          const float t =
              dw * static_cast<float>(sum) - dm * static_cast<float>(rx.sum[b]);
          p[j] = p[j] + t * rx.d[b];
        }
      }
    }
    y[r] = ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
  }
  return y;
}

Format Fmt(const char* name) { return *ParseFormat(name); }

// Random bytes for every field (all scale, min and code bit patterns), with
// the f16 d and dmin set to finite values from `halves`.
QuantizedMatrix RandomBytes(const char* name, size_t rows, size_t cols,
                            uint32_t seed,
                            const std::vector<uint16_t>& halves) {
  const FormatKind k = Fmt(name).kind;
  const size_t bytes = SuperBlockBytes(k), nsb = cols / kSB;
  std::vector<uint8_t> payload(rows * nsb * bytes);
  std::mt19937 rng(seed);
  for (uint8_t& b : payload) b = static_cast<uint8_t>(rng());
  for (size_t i = 0; i < rows * nsb; ++i) {
    uint8_t* sb = payload.data() + i * bytes;
    const uint16_t d = halves[rng() % halves.size()];
    const uint16_t dm = halves[rng() % halves.size()];
    if (k == FormatKind::kQ6_K) {
      std::memcpy(sb + q6_k::kD, &d, 2);
    } else if (k == FormatKind::kIQ4_XS) {
      std::memcpy(sb + iq4_xs::kD, &d, 2);
    } else if (k == FormatKind::kQ3_K) {
      std::memcpy(sb + q3_k::kD, &d, 2);
    } else if (k == FormatKind::kQ2_K) {
      std::memcpy(sb + q2_k::kD, &d, 2);
      std::memcpy(sb + q2_k::kDmin, &dm, 2);
    } else {
      std::memcpy(sb + q4_k::kD, &d, 2);
      std::memcpy(sb + q4_k::kDmin, &dm, 2);
    }
  }
  StatusOr<QuantizedMatrix> q = QuantizedMatrix::FromParts(
      Fmt(name), rows, cols, payload.data(), payload.size(), {}, {});
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  return std::move(*q);
}

bool SameBits(float a, float b) {
  return std::memcmp(&a, &b, 4) == 0 || (std::isnan(a) && std::isnan(b));
}

class GemvKQuantDotTest : public testing::PerTargetTest {};

constexpr const char* kFormats[] = {"q2_k", "q3_k", "q4_k",
                                    "q5_k", "q6_k", "iq4_xs"};

void ExpectBitExact(const Context& ctx, const QuantizedMatrix& q,
                    const std::vector<float>& x) {
  std::vector<float> y(q.rows(), NAN);
  ASSERT_TRUE(Gemv(ctx, q, x.data(), y.data(), {GemvStrategy::kDot}).ok());
  const std::vector<float> ref = DotReference(q, x.data());
  for (size_t i = 0; i < q.rows(); ++i) {
    ASSERT_TRUE(SameBits(y[i], ref[i]))
        << "row " << i << ": " << y[i] << " vs " << ref[i];
  }
}

TEST_P(GemvKQuantDotTest, BitExactAgainstTheScalarReference) {
  for (const char* name : kFormats) {
    for (size_t rows : {1, 3, 5, 33}) {
      for (size_t cols : {256, 512, 2560}) {
        SCOPED_TRACE(::testing::Message()
                     << name << " " << rows << "x" << cols);
        const std::vector<float> w =
            testing::RandomFloats(rows * cols, 5 + rows + cols, 0.02f);
        StatusOr<QuantizedMatrix> q = Quantize(Fmt(name), w.data(), rows, cols);
        ASSERT_TRUE(q.ok());
        const QuantizedMatrix rb =
            RandomBytes(name, rows, cols, 3 + rows * cols,
                        {0x3C00, 0x2E66, 0x1400, 0x0001, 0x5640});
        for (int xi = 0; xi < 2; ++xi) {
          const std::vector<float> x =
              xi == 0 ? testing::RandomFloats(cols, 7 + cols)
                      : MixedX(cols, 9 + cols);
          const Context ctx = testing::MakeContext(target(), 2);
          ExpectBitExact(ctx, *q, x);
          ExpectBitExact(ctx, rb, x);
        }
      }
    }
  }
}

// The integer extremes: every scale, min and code at its largest magnitude
// (q2_k sc = m = 15, codes 3/0; q4_k/q5_k sc = m = 63, codes 15/31; q6_k
// sc = -128 and 127, codes 0 and
// 63, so |T_j| reaches 2 * 128 * 16 * 32 * 127 = 16646144, the bound below
// 2^24; iq4_xs scales -32 and 31, values -127 and 113, so |S_j| reaches 32 *
// 127 * 127 and vpmaddubsw's pairs 2 * 127 * 127), x codes all +-127; and
// extreme f16 d: the largest finite, the smallest subnormal.
TEST_P(GemvKQuantDotTest, ExtremeScalesAndCodes) {
  const size_t rows = 8, cols = 512;
  for (const char* name : kFormats) {
    const FormatKind k = Fmt(name).kind;
    const size_t bytes = SuperBlockBytes(k), nsb = cols / kSB;
    for (uint16_t dh : {uint16_t{0x3C00}, uint16_t{0x7BFF}, uint16_t{0x0001}}) {
      std::vector<uint8_t> payload(rows * nsb * bytes);
      for (size_t r = 0; r < rows; ++r) {
        for (size_t s = 0; s < nsb; ++s) {
          uint8_t* sb = payload.data() + (r * nsb + s) * bytes;
          const bool high = r % 2 == 0;
          if (k == FormatKind::kQ2_K) {
            // codes 3 or 0; scale = min = 15.
            std::memset(sb + q2_k::kQs, high ? 0xFF : 0x00, 64);
            std::memset(sb + q2_k::kScales, 0xFF, 16);
            std::memcpy(sb + q2_k::kD, &dh, 2);
            std::memcpy(sb + q2_k::kDmin, &dh, 2);
          } else if (k == FormatKind::kQ3_K) {
            // codes 3 (low bits 3, high bit set) or -4 (all clear); scales
            // -32 (all scale bits clear) or 31 (all set).
            std::memset(sb + q3_k::kQs, high ? 0xFF : 0x00, 64);
            std::memset(sb + q3_k::kHmask, high ? 0xFF : 0x00, 32);
            std::memset(sb + q3_k::kScales, r % 4 < 2 ? 0x00 : 0xFF, 12);
            std::memcpy(sb + q3_k::kD, &dh, 2);
          } else if (k == FormatKind::kIQ4_XS) {
            // values -127 (nibble 0) or 113 (15); scales -32 or 31.
            std::memset(sb + iq4_xs::kQs, high ? 0x00 : 0xFF, 128);
            const uint8_t s = r % 4 < 2 ? 0x00 : 0xFF;
            std::memset(sb + iq4_xs::kScalesL, s, 4);
            std::memset(sb + iq4_xs::kScalesH, s, 2);
            std::memcpy(sb + iq4_xs::kD, &dh, 2);
          } else if (k == FormatKind::kQ6_K) {
            // codes 0 (q - 32 = -32) or 63 (31); scales -128 or 127.
            std::memset(sb + q6_k::kQl, high ? 0xFF : 0x00, 128);
            std::memset(sb + q6_k::kQh, high ? 0xFF : 0x00, 64);
            std::memset(sb + q6_k::kScales, r % 4 < 2 ? 0x80 : 0x7F, 16);
            std::memcpy(sb + q6_k::kD, &dh, 2);
          } else {
            std::memset(sb + q4_k::kScales, 0xFF, 12);  // sc = m = 63
            const size_t qs = k == FormatKind::kQ4_K ? q4_k::kQs : q5_k::kQs;
            std::memset(sb + qs, high ? 0xFF : 0x00, 128);
            if (k == FormatKind::kQ5_K)
              std::memset(sb + q5_k::kQh, high ? 0xFF : 0x00, 32);
            std::memcpy(sb + q4_k::kD, &dh, 2);
            std::memcpy(sb + q4_k::kDmin, &dh, 2);
          }
        }
      }
      StatusOr<QuantizedMatrix> q = QuantizedMatrix::FromParts(
          Fmt(name), rows, cols, payload.data(), payload.size(), {}, {});
      ASSERT_TRUE(q.ok()) << q.status().ToString();
      for (float xv : {-1.0f, 1.0f}) {
        SCOPED_TRACE(::testing::Message()
                     << name << " d " << dh << " x " << xv);
        std::vector<float> x(cols, xv);
        ExpectBitExact(testing::MakeContext(target(), 1), *q, x);
        if (dh != 0x3C00) continue;
        // d = 1 and x = +-1 (dx = 1/127, codes +-127): y is exact enough to
        // check against the integers.
        std::vector<float> y(rows);
        ASSERT_TRUE(Gemv(testing::MakeContext(target(), 1), *q, x.data(),
                         y.data(), {GemvStrategy::kDot})
                        .ok());
        for (size_t r = 0; r < rows; ++r) {
          const bool high = r % 2 == 0;
          double wv;
          if (k == FormatKind::kQ2_K) {
            wv = 15.0 * (high ? 3.0 : 0.0) - 15.0;
          } else if (k == FormatKind::kQ3_K) {
            wv = (high ? 3.0 : -4.0) * (r % 4 < 2 ? -32.0 : 31.0);
          } else if (k == FormatKind::kIQ4_XS) {
            wv = (high ? -127.0 : 113.0) * (r % 4 < 2 ? -32.0 : 31.0);
          } else if (k == FormatKind::kQ6_K) {
            wv = (r % 4 < 2 ? -128.0 : 127.0) * (high ? 31.0 : -32.0);
          } else {
            const double code = k == FormatKind::kQ4_K ? 15 : 31;
            wv = 63.0 * (high ? code : 0.0) - 63.0;
          }
          const double expect = wv * xv * static_cast<double>(cols);
          EXPECT_NEAR(y[r], expect, 1e-5 * std::fabs(expect)) << r;
        }
      }
    }
  }
}

TEST_P(GemvKQuantDotTest, ThreadCountDoesNotChangeTheResult) {
  const size_t rows = 301, cols = 768;
  const std::vector<float> w = testing::RandomFloats(rows * cols, 8, 0.02f);
  const std::vector<float> x = testing::RandomFloats(cols, 9);
  for (const char* name : kFormats) {
    StatusOr<QuantizedMatrix> q = Quantize(Fmt(name), w.data(), rows, cols);
    ASSERT_TRUE(q.ok());
    std::vector<float> y[3];
    for (int t = 0; t < 3; ++t) {
      y[t].resize(rows);
      ASSERT_TRUE(Gemv(testing::MakeContext(target(), t + 1), *q, x.data(),
                       y[t].data(), {GemvStrategy::kDot})
                      .ok());
    }
    EXPECT_EQ(0, std::memcmp(y[0].data(), y[1].data(), rows * 4)) << name;
    EXPECT_EQ(0, std::memcmp(y[0].data(), y[2].data(), rows * 4)) << name;
  }
}

// Inf or NaN in x: `dot` runs auto's f32-activation strategy (decode), bit
// for bit; so does auto.
TEST_P(GemvKQuantDotTest, NonFiniteXRunsTheF32ActivationStrategy) {
  const size_t rows = 9, cols = 512;
  const std::vector<float> w = testing::RandomFloats(rows * cols, 77, 0.02f);
  const Context ctx = testing::MakeContext(target(), 2);
  for (const char* name : kFormats) {
    StatusOr<QuantizedMatrix> q = Quantize(Fmt(name), w.data(), rows, cols);
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(GemvF32ActivationStrategy(q->format(), target()),
              GemvStrategy::kDecode);
    for (float bad : {INFINITY, NAN}) {
      std::vector<float> x = testing::RandomFloats(cols, 78);
      x[77] = bad;
      std::vector<float> yd(rows), yf(rows), ya(rows);
      ASSERT_TRUE(
          Gemv(ctx, *q, x.data(), yd.data(), {GemvStrategy::kDot}).ok());
      ASSERT_TRUE(
          Gemv(ctx, *q, x.data(), yf.data(), {GemvStrategy::kDecode}).ok());
      ASSERT_TRUE(
          Gemv(ctx, *q, x.data(), ya.data(), {GemvStrategy::kAuto}).ok());
      EXPECT_EQ(0, std::memcmp(yd.data(), yf.data(), rows * 4)) << name;
      EXPECT_EQ(0, std::memcmp(ya.data(), yf.data(), rows * 4)) << name;
    }
  }
}

// |y_dot - y_decode| per row within the sum of four bounds, w_l the weight
// dot multiplies exactly (scale * code - min, in reals: d sc and dmin m are
// exact in f32) and w~_l decode's f32 weight:
// - x's rounding: |x_l - dx_b q_l| <= dx_b (1/2 + 2^-15) (gemv_dot_test.cc),
//   so sum_b dx_b (1/2 + 2^-15) sum_l |w_l| (a block below the floor:
//   sum_l |w_l x_l|);
// - the weights' rounding in decode: sum_l |w~_l - w_l| |x_l|;
// - dot's f32 sums: every term (q4_k/q5_k ((d sc) S - (dmin m) X) dx: 3
//   roundings; q6_k (d dx) T: 2) is added into its lane (1 add per
//   super-block), then 3 adds of the final tree: gamma_m sum_b dx_b sum_l
//   (|scale code_l| + |min|) |q_l| with m = 3 + 1 per super-block + 3,
//   within the m = 5 + 2 super-blocks used (at least one super-block);
// - decode's f32 GEMV bound (gemv_test.cc): 1.05 m' u sum |w~ x|.
TEST_P(GemvKQuantDotTest, WithinTheDerivedBoundOfDecode) {
  const double u = std::ldexp(1.0, -24);
  const double lanes = static_cast<double>(GetF32Kernels(target()).f32_lanes());
  for (const char* name : kFormats) {
    for (size_t cols : {256, 1024, 4096}) {
      const size_t rows = 17;
      SCOPED_TRACE(::testing::Message() << name << " " << cols);
      const std::vector<float> w =
          testing::RandomFloats(rows * cols, 50 + cols, 0.02f);
      const std::vector<float> x = testing::RandomFloats(cols, 60 + cols);
      StatusOr<QuantizedMatrix> q = Quantize(Fmt(name), w.data(), rows, cols);
      ASSERT_TRUE(q.ok());
      const FormatKind k = q->format().kind;
      std::vector<float> dq(rows * cols);
      ASSERT_TRUE(DequantizeReference(*q, dq.data()).ok());
      const Context ctx = testing::MakeContext(target(), 2);
      std::vector<float> yd(rows), yf(rows);
      ASSERT_TRUE(
          Gemv(ctx, *q, x.data(), yd.data(), {GemvStrategy::kDot}).ok());
      ASSERT_TRUE(
          Gemv(ctx, *q, x.data(), yf.data(), {GemvStrategy::kDecode}).ok());
      const RefX rx = QuantizeX(x.data(), cols);
      const double m_dot = 5 + 2.0 * (cols / kSB);
      const double m_f32 =
          std::ceil(cols / (2 * lanes)) + 3 + std::log2(lanes) + 2;
      double worst = 0;
      for (size_t i = 0; i < rows; ++i) {
        double bx = 0, bw = 0, bdot = 0, bf32 = 0;
        for (size_t b = 0; b < rx.blocks; ++b) {
          const uint8_t* sb = q->row(i) + b / 8 * SuperBlockBytes(k);
          double sw = 0, swx = 0, sa = 0;
          for (size_t l = 0; l < kBlock; ++l) {
            const size_t n = b * kBlock + l, wi = n % kSB;
            double scale, min;
            ScaleMin(k, sb, wi, &scale, &min);
            const double code = Code(k, sb, wi);
            const double wd = scale * code - min;
            sw += std::fabs(wd);
            swx += std::fabs(wd * x[n]);
            sa +=
                (std::fabs(scale * code) + std::fabs(min)) * std::abs(rx.q[n]);
            bw += std::fabs(dq[i * cols + n] - wd) * std::fabs(x[n]);
            bf32 += std::fabs(static_cast<double>(dq[i * cols + n]) * x[n]);
          }
          bx +=
              rx.d[b] == 0 ? swx : rx.d[b] * (0.5 + std::ldexp(1.0, -15)) * sw;
          bdot += rx.d[b] * sa;
        }
        const double bound =
            bx + bw + 1.01 * m_dot * u * bdot + 1.05 * m_f32 * u * bf32;
        const double err = std::fabs(static_cast<double>(yd[i]) - yf[i]);
        ASSERT_LE(err, bound) << "row " << i;
        worst = std::max(worst, err / bound);
      }
      EXPECT_GT(worst, 1e-3);  // not vacuous: x's rounding shows
    }
  }
}

QINS_INSTANTIATE_PER_TARGET(GemvKQuantDotTest);

}  // namespace
}  // namespace qins
