#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "qins/bandwidth.h"
#include "tests/support/per_target.h"

namespace qins {
namespace {

class ReadBandwidthTest : public testing::PerTargetTest {};

TEST_P(ReadBandwidthTest, ChecksumMatchesScalarAtAnyAlignment) {
  // The checksum is a wrapping sum of 32-bit words after the head bytes that
  // reach 4-byte alignment, plus head and tail bytes: compute it the same way.
  std::vector<unsigned char> buf(100000 + 8);
  for (size_t i = 0; i < buf.size(); ++i)
    buf[i] = static_cast<unsigned char>(i * 131 + 7);
  for (int threads : {1, 2}) {
    const Context ctx = testing::MakeContext(target(), threads);
    for (size_t offset : {0, 1, 2, 3}) {
      for (size_t n : {0, 1, 3, 5, 16, 17, 4095, 16384, 16387, 100000}) {
        const unsigned char* p = buf.data() + offset;
        size_t head = (4 - reinterpret_cast<uintptr_t>(p) % 4) % 4;
        head = std::min(head, n);
        uint32_t ref = 0;
        for (size_t i = 0; i < head; ++i) ref += p[i];
        const size_t words = (n - head) / 4;
        for (size_t w = 0; w < words; ++w) {
          uint32_t v;
          std::memcpy(&v, p + head + 4 * w, 4);
          ref += v;
        }
        for (size_t i = head + 4 * words; i < n; ++i) ref += p[i];
        EXPECT_EQ(ParallelReadBytes(ctx, p, n), ref)
            << "offset " << offset << " n " << n;
      }
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
