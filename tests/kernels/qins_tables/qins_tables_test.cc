// QINS arithmetic tables: every entry of every table against formulas written
// here in exact integer arithmetic, the reciprocal table, and the conservation
// statistics on cases small enough to work out by hand.
#include "qins/qins_tables.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace qins {
namespace {

// QINS value of a code, written out again rather than taken from the header.
int Value(int code) { return code == 0 ? 256 : 256 - code; }
int Code(int q) { return q == 256 ? 0 : 256 - q; }

// num / den (both positive) quantized to a QINS value in [1, 256], exactly.
int ExactQuantize(int64_t num, int64_t den, TableRounding r) {
  const int64_t fl = num / den, rem = num % den;
  int64_t q = 0;
  switch (r) {
    case TableRounding::kTruncate:  // 256 - trunc(256 - x) = ceil(x)
      q = fl + (rem != 0 ? 1 : 0);
      break;
    case TableRounding::kFloor:
      q = fl;
      break;
    case TableRounding::kRound:  // half to even
      q = fl + ((2 * rem > den || (2 * rem == den && (fl & 1))) ? 1 : 0);
      break;
  }
  if (q < 1) q = 1;
  if (q > 256) q = 256;
  return static_cast<int>(q);
}

std::unique_ptr<QinsTables> Make(TableRounding r) {
  StatusOr<std::unique_ptr<QinsTables>> t = MakeQinsTables(r);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

class QinsTablesTest : public ::testing::TestWithParam<TableRounding> {};

TEST_P(QinsTablesTest, AddMatchesExactFormulaForAllPairs) {
  const TableRounding r = GetParam();
  auto t = Make(r);
  EXPECT_EQ(t->rounding, r);
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const int64_t qa = Value(a), qb = Value(b);
      ASSERT_EQ(t->add[a * 256 + b], Code(ExactQuantize(qa * qb, qa + qb, r)))
          << "a=" << a << " b=" << b;
    }
  }
}

TEST_P(QinsTablesTest, MulMatchesExactFormulaForAllPairs) {
  const TableRounding r = GetParam();
  auto t = Make(r);
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const int64_t qa = Value(a), qb = Value(b);
      ASSERT_EQ(t->mul[a * 256 + b], Code(ExactQuantize(qa * qb, 256, r)))
          << "a=" << a << " b=" << b;
    }
  }
}

TEST_P(QinsTablesTest, TablesAreSymmetric) {
  auto t = Make(GetParam());
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < a; ++b) {
      ASSERT_EQ(t->add[a * 256 + b], t->add[b * 256 + a]);
      ASSERT_EQ(t->mul[a * 256 + b], t->mul[b * 256 + a]);
    }
  }
}

