// Sampler: greedy, seeded temperature sampling and the top-p nucleus.
#include "tools/runner/sampler.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace qins::runner {
namespace {

TEST(SamplerTest, ArgmaxTakesTheFirstMaximum) {
  const float l[] = {0.5f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(Argmax(l, 4), 1);
  EXPECT_EQ(Argmax(l, 1), 0);
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

}  // namespace
}  // namespace qins::runner
