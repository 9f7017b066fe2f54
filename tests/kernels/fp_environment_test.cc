// Results must not depend on the caller's floating-point environment: every
// format's Quantize, Dequantize, every GEMV strategy (and kDot after
// Repack) and Gemm (both strategies), on every
// compiled target the CPU runs, on 1 and 2 threads, give bit-identical
// results with the flush-to-zero flags clear and set (x86 MXCSR DAZ|FTZ,
// Arm FPCR.FZ; dispatch/flush_to_zero.h). The data is typical (weights
// N(0, 0.02), activations N(0, 1)), where no subnormal arises naturally, so
// any difference is a kernel that builds a subnormal intermediate from
// normal inputs, which is also a kernel that takes a microcode assist per
// subnormal operand on Intel cores.
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "dispatch/flush_to_zero.h"
#include "gtest/gtest.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/task_arena.h"
#include "qins/gemm.h"
#include "qins/gemv.h"
#include "qins/quantize.h"
#include "tests/support/format_cols.h"
#include "tests/support/per_target.h"
#include "tests/support/reference.h"

namespace qins {
namespace {

using ::qins::FlushedOnThisThread;
using ::qins::ScopedFlushToZero;

// The flags really flush (so the comparisons below can fail), on the calling
// thread and on the workers of an arena created while they are set, and are
// restored when the guard leaves its scope.
TEST(FlushToZeroTest, FlagsFlushSubnormalsAndAreRestored) {
  if (!kHaveFlushFlags) GTEST_SKIP() << "no flush flags known here";
  const uint64_t before = ScopedFlushToZero::Read();
  ASSERT_FALSE(FlushedOnThisThread()) << "flags already set by the runner";
  {
    ScopedFlushToZero ftz;
    EXPECT_TRUE(FlushedOnThisThread());
    tbb::task_arena arena(2);
    arena.initialize();
    std::atomic<int> flushed{0}, ran{0};
    arena.execute([&] {
      tbb::parallel_for(0, 64, [&](int) {
        ++ran;
        if (FlushedOnThisThread()) ++flushed;
      });
    });
    EXPECT_EQ(flushed.load(), ran.load());
  }
  EXPECT_EQ(ScopedFlushToZero::Read(), before);
  EXPECT_FALSE(FlushedOnThisThread());
}

// Every result's bits, labelled, in one list.
struct Results {
  std::vector<std::string> labels;
  std::vector<std::vector<uint32_t>> bits;

