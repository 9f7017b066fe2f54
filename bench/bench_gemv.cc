// bench_gemv: y = W x throughput per weight format, shape, thread count and
// cache state, with every row compared against the read bandwidth measured in
// the same process for the same threads, buffer size and cache state.
//
// Rows are named gemv/<format>/<rows>x<cols>/threads:<t>/<hot|cold>:
//   hot   one matrix, reused (in cache if it fits);
//   cold  enough copies, rotated, to exceed 4x the last-level cache.
// Counters (per row):
//   weights/s   weights multiplied per second
//   bytes/s     the format's own bytes per second (side information included)
//   bw          read bandwidth timed side by side with the kernel: every
//               iteration also streams one of the same weight buffers (half
//               a rotation away, so equally cold) with the same threads
//   frac_bw     bytes/s / bw
//   ns/weight   wall time per weight
//   tsc/weight  TSC ticks per weight (x86; the TSC runs at a fixed nominal
//               rate, not the core clock; no hardware counters are used)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "hwy/aligned_allocator.h"
#include "qins/gemv.h"

namespace qins::bench {
namespace {

struct Shape {
  size_t rows, cols;
};

// One weight format's GEMV, as the bench sees it.
struct GemvFormat {
  const char* name;
  double bytes_per_weight;
  // Allocates and fills `copies` matrices; returns an opaque holder.
  std::shared_ptr<void> (*make)(Shape s, size_t copies);
  Status (*run)(const Context& ctx, void* holder, size_t copy, Shape s,
                const float* x, float* y);
  // Start of copy `copy`'s bytes (all of the format's bytes are contiguous).
  const void* (*data)(void* holder, size_t copy);
};

struct F32Matrices {
  std::vector<hwy::AlignedFreeUniquePtr<float[]>> w;
};

const GemvFormat kF32 = {
    "f32", 4.0,
    [](Shape s, size_t copies) -> std::shared_ptr<void> {
      auto m = std::make_shared<F32Matrices>();
      for (size_t c = 0; c < copies; ++c) {
        m->w.push_back(hwy::AllocateAligned<float>(s.rows * s.cols));
        FillUniform(m->w.back().get(), s.rows * s.cols, 100 + c, 0.05f);
      }
      return m;
    },
    [](const Context& ctx, void* holder, size_t copy, Shape s, const float* x,
       float* y) {
      auto* m = static_cast<F32Matrices*>(holder);
      return GemvF32(ctx, m->w[copy].get(), s.rows, s.cols, s.cols, x, y);
    },
    [](void* holder, size_t copy) -> const void* {
      return static_cast<F32Matrices*>(holder)->w[copy].get();
    }};

const GemvFormat* const kFormats[] = {&kF32};

void RunGemv(benchmark::State& state, const GemvFormat* f, Shape s, int threads,
             bool cold) {
  const size_t weights = s.rows * s.cols;
  const size_t bytes = static_cast<size_t>(f->bytes_per_weight * weights);
  const size_t copies = cold ? ColdCopies(bytes) : 1;
  const Context ctx = MakeBenchContext(threads);
  std::shared_ptr<void> m = f->make(s, copies);
  std::vector<float> x(s.cols), y(s.rows);
  FillUniform(x.data(), x.size(), 7);
  for (size_t c = 0; c < copies; ++c) {  // warm-up: touch every copy once
    (void)f->run(ctx, m.get(), c, s, x.data(), y.data());
  }
  using Clock = std::chrono::steady_clock;
  SideBySide timing(ctx, copies);
  for (auto _ : state) {
    const auto t0 = Clock::now();
    const Status st =
        f->run(ctx, m.get(), timing.kernel_copy(), s, x.data(), y.data());
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    timing.Next(state, dt, f->data(m.get(), timing.read_copy()), bytes);
  }
  SetThroughputCounters(state, static_cast<double>(weights),
                        static_cast<double>(bytes), timing);
  state.SetLabel(TargetName(ctx.target()) +
                 (cold ? " copies=" + std::to_string(copies) : std::string()));
}

void RegisterAll() {
  const Flags& flags = GetFlags();
  int max_threads =
      flags.max_threads > 0
          ? flags.max_threads
          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<Shape> shapes = {
      {1024, 1024}, {3072, 3072}, {3072, 8192}, {8192, 3072}};
  if (flags.quick) shapes = {{1024, 1024}, {3072, 8192}};
  for (const GemvFormat* f : kFormats) {
    for (Shape s : shapes) {
      for (int t = 1; t <= max_threads; ++t) {
        for (bool cold : {false, true}) {
          const std::string name =
              std::string("gemv/") + f->name + "/" + std::to_string(s.rows) +
              "x" + std::to_string(s.cols) + "/threads:" + std::to_string(t) +
              (cold ? "/cold" : "/hot");
          benchmark::RegisterBenchmark(name.c_str(), RunGemv, f, s, t, cold)
              ->UseManualTime()
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
}

}  // namespace
}  // namespace qins::bench

int main(int argc, char** argv) {
  qins::bench::Flags flags;
  int code = 0;
  if (!qins::bench::ParseFlags(
          &argc, argv, "bench_gemv: GEMV throughput vs same-run read bandwidth",
          &flags, &code)) {
    if (code == 0) {
      char help[] = "--help";
      char* args[] = {argv[0], help};
      int n = 2;
      benchmark::Initialize(&n, args);  // prints Google Benchmark's own flags
    }
    return code;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  qins::bench::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
