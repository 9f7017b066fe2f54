// Element-wise QINS operations on every compiled target the CPU supports: the
// SIMD table lookups equal scalar lookups of the same tables, and the float
// operations equal the scalar float expressions.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "dispatch/lookup_kernels.h"
#include "gtest/gtest.h"
#include "qins/qins_tables.h"
#include "tests/support/per_target.h"

namespace qins {
namespace {

using testing::MakeContext;

constexpr size_t kGuard = 80;  // bytes/floats checked past every output
constexpr uint8_t kGuardByte = 0xA5;

std::unique_ptr<QinsTables> Make(TableRounding r) {
  StatusOr<std::unique_ptr<QinsTables>> t = MakeQinsTables(r);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

std::vector<uint8_t> RandomCodes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (uint8_t& c : v) c = static_cast<uint8_t>(rng() & 0xFF);
  return v;
}

using CodeOp = Status (*)(const Context&, const QinsTables&, const uint8_t*,
                          const uint8_t*, uint8_t*, size_t);
using F32Op = Status (*)(const Context&, const float*, const float*, float*,
                         size_t);

float HarmonicRef(float a, float b) { return (a * b) / (a + b); }
float MulRef(float a, float b) { return a * b; }

class LookupOpsTest : public testing::PerTargetTest {
 protected:
  size_t Lanes() const { return GetLookupKernels(target()).i32_lanes(); }

  // Runs op on n codes starting at byte offset `skew` of the input and
  // output buffers (unaligned on purpose) and checks every result and the
  // guard bytes after the output.
  void CheckCodes(CodeOp op, const uint8_t* table, const QinsTables& t,
                  size_t n, size_t skew, int threads, uint32_t seed) {
    SCOPED_TRACE(::testing::Message()
                 << "n=" << n << " skew=" << skew << " threads=" << threads);
    const std::vector<uint8_t> a0 = RandomCodes(n + skew, seed);
    const std::vector<uint8_t> b0 = RandomCodes(n + skew, seed + 1);
    std::vector<uint8_t> out(n + skew + kGuard, kGuardByte);
    const Context ctx = MakeContext(target(), threads);
    ASSERT_TRUE(
        op(ctx, t, a0.data() + skew, b0.data() + skew, out.data() + skew, n)
            .ok());
    for (size_t i = 0; i < n; ++i) {
      const uint8_t a = a0[skew + i], b = b0[skew + i];
      ASSERT_EQ(out[skew + i], table[a * 256 + b]) << "i=" << i;
    }
    for (size_t i = 0; i < skew; ++i) ASSERT_EQ(out[i], kGuardByte);
    for (size_t i = skew + n; i < out.size(); ++i) {
      ASSERT_EQ(out[i], kGuardByte) << "written past the end at " << i;
    }
  }