  void Add(std::string label, const float* v, size_t n) {
    std::vector<uint32_t> b(n);
    if (n != 0) std::memcpy(b.data(), v, n * sizeof(float));  // v may be null

    labels.push_back(std::move(label));
    bits.push_back(std::move(b));
  }
  void AddBytes(std::string label, const uint8_t* p, size_t n) {
    labels.push_back(std::move(label));
    bits.emplace_back(p, p + n);
  }
};

struct Shape {
  size_t rows, cols;
};

Results RunEverything(Target target, int threads, bool flush) {
  Results res;
  // Created after the flags are set, so the workers inherit them.
  const Context ctx = testing::MakeContext(target, threads);
  if (flush) {
    EXPECT_TRUE(FlushedOnThisThread());
  }
  for (const Shape sh : {Shape{37, 320}, Shape{5, 65}}) {
    const size_t rows = sh.rows, m = 5;
    for (Format f : AllFormats()) {
      const bool slow = f.kind == FormatKind::kFpinsNearest && f.level > 2;
      if (slow && rows > 5) continue;  // slow encoder: the small shape only
      // The K-quants: 768 and 256 columns (whole super-blocks).
      const size_t cols = testing::FitCols(f, sh.cols);
      const std::vector<float> w =
          testing::RandomFloats(rows * cols, 100 + rows, 0.02f);
      const std::vector<float> x = testing::RandomFloats(m * cols, 200 + cols);
      std::ostringstream os;
      os << FormatName(f) << " " << rows << "x" << cols << " ";
      const std::string name = os.str();
      StatusOr<QuantizedMatrix> q = Quantize(ctx, f, w.data(), rows, cols);
      EXPECT_TRUE(q.ok()) << name << q.status().ToString();
      if (!q.ok()) continue;
      for (size_t r = 0; r < rows; ++r) {
        res.AddBytes(name + "Quantize row " + std::to_string(r), q->row(r),
                     q->row_payload_bytes());
        res.Add(name + "Quantize row params " + std::to_string(r),
                q->row_params(r), q->params_per_row());
      }
      res.Add(name + "Quantize tensor params", q->tensor_params().data(),
              q->tensor_params().size());
      std::vector<float> dq(rows * cols);
      EXPECT_TRUE(Dequantize(ctx, *q, dq.data()).ok()) << name;
      res.Add(name + "Dequantize", dq.data(), dq.size());
      for (GemvStrategy s : GemvStrategies(f)) {
        std::vector<float> y(rows);
        GemvOptions o;
        o.strategy = s;
        EXPECT_TRUE(Gemv(ctx, *q, x.data(), y.data(), o).ok()) << name;
        res.Add(name + "Gemv " + GemvStrategyName(s), y.data(), rows);
      }
      if (HasRepack(f)) {  // kDot over qins::Repack's interleaved copy
        std::vector<float> y(rows);
        EXPECT_TRUE(Repack(ctx, *q).ok()) << name;
        EXPECT_TRUE(
            Gemv(ctx, *q, x.data(), y.data(), {GemvStrategy::kDot}).ok())
            << name;
        res.Add(name + "Gemv dot after Repack", y.data(), rows);
      }
      std::vector<float> ym(m * rows);
      EXPECT_TRUE(Gemm(ctx, *q, x.data(), m, cols, ym.data(), rows).ok())
          << name;
      res.Add(name + "Gemm", ym.data(), ym.size());
      if (HasGemmStrategy(f, GemmStrategy::kDot)) {
        GemmOptions o;
        o.strategy = GemmStrategy::kDot;
        EXPECT_TRUE(Gemm(ctx, *q, x.data(), m, cols, ym.data(), rows, o).ok())
            << name;
        res.Add(name + "Gemm dot", ym.data(), ym.size());
      }
    }
  }
  return res;
}

class FpEnvironmentTest : public testing::PerTargetTest {};

TEST_P(FpEnvironmentTest, EveryFormatAndStrategyIsIdenticalUnderFlushToZero) {
  if (!kHaveFlushFlags) GTEST_SKIP() << "no flush flags known here";
  for (int threads : {1, 2}) {
    SCOPED_TRACE(::testing::Message() << threads << " thread(s)");
    const Results clear = RunEverything(target(), threads, false);
    Results flushed;
    {
      ScopedFlushToZero ftz;
      flushed = RunEverything(target(), threads, true);
    }
    ASSERT_FALSE(FlushedOnThisThread());
    ASSERT_EQ(clear.labels, flushed.labels);
    size_t differing = 0;
    for (size_t i = 0; i < clear.bits.size(); ++i) {
      const std::vector<uint32_t>& a = clear.bits[i];
      const std::vector<uint32_t>& b = flushed.bits[i];
      ASSERT_EQ(a.size(), b.size()) << clear.labels[i];
      for (size_t j = 0; j < a.size(); ++j) {
        if (a[j] != b[j]) {
          // One line per differing result, naming its first difference.
          ADD_FAILURE() << clear.labels[i] << ": element " << j << " is 0x"
                        << std::hex << a[j] << " with the flags clear, 0x"
                        << b[j] << " with DAZ/FTZ set";
          ++differing;
          break;
        }
      }
    }
    EXPECT_EQ(differing, 0u) << "of " << clear.bits.size() << " results";
  }
}

QINS_INSTANTIATE_PER_TARGET(FpEnvironmentTest);

}  // namespace
}  // namespace qins
