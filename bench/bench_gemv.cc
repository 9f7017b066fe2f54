// bench_gemv: y = W x throughput per weight format, shape, thread count and
// cache state, with every row compared against the read bandwidth measured in
// the same process for the same threads, buffer size and cache state.
//
// Rows are named gemv/<format>/<strategy>/<rows>x<cols>/threads:<t>/<hot|cold>
// (every strategy of qins::GemvStrategies(format) but auto; and for the
// formats with qins::Repack, strategy dot_repack: `dot` after Repack):
//   hot   one matrix, reused (in cache if it fits);
//   cold  enough copies, rotated, to exceed 4x the last-level cache.
// Shapes: the four named ones (1024x1024, 3072x3072, 3072x8192, 8192x3072),
// hot and cold; and a size ladder of squares from 128x128 to 8192x8192
// (16 K to 64 M weights: through L1, L2, L3 and DRAM for every format),
// hot only, where the cache level is the point.
// Counters (per row):
//   weights/s   weights multiplied per second
//   bytes/s     the format's own bytes per second (side information included)
//   bw          read bandwidth timed side by side with the kernel: every
//               iteration also streams one of the same weight buffers (half
//               a rotation away, so equally cold) with the same threads
//   frac_bw     bytes/s / bw
//   ns/weight   wall time per weight
//   tsc/weight  TSC ticks per weight (x86; TSC-derived: the TSC runs at a
//               fixed nominal rate, not the core clock)
//   cycles/weight, instr/weight, IPC, LLC-miss/KiB  hardware counters, only
//               where the machine has them (bench_support.h)
//
// With --qins_ftz the rows are named gemv_ftz/... and time each call twice,
// interleaved: with the flush-to-zero flags clear, and with them set (x86
// MXCSR DAZ|FTZ, Arm FPCR.FZ, on this thread and on a Context whose workers
// were created with them). Counters: weights/s (flags clear), weights/s_ftz,
// and ftz_ratio = time with the flags / time without. A kernel that forms
// subnormal intermediates shows a ratio far from 1 on CPUs that take a
// microcode assist for subnormal operands (Intel); above 1.1 is a
// regression to fix. tests/kernels/fp_environment_test.cc checks the results
// are identical on any CPU.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "dispatch/flush_to_zero.h"
#include "hwy/aligned_allocator.h"
#include "qins/gemv.h"
#include "qins/quantize.h"

