// Smoke test for an installed libqinskernels: includes only the public
// umbrella header, creates a Context, runs GemvF32 on a small strided
// matrix whose result is exact, so any mismatch is a real error, and splits
// a loop with the public ParallelFor. Prints
// "consumer OK" and returns 0 on success; prints why and returns 1 otherwise.
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <vector>

#include "qins/qins.h"

namespace {

constexpr size_t kRows = 5;
constexpr size_t kCols = 37;
constexpr size_t kStride = 40;  // three padding floats after every row

// Small integers: every partial sum is an integer far below 2^24, so the f32
// result is exact in any summation order.
float W(size_t r, size_t c) {
  return static_cast<float>(static_cast<int>((r * 7 + c * 3) % 11) - 5);
}
float X(size_t c) { return static_cast<float>(static_cast<int>(c % 5) - 2); }

}  // namespace

int main() {
  qins::StatusOr<qins::Context> ctx = qins::Context::Create();
  if (!ctx.ok()) {
    std::fprintf(stderr, "consumer FAILED: Context::Create: %s\n",
                 ctx.status().ToString().c_str());
    return 1;
  }

  // Padding is NaN: reading it would poison the result.
  std::vector<float> w(kRows * kStride,
                       std::numeric_limits<float>::quiet_NaN());
  std::vector<float> x(kCols);
  std::vector<float> expected(kRows, 0.0f);
  for (size_t c = 0; c < kCols; ++c) x[c] = X(c);
  for (size_t r = 0; r < kRows; ++r) {
    long sum = 0;
    for (size_t c = 0; c < kCols; ++c) {
      w[r * kStride + c] = W(r, c);
      sum += static_cast<long>(W(r, c)) * static_cast<long>(X(c));
    }
    expected[r] = static_cast<float>(sum);
  }

  std::vector<float> y(kRows, -12345.0f);
  qins::Status status =
      qins::GemvF32(*ctx, w.data(), kRows, kCols, kStride, x.data(), y.data());
  if (!status.ok()) {
    std::fprintf(stderr, "consumer FAILED: GemvF32: %s\n",
                 status.ToString().c_str());
    return 1;
  }
  int bad = 0;
  for (size_t r = 0; r < kRows; ++r) {
    if (!(y[r] == expected[r])) {
      std::fprintf(stderr, "consumer FAILED: y[%zu] = %g, expected %g\n", r,
                   static_cast<double>(y[r]), static_cast<double>(expected[r]));
      ++bad;
    }
  }
  if (bad != 0) return 1;

  // Errors come back as values, with their message intact across the library
  // boundary.
  qins::Status invalid = qins::GemvF32(*ctx, w.data(), kRows, kCols, kCols - 1,
                                       x.data(), y.data());
  if (invalid.code() != qins::StatusCode::kInvalidArgument ||
      invalid.message().empty()) {
    std::fprintf(stderr,
                 "consumer FAILED: row_stride < cols gave \"%s\", expected "
                 "InvalidArgument\n",
                 invalid.ToString().c_str());
    return 1;
  }

  // ParallelFor (qins/context.h) covers [0, n) exactly once, in ranges of at
  // least `grain` indices.
  constexpr size_t kN = 1000, kGrain = 16;
  std::vector<std::atomic<int>> hits(kN);
  std::atomic<bool> short_range{false};
  auto body = [&](size_t begin, size_t end) {
    if (end - begin < kGrain) short_range = true;
    for (size_t i = begin; i < end; ++i) hits[i]++;
  };
  qins::ParallelFor(*ctx, kN, kGrain, body);  // an lvalue callable
  for (size_t i = 0; i < kN; ++i) {
    if (hits[i].load() != 1 || short_range) {
      std::fprintf(stderr,
                   "consumer FAILED: ParallelFor: index %zu run %d times%s\n",
                   i, hits[i].load(), short_range ? ", a short range" : "");
      return 1;
    }
  }

  std::printf("qinskernels %s, target %s, %d threads: consumer OK\n",
              qins::Version(), qins::TargetName(ctx->target()).c_str(),
              ctx->num_threads());
  return 0;
}
