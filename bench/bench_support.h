// Shared pieces of the Google Benchmark binaries: the same-run read bandwidth
// each row is compared against, TSC ticks, buffer filling, and the project's
// own command-line flags.
#ifndef QINS_BENCH_BENCH_SUPPORT_H_
#define QINS_BENCH_BENCH_SUPPORT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "qins/bandwidth.h"
#include "qins/context.h"
#include "qins/perf_counters.h"
#include "qins/quantize.h"

namespace qins::bench {

struct Flags {
  // Formats to sweep (bench_gemv, bench_gemm): "all" or a comma list.
  std::string formats =
      "f32,bf16,f16,q8_0,i8row,q4_0,iq4_nl,qins8,qins8-seed,fpins2-seed";
  bool quick = false;   // a short sweep (main job, CI smoke run)
  int max_threads = 0;  // 0: all hardware threads
  // Matrix shapes (rows, cols) replacing the bench's own list; empty: the
  // bench's list (--qins_shapes=RxC,RxC,...; tools/qins-profile's ladder).
  std::vector<std::pair<size_t, size_t>> shapes;
  // bench_gemv: instead of the bandwidth rows, time every row with the
  // flush-to-zero flags clear and set, interleaved, and report the ratio
  // (--qins_ftz; dispatch/flush_to_zero.h).
  bool ftz = false;
};

// Parses and removes --qins_* flags from argv; prints help for --help and
// returns false if the program should exit (with *exit_code).
bool ParseFlags(int* argc, char** argv, const char* extra_help, Flags* flags,
                int* exit_code);
const Flags& GetFlags();

// Context with `threads` threads on the target chosen by QINS_TARGET (or the
// best). Exits with a message if it cannot be made.
Context MakeBenchContext(int threads);

// `copies` independent deep copies (QuantizedMatrix::Clone) of one random
// rows x cols matrix (uniform, scale 0.05, fixed seed) quantized into f.
// Each (format, shape) is quantized once per process and cached: some
// encoders take seconds per matrix. Exits with a message if Quantize fails.
std::vector<QuantizedMatrix> QuantizedCopies(Format f, size_t rows, size_t cols,
                                             size_t copies);

// Number of buffers of `bytes` each for the "cold" cache state: at least 4,
// and their total exceeds 4x the last-level cache plus two buffers, so that a
// kernel pass and a read-bandwidth pass interleaved half a rotation apart
// (see SideBySide) both always find their buffer evicted.
size_t ColdCopies(size_t bytes);

// Hardware counters for every bench row, opened once by BenchMain() before
// any worker thread exists, with inherit, so that they count the calling
// thread and every oneTBB worker (idle spinning inside the region included).
// Events: cycles, instructions, LLC-load-misses. When none can be opened (no
// PMU, perf_event_paranoid) BenchMain prints one line on stderr saying which
// and why, and rows get no counter columns.
void StartBenchCounters();  // zero and start (SideBySide's constructor)
void PauseBenchCounters();  // around the read pass in SideBySide::Next
void ResumeBenchCounters();
// The counter columns (names as in SetThroughputCounters) from counts over
// `weights` weights and `bytes` of the format's bytes; an unavailable event
// gives no column, and IPC needs both cycles and instructions.
std::map<std::string, double> HardwareCounterColumns(
    const std::vector<PerfValue>& values, double weights, double bytes);

// Times a kernel and the read-bandwidth kernel (ParallelReadBytes) side by
// side: each benchmark iteration runs the kernel on buffer i (timed for
// Google Benchmark) and then reads buffer i + copies/2 (timed separately),
// so both see the same cache state, threads and memory-system conditions and
// drift in either cancels out of their ratio.
//
// Hardware counters (when the machine has them, see StartBenchCounters) count
// from construction to the first Next() and then from the end of each
// Next() to the start of the next one: the kernel calls and the loop around
// them, never the read passes.
class SideBySide {
 public:
  SideBySide(const Context& ctx, size_t copies) : ctx_(ctx), copies_(copies) {
    StartBenchCounters();
  }
  // Buffer the kernel should use in this iteration.
  size_t kernel_copy() const { return copy_; }
  // Buffer the read pass of this iteration streams.
  size_t read_copy() const { return (copy_ + copies_ / 2) % copies_; }
  // Records the kernel's time, reads `bytes` of read_buffer (the read_copy()
  // buffer; `bytes` must not exceed that buffer), and advances to the next
  // iteration's buffers. The read bandwidth is computed from the bytes
  // actually read.
  void Next(benchmark::State& state, double kernel_seconds,
            const void* read_buffer, size_t bytes);
  double kernel_seconds() const { return kernel_s_; }
  double read_seconds() const { return read_s_; }
  double read_bytes() const { return read_bytes_; }

 private:
  Context ctx_;
  size_t copies_;
  size_t copy_ = 0;
  double kernel_s_ = 0, read_s_ = 0, read_bytes_ = 0;
  uint32_t sink_ = 0;
};

// The benchmark loop shared by bench_gemv and bench_gemm: each iteration
// times kernel(copies[timing.kernel_copy()]) (a callable returning a Status),
// keeps `out` alive, then streams the code rows (rows x row_stride bytes,
// padding included; per-row parameters live elsewhere) of
// copies[timing.read_copy()] for the side-by-side read bandwidth. A kernel
// error ends the run with SkipWithError.
template <class Kernel>
void RunSideBySide(benchmark::State& state, SideBySide& timing,
                   const std::vector<QuantizedMatrix>& copies, float* out,
                   Kernel&& kernel) {
  using Clock = std::chrono::steady_clock;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    const Status st = kernel(copies[timing.kernel_copy()]);
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
    const QuantizedMatrix& rc = copies[timing.read_copy()];
    timing.Next(state, dt, rc.row(0), rc.rows() * rc.row_stride());
  }
}

// TSC ticks per second (x86), measured once against the steady clock; empty
// where there is no TSC.
std::optional<double> TscHz();

// Sets the throughput counters every row carries: weights/s, bytes/s (the
// format's own bytes), bw (read bandwidth timed side by side), frac_bw =
// bytes/s / bw, ns/weight and, on x86, tsc/weight (TSC ticks, a fixed
// nominal rate, not core cycles). With hardware counters (see above) also
// cycles/weight, instr/weight (core cycles and instructions retired, all
// threads), IPC, and LLC-miss/KiB (last-level cache load misses per KiB of
// the format's bytes); a column is absent when its event is unavailable, and
// a column whose event was multiplexed is marked by a `counters_scaled` = 1
// column (the kernel extrapolated its count from the time it ran).
void SetThroughputCounters(benchmark::State& state, double weights_per_iter,
                           double bytes_per_iter, const SideBySide& timing);

// The main() of every bench binary: parses the project's flags (printing
// `help` and Google Benchmark's own flags for --help), then registers the
// benchmarks with register_all() and runs them. Returns the exit code.
int BenchMain(int argc, char** argv, const char* help, void (*register_all)());

// Fills p[0, n) with deterministic values uniform in [-scale, scale).
void FillUniform(float* p, size_t n, uint64_t seed, float scale = 1.0f);

}  // namespace qins::bench

#endif  // QINS_BENCH_BENCH_SUPPORT_H_