TEST_P(QinsTablesTest, Reciprocal) {
  auto t = Make(GetParam());
  EXPECT_EQ(t->reciprocal[0], 1.0f);      // q = 256
  EXPECT_EQ(t->reciprocal[128], 2.0f);    // q = 128
  EXPECT_EQ(t->reciprocal[255], 256.0f);  // q = 1
  for (int c = 0; c < 256; ++c) {
    ASSERT_EQ(t->reciprocal[c], static_cast<float>(256.0 / Value(c))) << c;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Readings, QinsTablesTest, ::testing::ValuesIn(kAllTableRoundings),
    [](const ::testing::TestParamInfo<TableRounding>& info) {
      return std::string(TableRoundingName(info.param));
    });

// The document's loop transcribed literally (float result, "0 if == 256 else
// 256 - result", stored into uint8 by truncation) gives the kTruncate tables.
TEST(QinsTables, TruncateIsTheDocumentCodeAsWritten) {
  auto t = Make(TableRounding::kTruncate);
  for (int qa = 1; qa <= 256; ++qa) {
    for (int qb = 1; qb <= 256; ++qb) {
      const double add = static_cast<double>(qa * qb) / (qa + qb);
      const double mul = static_cast<double>(qa * qb) / 256;
      const double add_bin = add == 256 ? 0 : 256 - add;
      const double mul_bin = mul == 256 ? 0 : 256 - mul;
      const int a = Code(qa), b = Code(qb);
      ASSERT_EQ(t->add[a * 256 + b], static_cast<uint8_t>(add_bin));
      ASSERT_EQ(t->mul[a * 256 + b], static_cast<uint8_t>(mul_bin));
    }
  }
}

TEST(QinsTables, KnownEntries) {
  auto tr = Make(TableRounding::kTruncate);
  auto fl = Make(TableRounding::kFloor);
  auto ro = Make(TableRounding::kRound);
  // 256 (+) 256 = 128 exactly: code 128 in every reading.
  EXPECT_EQ(tr->add[0], 128);
  EXPECT_EQ(fl->add[0], 128);
  EXPECT_EQ(ro->add[0], 128);
  // 1 (+) 1 = 0.5: ceil 1, floor 0 -> clamped to 1, round-half-even 0 -> 1.
  EXPECT_EQ(tr->add[255 * 256 + 255], 255);
  EXPECT_EQ(fl->add[255 * 256 + 255], 255);
  EXPECT_EQ(ro->add[255 * 256 + 255], 255);
  // 3 (+) 3 = 1.5 (codes 253): ceil 2, floor 1, round-half-even 2.
  EXPECT_EQ(tr->add[253 * 256 + 253], 254);
  EXPECT_EQ(fl->add[253 * 256 + 253], 255);
  EXPECT_EQ(ro->add[253 * 256 + 253], 254);
  // 5 (+) 5 = 2.5: ceil 3, floor 2, round-half-even 2.
  EXPECT_EQ(tr->add[251 * 256 + 251], 253);
  EXPECT_EQ(fl->add[251 * 256 + 251], 254);
  EXPECT_EQ(ro->add[251 * 256 + 251], 254);
  // mul: 256 (x) 256 = 256 (code 0); 16 (x) 16 = 1 (code 255).
  EXPECT_EQ(tr->mul[0], 0);
  EXPECT_EQ(tr->mul[240 * 256 + 240], 255);
  // 128 (x) 3 = 1.5.
  EXPECT_EQ(tr->mul[128 * 256 + 253], 254);
  EXPECT_EQ(fl->mul[128 * 256 + 253], 255);
  EXPECT_EQ(ro->mul[128 * 256 + 253], 254);
}

TEST(QinsTables, QuantizeEdges) {
  for (TableRounding r : kAllTableRoundings) {
    EXPECT_EQ(QuantizeQinsValue(256.0, r), 256);
    EXPECT_EQ(QuantizeQinsValue(300.0, r), 256);
    EXPECT_EQ(QuantizeQinsValue(1.0 / 256, r), 1);
    EXPECT_EQ(QuantizeQinsValue(0.0, r), 1);
    EXPECT_EQ(QuantizeQinsValue(std::nan(""), r), 1);
    EXPECT_EQ(QuantizeQinsValue(7.0, r), 7);
  }
  EXPECT_EQ(QuantizeQinsValue(255.5, TableRounding::kTruncate), 256);
  EXPECT_EQ(QuantizeQinsValue(255.5, TableRounding::kFloor), 255);
  EXPECT_EQ(QuantizeQinsValue(255.5, TableRounding::kRound), 256);
  EXPECT_EQ(QuantizeQinsValue(6.5, TableRounding::kRound), 6);
  EXPECT_EQ(QuantizeQinsValue(7.5, TableRounding::kRound), 8);
}

TEST(QinsTables, NamesRoundTrip) {
  for (TableRounding r : kAllTableRoundings) {
    StatusOr<TableRounding> p = ParseTableRounding(TableRoundingName(r));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, r);
  }
  StatusOr<TableRounding> bad = ParseTableRounding("ceil");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("truncate"), std::string::npos);
}

TEST(QinsTables, BuildRejectsBadArguments) {
  EXPECT_FALSE(BuildQinsTables(TableRounding::kRound, nullptr).ok());
  auto t = std::make_unique<QinsTables>();
  EXPECT_FALSE(BuildQinsTables(static_cast<TableRounding>(7), t.get()).ok());
}

// --- conservation statistics --------------------------------------------

TEST(QinsTablesVerify, SingleExactPair) {
  // 256 (+) 256 = 128: mu 1 + 1 = 2 = mu(128), no error.
  for (TableRounding r : kAllTableRoundings) {
    auto t = Make(r);
    const uint8_t codes[] = {0};
    StatusOr<ConservationStats> s =
        VerifyConservation(*t, QinsTableOp::kAdd, codes, 1);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->pairs, 1u);
    EXPECT_EQ(s->mean, 0.0);
    EXPECT_EQ(s->max, 0.0);
    EXPECT_EQ(s->p999, 0.0);
    EXPECT_EQ(s->below_10, 1u);
    EXPECT_EQ(s->share_below_10, 1.0);
  }
}

