// bench_gemm: Y = X W^T throughput per weight format, shape, batch size M and
// thread count, against the FMA peak and the read bandwidth measured in the
// same process with the same threads.
//
// Rows are named gemm/<format>/<N>x<K>/m:<M>/threads:<t> (W is N x K, X is
// M x K), with X in f32 (GemmStrategy::kDecodeF32); formats with the
// integer-dot GEMM also get rows gemm/<format>@dot/... (GemmStrategy::kDot:
// X rounded to int8 blocks, its quantization included in the time). W is
// rotated over enough copies to exceed 4x the last-level cache
// (bench_support.h ColdCopies), so every call reads W from memory once, as a
// model's forward pass does. M = 1 runs the GEMV path (qins::Gemm's default;
// for @dot rows, the dot GEMV).
// Counters (per row):
//   GFLOP/s     2 M N K / time
//   peak        FMA-throughput GFLOP/s of this target on the row's threads,
//               measured just before the row (FmaPeakGflops below)
//   frac_peak   GFLOP/s / peak
//   bw, frac_bw the read bandwidth timed side by side with the kernel and
//               the format's bytes of W (read once per call) / time / bw
//   weights/s, bytes/s, ns/weight, tsc/weight as in bench_gemv
// tools/plot_sweep plots GFLOP/s against M per format and marks each
// format's crossover batch: the smallest M from which on frac_peak >=
// frac_bw (the call is nearer the compute roof than the bandwidth roof).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/bench_gemm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace qins::bench {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// `iters` rounds of 10 independent MulAdd chains (10 >= FMA latency x
// pipes on every x86 and Arm core we target, so throughput-bound): returns
// the flops done, 2 x 10 x lanes x iters. a = a * b + c with b just below 1
// and c tiny keeps the values finite and normal.
double FmaChains(size_t iters) {
  const hn::ScalableTag<float> d;
  const auto b = hn::Set(d, 0.999999f), c = hn::Set(d, 1e-6f);
  auto a0 = hn::Set(d, 1.0f), a1 = hn::Set(d, 1.1f), a2 = hn::Set(d, 1.2f);
  auto a3 = hn::Set(d, 1.3f), a4 = hn::Set(d, 1.4f), a5 = hn::Set(d, 1.5f);
  auto a6 = hn::Set(d, 1.6f), a7 = hn::Set(d, 1.7f), a8 = hn::Set(d, 1.8f);
  auto a9 = hn::Set(d, 1.9f);
  for (size_t i = 0; i < iters; ++i) {
    a0 = hn::MulAdd(a0, b, c);
    a1 = hn::MulAdd(a1, b, c);
    a2 = hn::MulAdd(a2, b, c);
    a3 = hn::MulAdd(a3, b, c);
    a4 = hn::MulAdd(a4, b, c);
    a5 = hn::MulAdd(a5, b, c);
    a6 = hn::MulAdd(a6, b, c);
    a7 = hn::MulAdd(a7, b, c);
    a8 = hn::MulAdd(a8, b, c);
    a9 = hn::MulAdd(a9, b, c);
  }
  const auto sum = hn::Add(hn::Add(hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)),
                                   hn::Add(hn::Add(a4, a5), hn::Add(a6, a7))),
                           hn::Add(a8, a9));
  // Keeps the chains alive.
  volatile float sink = hn::GetLane(sum);
  (void)sink;
  return 2.0 * 10 * hn::Lanes(d) * static_cast<double>(iters);
}

}  // namespace HWY_NAMESPACE
}  // namespace qins::bench
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "dispatch/parallel.h"
#include "dispatch/target_index.h"
#include "qins/gemm.h"
#include "qins/quantize.h"

namespace qins::bench {
namespace {

HWY_EXPORT(FmaChains);

using Clock = std::chrono::steady_clock;

// FMA-throughput peak in GFLOP/s on ctx's target and all of its threads:
// every thread runs FmaChains; the best of 3 wall-clock runs of ~`seconds`
// each. The VM does not report its clock, so this, not a nominal figure, is
// what frac_peak divides by.
double FmaPeakGflops(const Context& ctx, double seconds) {
  const auto chains =
      HWY_DISPATCH_TABLE(FmaChains)[HwyTableIndex(ctx.target().bit)];
  // Calibrate iterations on one thread.
  size_t iters = 1 << 16;
  for (;;) {
    const auto t0 = Clock::now();
    chains(iters);
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    if (dt > seconds / 4 || iters > (size_t{1} << 34)) {
      iters = static_cast<size_t>(iters * seconds / std::max(dt, 1e-9));
      break;
    }
    iters *= 4;
  }
  const size_t threads = static_cast<size_t>(ctx.num_threads());
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::atomic<double> flops{0};
    const auto t0 = Clock::now();
    ParallelFor(ctx, threads, 1, [&](size_t b, size_t e) {
      double f = 0;
      for (size_t i = b; i < e; ++i) f += chains(iters);
      double cur = flops.load();
      while (!flops.compare_exchange_weak(cur, cur + f)) {
      }
    });
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, flops.load() / dt * 1e-9);
  }
  return best;
}

