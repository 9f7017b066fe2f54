// Sampler: greedy, seeded temperature sampling and the top-p nucleus.
#include "tools/runner/sampler.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace qins::runner {
namespace {

TEST(SamplerTest, ArgmaxTakesTheFirstMaximum) {
  const float l[] = {0.5f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(Argmax(l, 4), 1);
  EXPECT_EQ(Argmax(l, 1), 0);
}

// Argmax's two-pass form against the plain loop it replaced, on vocabulary
// sizes around its chunking (1024) with ties across chunks, NaNs (at 0, at
// a chunk's start, inside), +-0, +-Inf.
TEST(SamplerTest, ArgmaxEqualsThePlainLoop) {
  auto plain = [](const std::vector<float>& l) {
    int best = 0;
    for (int i = 1; i < int(l.size()); ++i)
      if (l[i] > l[best]) best = i;
    return best;
  };
  const float nan = std::nanf(""), inf = INFINITY;
  uint32_t state = 1;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  for (int n : {1, 2, 17, 2047, 2048, 2049, 3072, 5000, 262144}) {
    for (int trial = 0; trial < 40; ++trial) {
      std::vector<float> l(n);
      // Few distinct values, so that ties (within and across chunks) occur.
      for (float& v : l) v = float(int(next() % 7) - 3);
      switch (trial % 8) {
        case 1:
          l[next() % n] = nan;
          break;
        case 2:
          l[0] = nan;
          break;
        case 3:
          if (n > 1024) l[1024] = nan;
          break;
        case 4:
          for (float& v : l) v = (next() & 1) ? 0.0f : -0.0f;
          break;
        case 5:
          l[next() % n] = inf;
          l[next() % n] = inf;
          break;
        case 6:
          for (float& v : l) v = -inf;
          l[next() % n] = nan;
          break;
        case 7:
          l[n - 1] = 100.0f;
          break;
        default:
          break;
      }
      ASSERT_EQ(Argmax(l.data(), n), plain(l))
          << "n " << n << " trial " << trial;
    }
  }
}

TEST(SamplerTest, TemperatureZeroIsGreedy) {
  Sampler s(4, 0.0f, 0.9f, 123);
  std::vector<float> l = {0.1f, 0.2f, 3.0f, 0.3f};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s.Sample(l.data()), 2);
}

TEST(SamplerTest, SameSeedSameSequenceAndFrequenciesFollowSoftmax) {
  // Logits log(1), log(2), log(3), log(4): probabilities 0.1 .. 0.4.
  const std::vector<float> logits = {0.0f, 0.693147f, 1.098612f, 1.386294f};
  Sampler a(4, 1.0f, 1.0f, 42), b(4, 1.0f, 1.0f, 42), c(4, 1.0f, 1.0f, 43);
  std::vector<int> count(4, 0);
  bool differs = false;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    std::vector<float> x = logits, y = logits, z = logits;
    const int ta = a.Sample(x.data());
    EXPECT_EQ(ta, b.Sample(y.data()));
    differs |= ta != c.Sample(z.data());
    ++count[ta];
  }
  EXPECT_TRUE(differs);
  for (int k = 0; k < 4; ++k) {
    // 5 standard deviations of a binomial with p = (k+1)/10.
    const double p = (k + 1) / 10.0;
    EXPECT_NEAR(count[k] / double(n), p, 5 * std::sqrt(p * (1 - p) / n)) << k;
  }
}

TEST(SamplerTest, TopPKeepsOnlyTheNucleus) {
  // Probabilities 0.1 .. 0.4: top-p 0.5 keeps {0.4, 0.3} (cumulative 0.7 is
  // the first to exceed 0.5), so ids 0 and 1 never appear.
  const std::vector<float> logits = {0.0f, 0.693147f, 1.098612f, 1.386294f};
  Sampler s(4, 1.0f, 0.5f, 7);
  std::vector<int> count(4, 0);
  for (int i = 0; i < 5000; ++i) {
    std::vector<float> x = logits;
    ++count[s.Sample(x.data())];
  }
  EXPECT_EQ(count[0], 0);
  EXPECT_EQ(count[1], 0);
  EXPECT_GT(count[2], 0);
  EXPECT_GT(count[3], count[2]);
}

// Issue 19 item 1: run.c's nucleus cut-off (1 - top_p) / (n - 1) can exceed
// every probability; the empty candidate list used to index element -1.
TEST(SamplerTest, UniformLogitsBelowOneOverVocabStillSample) {
  Sampler s(4, 1.0f, 0.1f, 7);  // every p = 0.25 < (1 - 0.1) / 3 = 0.3
  for (int i = 0; i < 100; ++i) {
    std::vector<float> x(4, 0.5f);
    const int t = s.Sample(x.data());
    EXPECT_GE(t, 0);
    EXPECT_LT(t, 4);
  }
}

TEST(SamplerTest, TinyTemperatureIsGreedyWithoutOverflow) {
  // logits / 1e-40 overflowed to inf, and inf - inf gave NaN probabilities.
  for (float top_p : {0.9f, 1.0f}) {
    Sampler s(4, 1e-40f, top_p, 3);
    for (int i = 0; i < 20; ++i) {
      std::vector<float> x = {0.1f, 0.5f, -2.0f, 0.2f};
      EXPECT_EQ(s.Sample(x.data()), 1) << top_p;
    }
  }
}

TEST(SamplerTest, OneTokenVocabulary) {
  // (1 - top_p) / (n - 1) divided by zero.
  for (float temp : {0.0f, 1.0f}) {
    Sampler s(1, temp, 0.9f, 1);
    float x = 3.0f;
    EXPECT_EQ(s.Sample(&x), 0);
  }
}

TEST(SamplerTest, NonFiniteLogitsAreRefusedNotTokenZero) {
  for (float bad : {NAN, INFINITY, -INFINITY}) {
    for (float temp : {0.0f, 1.0f}) {
      Sampler s(4, temp, 0.9f, 5);
      std::vector<float> x = {0.1f, bad, 0.2f, 0.3f};
      EXPECT_EQ(s.Sample(x.data()), -1) << bad << " " << temp;
      std::vector<float> all(4, bad);
      EXPECT_EQ(s.Sample(all.data()), -1) << bad << " " << temp;
    }
  }
}

TEST(SamplerTest, OddParametersStillGiveATokenInRange) {
  const float temps[] = {-1.0f, NAN, INFINITY, 1e30f, 1e-45f};
  const float tops[] = {-1.0f, 0.0f, 1e-30f, 0.5f, 1.0f, 2.0f, NAN};
  for (float temp : temps) {
    for (float top_p : tops) {
      Sampler s(5, temp, top_p, 11);
      std::vector<float> x = {-3e38f, 3e38f, 0.0f, 1.0f, 1.0f};
      const int t = s.Sample(x.data());
      EXPECT_GE(t, 0) << temp << " " << top_p;
      EXPECT_LT(t, 5) << temp << " " << top_p;
    }
  }
}

}  // namespace
}  // namespace qins::runner
