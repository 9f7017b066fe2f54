#include <vector>

#include "gtest/gtest.h"
#include "qins/bandwidth.h"
#include "tests/support/per_target.h"

namespace qins {
namespace {

class ReadBandwidthTest : public testing::PerTargetTest {};

TEST_P(ReadBandwidthTest, ParallelSumIsExactOnIntegers) {
  // Small integers sum exactly in f32 whatever the order.
  for (int threads : {1, 2}) {
    const Context ctx = testing::MakeContext(target(), threads);
    for (size_t n : {1, 5, 16, 17, 4095, 4096, 4097, 100000}) {
      std::vector<float> v(n);
      double ref = 0;
      for (size_t i = 0; i < n; ++i) ref += v[i] = static_cast<float>(i % 5);
      EXPECT_EQ(ParallelSumF32(ctx, v.data(), n), static_cast<float>(ref)) << n;
    }
  }
}

TEST_P(ReadBandwidthTest, MeasuresAPositiveRate) {
  const Context ctx = testing::MakeContext(target(), 2);
  StatusOr<ReadBandwidth> bw = MeasureReadBandwidth(ctx, 1 << 16, 3, 0.001, 2);
  ASSERT_TRUE(bw.ok()) << bw.status().ToString();
  EXPECT_GT(bw->bytes_per_second, 0);
  EXPECT_GE(bw->bytes_per_second, bw->median_bytes_per_second);
  EXPECT_EQ(bw->buffers, 3u);
  EXPECT_EQ(bw->bytes_per_pass, size_t{1} << 16);
}

TEST_P(ReadBandwidthTest, RejectsBadArguments) {
  const Context ctx = testing::MakeContext(target(), 1);
  EXPECT_FALSE(MeasureReadBandwidth(ctx, 0, 1).ok());
  EXPECT_FALSE(MeasureReadBandwidth(ctx, 4096, 0).ok());
  EXPECT_FALSE(MeasureReadBandwidth(ctx, 4096, 1, 0.01, 0).ok());
  EXPECT_FALSE(MeasureReadBandwidth(ctx, 4096, 1, -1.0).ok());
}

QINS_INSTANTIATE_PER_TARGET(ReadBandwidthTest);

}  // namespace
}  // namespace qins