struct Shape {
  size_t n, k;
};

void RunGemm(benchmark::State& state, Format f, GemmStrategy strategy, Shape s,
             size_t m, int threads) {
  const size_t weights = s.n * s.k;
  const size_t bytes =
      static_cast<size_t>(GetFormatInfo(f).bytes_per_weight * weights);
  // --qins_quick (CI smoke run): two copies, not the cold rotation, to keep
  // the run to seconds; its figures are not the cold-W measurement.
  const size_t copies = GetFlags().quick ? 2 : ColdCopies(bytes);
  const Context ctx = MakeBenchContext(threads);
  const std::vector<QuantizedMatrix> w = QuantizedCopies(f, s.n, s.k, copies);
  std::vector<float> x(m * s.k), y(m * s.n);
  FillUniform(x.data(), x.size(), 7);
  GemmOptions opt;
  opt.strategy = strategy;
  for (const QuantizedMatrix& q : w) {  // warm-up: page faults, thread start
    const Status st = Gemm(ctx, q, x.data(), m, s.k, y.data(), s.n, opt);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
  }
  const double peak = FmaPeakGflops(ctx, GetFlags().quick ? 0.002 : 0.05);
  SideBySide timing(ctx, copies);
  RunSideBySide(state, timing, w, y.data(), [&](const QuantizedMatrix& q) {
    return Gemm(ctx, q, x.data(), m, s.k, y.data(), s.n, opt);
  });
  SetThroughputCounters(state, static_cast<double>(weights),
                        static_cast<double>(bytes), timing);
  const double flops = 2.0 * static_cast<double>(m) * weights *
                       static_cast<double>(state.iterations());
  const double gflops =
      timing.kernel_seconds() > 0 ? flops / timing.kernel_seconds() * 1e-9 : 0;
  state.counters["GFLOP/s"] = gflops;
  state.counters["peak"] = peak;
  state.counters["frac_peak"] = peak > 0 ? gflops / peak : 0;
  state.SetLabel(TargetName(ctx.target()) +
                 " copies=" + std::to_string(copies));
}

void RegisterAll() {
  const Flags& flags = GetFlags();
  const int hw =
      static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Threads 1..2 by default (issue #5's sweep); --qins_max_threads raises
  // or lowers the limit.
  const int max_threads =
      flags.max_threads > 0 ? flags.max_threads : std::min(2, hw);
  std::vector<Shape> shapes = {{3072, 8192}, {8192, 3072}};
  std::vector<size_t> batches = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  if (flags.quick) {
    shapes = {{512, 1024}};
    batches = {1, 8, 64};
  }
  StatusOr<std::vector<Format>> formats = ParseFormatList(flags.formats);
  if (!formats.ok()) {
    std::fprintf(stderr, "bench_gemm: --qins_formats: %s\n",
                 formats.status().message().c_str());
    std::exit(2);
  }
  for (Format f : *formats) {
    for (GemmStrategy strategy :
         {GemmStrategy::kDecodeF32, GemmStrategy::kDot}) {
      if (!HasGemmStrategy(f, strategy)) continue;
      // The f32-activation rows keep the format's name; the integer-dot
      // ones are FORMAT@dot (as qins-run names a format's dot strategy).
      const std::string label =
          FormatName(f) + (strategy == GemmStrategy::kDot
                               ? "@" + std::string(GemmStrategyName(strategy))
                               : "");
      for (Shape s : shapes) {
        for (int t = 1; t <= max_threads; ++t) {
          for (size_t m : batches) {
            const std::string name =
                "gemm/" + label + "/" + std::to_string(s.n) + "x" +
                std::to_string(s.k) + "/m:" + std::to_string(m) +
                "/threads:" + std::to_string(t);
            benchmark::RegisterBenchmark(name.c_str(), RunGemm, f, strategy, s,
                                         m, t)
                ->UseManualTime()
                ->Unit(benchmark::kMillisecond);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace qins::bench

int main(int argc, char** argv) {
  return qins::bench::BenchMain(
      argc, argv,
      "bench_gemm: Y = X W^T batch sweep (M = 1..512) per format, against the "
      "same-run FMA peak and read bandwidth.\n"
      "Rows gemm/<format>/<N>x<K>/m:<M>/threads:<t>; threads 1..2 unless "
      "--qins_max_threads is given. Plot: tools/plot_sweep/plot_gemm.py.",
      qins::bench::RegisterAll);
}
#endif  // HWY_ONCE