TEST(QinsTablesVerify, TwoCodesByHand) {
  // Codes 0 (q 256, mu 1) and 255 (q 1, mu 256). Pairs:
  //   (0,0):     exact, error 0
  //   (0,255):   256/257 -> q 1 in every reading: mu 256 vs 257, error 1
  //   (255,0):   error 1
  //   (255,255): 0.5 -> q 1: mu 256 vs 512, error 256 (the document's "max
  //              error 256")
  // mean 258 / 4 = 64.5; sorted 0 1 1 256, p99.9 at rank 2.997:
  // 1 + 0.997 * 255.
  for (TableRounding r : kAllTableRoundings) {
    auto t = Make(r);
    const uint8_t codes[] = {0, 255};
    StatusOr<ConservationStats> s =
        VerifyConservation(*t, QinsTableOp::kAdd, codes, 2);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->pairs, 4u);
    EXPECT_DOUBLE_EQ(s->mean, 64.5);
    EXPECT_EQ(s->max, 256.0);
    EXPECT_EQ(s->max_a, 255);
    EXPECT_EQ(s->max_b, 255);
    EXPECT_NEAR(s->p999, 1 + 0.997 * 255, 1e-9);
    EXPECT_EQ(s->below_10, 3u);
    EXPECT_DOUBLE_EQ(s->share_below_10, 0.75);
  }
}

TEST(QinsTablesVerify, MulIsRelative) {
  auto t = Make(TableRounding::kTruncate);
  const uint8_t zero[] = {0};  // 1 * 1 = 1: exact
  StatusOr<ConservationStats> s =
      VerifyConservation(*t, QinsTableOp::kMul, zero, 1);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->max, 0.0);
  const uint8_t top[] = {255};  // 256 * 256 = 65536, saturates at 256
  s = VerifyConservation(*t, QinsTableOp::kMul, top, 1);
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->max, (65536.0 - 256.0) / 65536.0);
}

// The all-pairs statistics against a loop written here.
TEST(QinsTablesVerify, AllPairsMatchIndependentLoop) {
  for (TableRounding r : kAllTableRoundings) {
    auto t = Make(r);
    StatusOr<ConservationStats> s =
        VerifyConservationAllPairs(*t, QinsTableOp::kAdd);
    ASSERT_TRUE(s.ok());
    double sum = 0, mx = 0;
    size_t below = 0;
    for (int a = 0; a < 256; ++a) {
      for (int b = 0; b < 256; ++b) {
        const float mu_a = 256.0f / Value(a), mu_b = 256.0f / Value(b);
        const float mu_t = 256.0f / Value(t->add[a * 256 + b]);
        const float e = std::fabs(mu_t - (mu_a + mu_b));
        sum += e;
        mx = std::max(mx, double{e});
        below += e < 10.0f;
      }
    }
    EXPECT_EQ(s->pairs, 65536u);
    EXPECT_NEAR(s->mean, sum / 65536, 1e-12);
    EXPECT_EQ(s->max, mx);
    EXPECT_EQ(s->below_10, below);
    EXPECT_LE(s->p999, s->max);
    // Every reading reaches the document's maximum at 1 (+) 1.
    EXPECT_EQ(s->max, 256.0);
  }
}

TEST(QinsTablesVerify, DocumentSampleHas81Pairs) {
  auto t = Make(TableRounding::kFloor);
  StatusOr<ConservationStats> s =
      VerifyConservation(*t, QinsTableOp::kAdd, kDocumentSampleCodes,
                         std::size(kDocumentSampleCodes));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->pairs, 81u);
}

TEST(QinsTablesVerify, RejectsBadArguments) {
  auto t = Make(TableRounding::kTruncate);
  EXPECT_FALSE(VerifyConservation(*t, QinsTableOp::kAdd, nullptr, 3).ok());
  const uint8_t c[] = {1};
  EXPECT_FALSE(VerifyConservation(*t, QinsTableOp::kAdd, c, 0).ok());
  EXPECT_FALSE(VerifyConservation(*t, static_cast<QinsTableOp>(9), c, 1).ok());
}

}  // namespace
}  // namespace qins
