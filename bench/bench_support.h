// Shared pieces of the Google Benchmark binaries: the same-run read bandwidth
// each row is compared against, TSC ticks, buffer filling, and the project's
// own command-line flags.
#ifndef QINS_BENCH_BENCH_SUPPORT_H_
#define QINS_BENCH_BENCH_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "benchmark/benchmark.h"
#include "qins/bandwidth.h"
#include "qins/context.h"

namespace qins::bench {

struct Flags {
  double bw_seconds = 0.05;  // per bandwidth repetition
  int bw_repetitions = 5;
  bool quick = false;        // a short sweep (main job, CI smoke run)
  int max_threads = 0;       // 0: all hardware threads
};

// Parses and removes --qins_* flags from argv; prints help for --help and
// returns false if the program should exit (with *exit_code).
bool ParseFlags(int* argc, char** argv, const char* extra_help, Flags* flags,
                int* exit_code);
const Flags& GetFlags();

// Context with `threads` threads on the target chosen by QINS_TARGET (or the
// best). Exits with a message if it cannot be made.
Context MakeBenchContext(int threads);

// Number of buffers of `bytes` each whose total exceeds 4x the last-level
// cache (at least 2): the "cold" cache state.
size_t ColdCopies(size_t bytes);

// Read bandwidth (bytes/s, best of the repetitions) for `threads` threads
// streaming `copies` buffers of `bytes` each, measured once per distinct
// (threads, bytes, copies) in this process and then reused.
double SameRunReadBandwidth(int threads, size_t bytes, size_t copies);

// TSC ticks per second (x86), measured once against the steady clock; empty
// where there is no TSC.
std::optional<double> TscHz();

// Sets the throughput counters every row carries, from the timed seconds of
// all iterations: weights/s, bytes/s (the format's own bytes), bw (same-run
// read bandwidth), frac_bw = bytes/s / bw, ns/weight and, on x86, tsc/weight
// (TSC ticks, a fixed nominal rate, not core cycles).
void SetThroughputCounters(benchmark::State& state, double weights_per_iter,
                           double bytes_per_iter, double seconds, double bw);

// Fills p[0, n) with deterministic values uniform in [-scale, scale).
void FillUniform(float* p, size_t n, uint64_t seed, float scale = 1.0f);

}  // namespace qins::bench

#endif  // QINS_BENCH_BENCH_SUPPORT_H_
