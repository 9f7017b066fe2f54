// f32 GEMV and dot product against a double-precision reference, on every
// compiled target the CPU supports.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "dispatch/f32_kernels.h"
#include "gtest/gtest.h"
#include "qins/gemv.h"
#include "tests/support/per_target.h"
#include "tests/support/reference.h"

namespace qins {
namespace {

using testing::GemvReference;
using testing::MakeContext;
using testing::RandomFloats;

class GemvF32Test : public testing::PerTargetTest {
 protected:
  size_t Lanes() const { return GetF32Kernels(target()).f32_lanes(); }

  // Error bound for one row. Each of the two vector accumulators adds at most
  // ceil(K / 2N) + 1 fused products (one rounding each), then acc0 + acc1
  // (one rounding) and a log2(N)-deep lane sum: at most m roundings on the
  // path of any product, so |err| <= m * u * sum|w x| to first order
  // (recursive-summation bound), u = 2^-24. 5% slack covers the second-order
  // term.
  double Tolerance(size_t K, double abs_sum) const {
    const size_t N = Lanes();
    const double m = std::ceil(double(K) / (2 * N)) + 3 + std::log2(double(N));
    return 1.05 * m * std::ldexp(1.0, -24) * abs_sum;
  }

  void CheckShape(size_t rows, size_t cols, size_t stride, int threads) {
    SCOPED_TRACE(::testing::Message()
                 << "rows=" << rows << " cols=" << cols << " stride=" << stride
                 << " threads=" << threads);
    const std::vector<float> w =
        RandomFloats(rows * stride, 17 + rows * 31 + cols);
    const std::vector<float> x = RandomFloats(cols, 5 + cols);
    std::vector<float> y(rows, std::numeric_limits<float>::quiet_NaN());
    const Context ctx = MakeContext(target(), threads);
    ASSERT_TRUE(
        GemvF32(ctx, w.data(), rows, cols, stride, x.data(), y.data()).ok());
    std::vector<double> ref, abs_sum;
    GemvReference(w.data(), rows, cols, stride, x.data(), ref, abs_sum);
    for (size_t i = 0; i < rows; ++i) {
      ASSERT_NEAR(y[i], ref[i], Tolerance(cols, abs_sum[i])) << "row " << i;
    }
  }
};

TEST_P(GemvF32Test, KernelIsTheRequestedTarget) {
  EXPECT_EQ(GetF32Kernels(target()).target_bit, target().bit);
  EXPECT_GE(Lanes(), 1u);
}

TEST_P(GemvF32Test, OddShapesMatchReference) {
  const size_t L = Lanes();
  const std::vector<size_t> ks = {
      1,     2,         L > 1 ? L - 1 : 1, L,   L + 1, 2 * L - 1,
      2 * L, 2 * L + 1, 3 * L + 5,         100, 1000,  4099};
  for (size_t rows : {1, 2, 3, 4, 5, 7, 8, 33}) {
    for (size_t cols : ks) CheckShape(rows, cols, cols, 1);
  }
}

TEST_P(GemvF32Test, RowStrideLargerThanCols) {
  CheckShape(9, 13, 16, 1);
  CheckShape(5, 64, 70, 2);
}

TEST_P(GemvF32Test, LargeShapeMultithreaded) {
  CheckShape(1031, 517, 517, 2);
  CheckShape(600, 3000, 3000, 2);
}

TEST_P(GemvF32Test, ResultIndependentOfThreadCountAndRowGrouping) {
  const size_t rows = 2053, cols = 1029;  // > 64K weights: runs in parallel
  const std::vector<float> w = RandomFloats(rows * cols, 1);
  const std::vector<float> x = RandomFloats(cols, 2);
  std::vector<float> y1(rows), yt(rows);
  ASSERT_TRUE(GemvF32(MakeContext(target(), 1), w.data(), rows, cols, cols,
                      x.data(), y1.data())
                  .ok());
  for (int threads : {2, 3, 4}) {
    ASSERT_TRUE(GemvF32(MakeContext(target(), threads), w.data(), rows, cols,
                        cols, x.data(), yt.data())
                    .ok());
    EXPECT_EQ(0, std::memcmp(y1.data(), yt.data(), rows * sizeof(float)))
        << threads << " threads";
  }
  // A row alone (1-row path) and via DotF32 equals the same row inside a
  // 4-row group.
  const Context ctx = MakeContext(target(), 1);
  for (size_t i : {size_t{0}, size_t{5}, size_t{2050}}) {
    float yi;
    ASSERT_TRUE(
        GemvF32(ctx, w.data() + i * cols, 1, cols, cols, x.data(), &yi).ok());
    EXPECT_EQ(0, std::memcmp(&yi, &y1[i], sizeof(float))) << "row " << i;
    StatusOr<float> d = DotF32(ctx, w.data() + i * cols, x.data(), cols);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(0, std::memcmp(&*d, &y1[i], sizeof(float))) << "dot row " << i;
  }
}

TEST_P(GemvF32Test, DotMatchesReference) {
  const Context ctx = MakeContext(target(), 1);
  for (size_t n : {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 129, 1000, 65537}) {
    const std::vector<float> a = RandomFloats(n, 3 + n),
                             b = RandomFloats(n, 4 + n);
    std::vector<double> ref, abs_sum;
    GemvReference(a.data(), 1, n, n, b.data(), ref, abs_sum);
    StatusOr<float> d = DotF32(ctx, a.data(), b.data(), n);
    ASSERT_TRUE(d.ok());
    EXPECT_NEAR(*d, ref[0], Tolerance(n, abs_sum[0])) << "n=" << n;
  }
}

TEST_P(GemvF32Test, NanAndInfPropagate) {
  const size_t rows = 6, cols = 37;
  std::vector<float> w = RandomFloats(rows * cols, 9);
  std::vector<float> x = RandomFloats(cols, 10);
  w[2 * cols + 36] = std::numeric_limits<float>::infinity();  // tail element
  w[4 * cols + 0] = std::numeric_limits<float>::quiet_NaN();
  x[5] = 0.0f;
  w[1 * cols + 5] = std::numeric_limits<float>::infinity();  // inf * 0 = NaN
  std::vector<float> y(rows);
  ASSERT_TRUE(GemvF32(MakeContext(target(), 1), w.data(), rows, cols, cols,
                      x.data(), y.data())
                  .ok());
  EXPECT_TRUE(std::isnan(y[1]));
  EXPECT_TRUE(std::isinf(y[2]) && (y[2] > 0) == (x[36] > 0));
  EXPECT_TRUE(std::isnan(y[4]));
  EXPECT_TRUE(std::isfinite(y[0]) && std::isfinite(y[3]) &&
              std::isfinite(y[5]));
}

TEST_P(GemvF32Test, EmptyAndInvalidShapes) {
  const Context ctx = MakeContext(target(), 1);
  float w[4] = {1, 2, 3, 4}, x[2] = {1, 1}, y[2] = {7, 7};
  EXPECT_TRUE(GemvF32(ctx, w, 0, 2, 2, x, y).ok());  // no rows: no-op
  EXPECT_EQ(y[0], 7.0f);
  ASSERT_TRUE(GemvF32(ctx, nullptr, 2, 0, 0, nullptr, y).ok());  // K = 0
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(GemvF32(ctx, w, 2, 2, 1, x, y).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(GemvF32(ctx, nullptr, 2, 2, 2, x, y).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(GemvF32(ctx, w, 2, 2, 2, nullptr, y).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(GemvF32(ctx, w, 2, 2, 2, x, nullptr).code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(DotF32(ctx, nullptr, x, 2).ok());
  StatusOr<float> zero = DotF32(ctx, nullptr, nullptr, 0);
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(*zero, 0.0f);
}

// Issue 19 items 3 and 4: in place (y == x) returned OK and a wrong y; sizes
// whose byte counts overflow read out of bounds instead of failing.
TEST_P(GemvF32Test, OverlapAndOversizedShapesAreRefused) {
  const Context ctx = MakeContext(target(), 1);
  std::vector<float> w = RandomFloats(16, 3), x = RandomFloats(4, 4);
  Status st = GemvF32(ctx, w.data(), 4, 4, 4, x.data(), x.data());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("y and x overlap"), std::string::npos);
  std::vector<float> xy = RandomFloats(6, 5);  // y = xy[2..6) overlaps x
  EXPECT_FALSE(GemvF32(ctx, w.data(), 4, 4, 4, xy.data(), xy.data() + 2).ok());
  st = GemvF32(ctx, w.data(), 2, 4, 4, x.data(), w.data() + 6);
  EXPECT_NE(st.message().find("y and W overlap"), std::string::npos);
  std::vector<float> y(4);
  // Adjacent, not overlapping: fine.
  std::vector<float> xy2 = RandomFloats(8, 6);
  EXPECT_TRUE(GemvF32(ctx, w.data(), 4, 4, 4, xy2.data(), xy2.data() + 4).ok());
  const size_t kMax = std::numeric_limits<size_t>::max();
  for (auto [rows, cols, stride] : {std::tuple{kMax / 4, size_t{4}, size_t{4}},
                                    std::tuple{size_t{1}, kMax / 2, kMax / 2},
                                    std::tuple{size_t{2}, size_t{4}, kMax / 4},
                                    std::tuple{kMax, size_t{1}, size_t{1}}}) {
    st = GemvF32(ctx, w.data(), rows, cols, stride, x.data(), y.data());
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << rows << " " << cols;
    EXPECT_NE(st.message().find("exceed the largest array"), std::string::npos)
        << st.message();
  }
  StatusOr<float> d = DotF32(ctx, w.data(), x.data(), kMax / 2);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
}

QINS_INSTANTIATE_PER_TARGET(GemvF32Test);

}  // namespace
}  // namespace qins