  void CheckF32(F32Op op, float (*ref)(float, float), size_t n, size_t skew,
                int threads, uint32_t seed) {
    SCOPED_TRACE(::testing::Message()
                 << "n=" << n << " skew=" << skew << " threads=" << threads);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(1.0f / 256, 256.0f);
    std::vector<float> a(n + skew), b(n + skew);
    for (float& x : a) x = dist(rng);
    for (float& x : b) x = dist(rng);
    std::vector<float> out(n + skew + kGuard, -7.0f);
    const Context ctx = MakeContext(target(), threads);
    ASSERT_TRUE(
        op(ctx, a.data() + skew, b.data() + skew, out.data() + skew, n).ok());
    for (size_t i = 0; i < n; ++i) {
      const float want = ref(a[skew + i], b[skew + i]);
      ASSERT_EQ(0, std::memcmp(&want, &out[skew + i], sizeof(float)))
          << "i=" << i << " got " << out[skew + i] << " want " << want;
    }
    for (size_t i = 0; i < skew; ++i) ASSERT_EQ(out[i], -7.0f);
    for (size_t i = skew + n; i < out.size(); ++i) ASSERT_EQ(out[i], -7.0f);
  }
};

TEST_P(LookupOpsTest, KernelIsTheRequestedTarget) {
  EXPECT_EQ(GetLookupKernels(target()).target_bit, target().bit);
  EXPECT_GE(Lanes(), 1u);
}

// All 65,536 code pairs in one call, in row-major and in shuffled order, for
// two readings (different table contents), with 1 and 2 threads.
TEST_P(LookupOpsTest, AllPairsEqualScalarLookup) {
  std::vector<uint32_t> order(kQinsTableEntries);
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<uint32_t> shuffled = order;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(42));
  for (TableRounding r : {TableRounding::kTruncate, TableRounding::kFloor}) {
    auto t = Make(r);
    for (const auto* idx : {&order, &shuffled}) {
      std::vector<uint8_t> a(idx->size()), b(idx->size());
      for (size_t i = 0; i < idx->size(); ++i) {
        a[i] = static_cast<uint8_t>((*idx)[i] >> 8);
        b[i] = static_cast<uint8_t>((*idx)[i] & 0xFF);
      }
      for (int threads : {1, 2}) {
        const Context ctx = MakeContext(target(), threads);
        std::vector<uint8_t> add(a.size()), mul(a.size());
        ASSERT_TRUE(
            QinsAddCodes(ctx, *t, a.data(), b.data(), add.data(), a.size())
                .ok());
        ASSERT_TRUE(
            QinsMulCodes(ctx, *t, a.data(), b.data(), mul.data(), a.size())
                .ok());
        for (size_t i = 0; i < a.size(); ++i) {
          ASSERT_EQ(add[i], t->add[(*idx)[i]]) << "add pair " << (*idx)[i];
          ASSERT_EQ(mul[i], t->mul[(*idx)[i]]) << "mul pair " << (*idx)[i];
        }
      }
    }
  }
}

// The last table entries are gathered as words that end past the table.
TEST_P(LookupOpsTest, LastEntries) {
  auto t = Make(TableRounding::kRound);
  const uint8_t a[] = {255, 255, 255, 0};
  const uint8_t b[] = {255, 254, 253, 255};
  uint8_t add[4], mul[4];
  const Context ctx = MakeContext(target(), 1);
  ASSERT_TRUE(QinsAddCodes(ctx, *t, a, b, add, 4).ok());
  ASSERT_TRUE(QinsMulCodes(ctx, *t, a, b, mul, 4).ok());
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(add[i], t->add[a[i] * 256 + b[i]]);
    EXPECT_EQ(mul[i], t->mul[a[i] * 256 + b[i]]);
  }
}

TEST_P(LookupOpsTest, OddLengthsAndOffsets) {
  auto t = Make(TableRounding::kTruncate);
  const size_t L = Lanes();
  std::vector<size_t> lengths = {0, 1, 7, 17, 1000, L, L + 1, 3 * L - 1};
  if (L > 1) lengths.push_back(L - 1);
  uint32_t seed = 1;
  for (size_t n : lengths) {
    for (size_t skew : {0, 1, 3}) {
      CheckCodes(&QinsAddCodes, t->add, *t, n, skew, 1, seed++);
      CheckCodes(&QinsMulCodes, t->mul, *t, n, skew, 1, seed++);
    }
  }
}

TEST_P(LookupOpsTest, LargeMultithreaded) {
  auto t = Make(TableRounding::kRound);
  // > 2 x 65,536 elements: split over threads.
  CheckCodes(&QinsAddCodes, t->add, *t, 300001, 1, 2, 7);
  CheckCodes(&QinsMulCodes, t->mul, *t, 300001, 0, 3, 8);
}