namespace qins::bench {
namespace {

struct Shape {
  size_t rows, cols;
};

// What a row multiplies: the matrices (cold: enough copies to rotate past
// the last-level cache), x, y and the options.
struct GemvRow {
  size_t weights;
  size_t bytes;  // the format's own: codes, scales, parameters, no padding
  size_t copies;
  std::vector<QuantizedMatrix> m;
  std::vector<float> x, y;
  GemvOptions opt;
};

GemvRow MakeGemvRow(Format f, GemvStrategy strategy, Shape s, bool cold) {
  GemvRow row;
  row.weights = s.rows * s.cols;
  row.bytes =
      static_cast<size_t>(GetFormatInfo(f).bytes_per_weight * row.weights);
  row.copies = cold ? ColdCopies(row.bytes) : 1;
  row.m = QuantizedCopies(f, s.rows, s.cols, row.copies);
  row.x.resize(s.cols);
  row.y.resize(s.rows);
  FillUniform(row.x.data(), row.x.size(), 7);
  row.opt.strategy = strategy;
  return row;
}

std::string RowLabel(const Context& ctx, const GemvRow& row, bool cold) {
  return TargetName(ctx.target()) +
         (cold ? " copies=" + std::to_string(row.copies) : std::string());
}

void RunGemv(benchmark::State& state, Format f, GemvStrategy strategy, Shape s,
             int threads, bool cold, bool repack) {
  const Context ctx = MakeBenchContext(threads);
  GemvRow row = MakeGemvRow(f, strategy, s, cold);
  // dot_repack rows: every copy gets qins::Repack's interleaved copy (built
  // here, not timed); kDot then reads it. Its bytes equal the format's.
  for (const QuantizedMatrix& q : row.m) {
    if (!repack) break;
    const Status st = Repack(ctx, q);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
  }
  const auto call = [&](const QuantizedMatrix& q) {
    return Gemv(ctx, q, row.x.data(), row.y.data(), row.opt);
  };
  for (const QuantizedMatrix& q : row.m) (void)call(q);  // warm-up
  SideBySide timing(ctx, row.copies);
  // bw is computed from the bytes the read pass read; frac_bw compares that
  // rate with the kernel's rate over the format's own bytes.
  RunSideBySide(state, timing, row.m, row.y.data(), call);
  SetThroughputCounters(state, static_cast<double>(row.weights),
                        static_cast<double>(row.bytes), timing);
  state.SetLabel(RowLabel(ctx, row, cold));
}

// The --qins_ftz row: the same calls on the same matrices, alternating
// flags clear / flags set every iteration, each timed on its own.
void RunGemvFtz(benchmark::State& state, Format f, GemvStrategy strategy,
                Shape s, int threads, bool cold) {
  const Context ctx = MakeBenchContext(threads);
  const Context ctx_ftz = [&] {
    ScopedFlushToZero ftz;  // workers created now inherit the flags
    return MakeBenchContext(threads);
  }();
  GemvRow row = MakeGemvRow(f, strategy, s, cold);
  using Clock = std::chrono::steady_clock;
  const auto call = [&](const Context& c, const QuantizedMatrix& q) {
    const Clock::time_point t0 = Clock::now();
    const Status st = Gemv(c, q, row.x.data(), row.y.data(), row.opt);
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  for (const QuantizedMatrix& q : row.m) (void)call(ctx, q);  // warm-up
  double clear_s = 0, ftz_s = 0;
  size_t i = 0;
  for (auto _ : state) {
    const QuantizedMatrix& q = row.m[i++ % row.m.size()];
    const double t_clear = call(ctx, q);
    double t_ftz;
    {
      ScopedFlushToZero ftz;
      t_ftz = call(ctx_ftz, q);
    }
    clear_s += t_clear;
    ftz_s += t_ftz;
    state.SetIterationTime(t_clear + t_ftz);
    benchmark::DoNotOptimize(row.y.data());
  }
  const double n = static_cast<double>(state.iterations());
  const double w = static_cast<double>(row.weights);
  state.counters["weights/s"] = benchmark::Counter(n * w / clear_s);
  state.counters["weights/s_ftz"] = benchmark::Counter(n * w / ftz_s);
  state.counters["ftz_ratio"] = benchmark::Counter(ftz_s / clear_s);
  state.SetLabel(RowLabel(ctx, row, cold) +
                 (ftz_s / clear_s > 1.1 ? " FTZ-SLOWER" : std::string()));
}

void RegisterAll() {
  const Flags& flags = GetFlags();
  int max_threads =
      flags.max_threads > 0
          ? flags.max_threads
          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<Shape> shapes = {
      {1024, 1024}, {3072, 3072}, {3072, 8192}, {8192, 3072}};
  std::vector<Shape> ladder = {{128, 128},   {256, 256},   {512, 512},
                               {2048, 2048}, {4096, 4096}, {8192, 8192}};
  if (flags.quick) {
    shapes = {{1024, 1024}, {3072, 8192}};
    ladder = {{128, 128}, {512, 512}, {4096, 4096}};
  }
  if (!flags.shapes.empty()) {  // --qins_shapes replaces both lists
    shapes.clear();
    ladder.clear();
    for (auto [r, c] : flags.shapes) shapes.push_back({r, c});
  }
  StatusOr<std::vector<Format>> formats = ParseFormatList(flags.formats);
  if (!formats.ok()) {
    std::fprintf(stderr, "bench_gemv: --qins_formats: %s\n",
                 formats.status().message().c_str());
    std::exit(2);
  }
  std::set<std::string> skipped;  // (format, shape) said once
  const Target target = MakeBenchContext(1).target();
  for (Format f : *formats) {
    // What `auto` runs for the format on this target, so that a table of
    // the fastest strategy (tools/sweep_table) can say when that is not
    // auto's choice (q8_0's and qins8's `dot`).
    benchmark::AddCustomContext("qins_auto/" + FormatName(f),
                                GemvStrategyName(GemvAutoStrategy(f, target)));
    // Every strategy but kAuto (which is one of the others); f32's only
    // strategy is its own kernel.
    for (GemvStrategy st : GemvStrategies(f)) {
      if (st == GemvStrategy::kAuto) continue;
      if (f.kind == FormatKind::kF32 && st == GemvStrategy::kDecode) continue;
      std::vector<std::pair<Shape, bool>> runs;  // (shape, cold)
      for (Shape s : shapes)
        runs.push_back({s, false}), runs.push_back({s, true});
      for (Shape s : ladder) runs.push_back({s, false});
      for (auto [s, cold] : runs) {
        // A format with whole-row blocks (the K-quants: 256 weights) cannot
        // hold other row lengths (the ladder's 128x128, or --qins_shapes):
        // the shape is left out for it, and said so once.
        const size_t multiple = GetFormatInfo(f).col_multiple;
        if (s.cols % multiple != 0) {
          const std::string key = FormatName(f) + "/" + std::to_string(s.rows) +
                                  "x" + std::to_string(s.cols);
          if (skipped.insert(key).second) {
            std::fprintf(stderr,
                         "bench_gemv: %s: skipping %zux%zu (rows must be a "
                         "multiple of %zu weights)\n",
                         FormatName(f).c_str(), s.rows, s.cols, multiple);
          }
          continue;
        }
        for (int t = 1; t <= max_threads; ++t) {
          // `dot` of the formats with qins::Repack also runs as dot_repack
          // (not under --qins_ftz; fp_environment_test covers it).
          const bool with_repack =
              st == GemvStrategy::kDot && HasRepack(f) && !flags.ftz;
          for (bool repack : {false, true}) {
            if (repack && !with_repack) continue;
            const std::string name =
                std::string(flags.ftz ? "gemv_ftz/" : "gemv/") + FormatName(f) +
                "/" + (repack ? "dot_repack" : GemvStrategyName(st)) + "/" +
                std::to_string(s.rows) + "x" + std::to_string(s.cols) +
                "/threads:" + std::to_string(t) + (cold ? "/cold" : "/hot");
            if (flags.ftz) {
              benchmark::RegisterBenchmark(name.c_str(), RunGemvFtz, f, st, s,
                                           t, cold)
                  ->UseManualTime()
                  ->Unit(benchmark::kMicrosecond);
            } else {
              benchmark::RegisterBenchmark(name.c_str(), RunGemv, f, st, s, t,
                                           cold, repack)
                  ->UseManualTime()
                  ->Unit(benchmark::kMicrosecond);
            }
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
      argc, argv, "bench_gemv: GEMV throughput vs same-run read bandwidth",
      qins::bench::RegisterAll);
}
