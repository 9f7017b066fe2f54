// Report helpers: JSON escaping, mean/spread, VmHWM.
#include "tools/runner/report.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace qins::runner {
namespace {

TEST(ReportTest, JsonStringEscapes) {
  EXPECT_EQ(JsonString("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
  EXPECT_EQ(JsonString(""), "\"\"");
}

TEST(ReportTest, SummarizeUsesTheSampleStandardDeviation) {
  const MeanSpread s = Summarize({1.0, 2.0, 3.0, 4.0});
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_NEAR(s.stddev, 1.2909944487358056, 1e-12);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 4.0);
  EXPECT_EQ(Summarize({5.0}).stddev, 0.0);
  EXPECT_EQ(Summarize({}).mean, 0.0);
}

TEST(ReportTest, PeakRssSeesAnAllocation) {
  const size_t before = PeakRssBytes();
  ASSERT_GT(before, 0u);
  // 64 MiB written page by page, so it is resident; the process's peak
  // before it was a few MiB.
  std::vector<char> big(64 << 20);
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = 1;
  EXPECT_GE(PeakRssBytes(), before + (60u << 20));
  EXPECT_EQ(big[4096], 1);
}

}  // namespace
}  // namespace qins::runner