TEST_P(LookupOpsTest, OutputMayAliasInput) {
  auto t = Make(TableRounding::kTruncate);
  const Context ctx = MakeContext(target(), 1);
  for (size_t n : {size_t{1000}, size_t{17}}) {
    std::vector<uint8_t> a = RandomCodes(n, 3), b = RandomCodes(n, 4);
    std::vector<uint8_t> want(n);
    for (size_t i = 0; i < n; ++i) want[i] = t->add[a[i] * 256 + b[i]];
    std::vector<uint8_t> a2 = a, b2 = b;
    ASSERT_TRUE(QinsAddCodes(ctx, *t, a2.data(), b.data(), a2.data(), n).ok());
    EXPECT_EQ(a2, want);
    ASSERT_TRUE(QinsAddCodes(ctx, *t, a.data(), b2.data(), b2.data(), n).ok());
    EXPECT_EQ(b2, want);
  }
}

TEST_P(LookupOpsTest, NullArgumentsAreErrors) {
  auto t = Make(TableRounding::kTruncate);
  const Context ctx = MakeContext(target(), 1);
  uint8_t c[4] = {};
  float f[4] = {};
  EXPECT_EQ(QinsAddCodes(ctx, *t, nullptr, c, c, 4).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(QinsMulCodes(ctx, *t, c, nullptr, c, 4).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(QinsAddCodes(ctx, *t, c, c, nullptr, 4).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(HarmonicAddF32(ctx, nullptr, f, f, 4).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MagnitudeMulF32(ctx, f, f, nullptr, 4).code(),
            StatusCode::kInvalidArgument);
  // n == 0 with null pointers is a no-op.
  EXPECT_TRUE(QinsAddCodes(ctx, *t, nullptr, nullptr, nullptr, 0).ok());
  EXPECT_TRUE(HarmonicAddF32(ctx, nullptr, nullptr, nullptr, 0).ok());
}

// Float harmonic addition and magnitude product over all QINS value pairs
// (1..256 as floats, and their magnitudes), bit-exact against the scalar
// expression: every target's divide is IEEE correctly rounded.
TEST_P(LookupOpsTest, FloatOpsAllValuePairsExact) {
  std::vector<float> qa, qb, ma, mb;
  for (int a = 1; a <= 256; ++a) {
    for (int b = 1; b <= 256; ++b) {
      qa.push_back(static_cast<float>(a));
      qb.push_back(static_cast<float>(b));
      ma.push_back(256.0f / a);
      mb.push_back(256.0f / b);
    }
  }
  const Context ctx = MakeContext(target(), 2);
  std::vector<float> h(qa.size()), m(qa.size());
  ASSERT_TRUE(
      HarmonicAddF32(ctx, qa.data(), qb.data(), h.data(), qa.size()).ok());
  ASSERT_TRUE(
      MagnitudeMulF32(ctx, ma.data(), mb.data(), m.data(), ma.size()).ok());
  for (size_t i = 0; i < qa.size(); ++i) {
    const float hw = HarmonicRef(qa[i], qb[i]);
    const float mw = MulRef(ma[i], mb[i]);
    ASSERT_EQ(0, std::memcmp(&hw, &h[i], sizeof(float))) << "i=" << i;
    ASSERT_EQ(0, std::memcmp(&mw, &m[i], sizeof(float))) << "i=" << i;
  }
}

TEST_P(LookupOpsTest, FloatOpsOddLengths) {
  const size_t L = Lanes();
  uint32_t seed = 11;
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{17}, size_t{1000},
                   L + 1, 3 * L - 1}) {
    for (size_t skew : {0, 1}) {
      CheckF32(&HarmonicAddF32, &HarmonicRef, n, skew, 1, seed++);
      CheckF32(&MagnitudeMulF32, &MulRef, n, skew, 1, seed++);
    }
  }
  CheckF32(&HarmonicAddF32, &HarmonicRef, 200003, 1, 2, seed++);
}

QINS_INSTANTIATE_PER_TARGET(LookupOpsTest);

}  // namespace
}  // namespace qins
