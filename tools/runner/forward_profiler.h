// Where the time of a forward pass goes: per-region wall time, bytes moved,
// FLOPs and (where the kernel allows them) perf counters, for
// `qins-run --profile` and bench's time shares.
//
// Regions are consecutive: each Lap() charges everything since the previous
// Lap() (or Mark()) to one region, so the regions of a profiled run add up
// to the time the forward pass took between its first Mark() and last Lap().
// Matrix products get one region per (GEMV or GEMM, tensor class, format);
// the rest are named by what they compute (attention, rmsnorm, rope, swiglu,
// residual, embedding, sampling).
//
// Cost: a Lap() reads steady_clock twice (~20-40 ns). With counters, it also
// reads each open event (one read(2) per event, ~1 us each); those reads are
// made between the two clock reads, so they are not charged to any region's
// time, but the user-mode part of them is in the next region's counts.
//
// "Bytes moved" is a model, not a measurement: the bytes the region's code
// must read and write at least once (weights as stored, activations and KV
// cache in f32), stated per region in docs/profiling.md. Cache misses, where
// counted, show how much of it came from memory.
#ifndef QINS_TOOLS_RUNNER_FORWARD_PROFILER_H_
#define QINS_TOOLS_RUNNER_FORWARD_PROFILER_H_

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "qins/format.h"
#include "qins/perf_counters.h"
#include "tools/runner/model_source.h"

namespace qins::runner {

enum class RegionKind {
  kGemv,       // one-token matrix product (decode)
  kGemm,       // several-token matrix product (prefill)
  kAttention,  // scores, softmax, weighted sum of V
  kRmsNorm,
  kRope,
  kSwiGlu,
  kResidual,
  kEmbedding,  // one token's embedding row, decoded
  kSampling,   // logits to the next token
};
const char* RegionKindName(RegionKind k);

struct RegionStats {
  std::string name;  // "gemv ffn_up qins8", "attention", ...
  RegionKind kind = RegionKind::kAttention;
  Format format;  // matrix products only
  long long calls = 0;
  double seconds = 0, bytes = 0, flops = 0;
  // Summed counter values, one per ForwardProfiler::events(); unavailable
  // events stay 0 and are marked unavailable by the profiler.
  std::vector<double> counters;
};

class ForwardProfiler {
 public:
  // counters == false: time, bytes and FLOPs only. counters == true opens
  // cycles, instructions, LLC-load-misses, task-clock, page-faults and
  // context-switches with perf's inherit flag, so threads created after this
  // call are counted too: create the profiler before the first Context runs
  // a parallel kernel (qins-run does it first thing). Events the kernel
  // refuses are reported unavailable with the reason.
  static StatusOr<ForwardProfiler> Create(bool counters);

  // Starts a sequence of regions now.
  void Mark();
  // Charges the time (and counts) since the last Mark()/Lap() to `region`
  // (an id from Region/Matmul) with the region's modelled bytes and FLOPs.
  void Lap(int region, double bytes, double flops = 0);

  // Region ids, created on first use.
  int Region(RegionKind kind);  // every kind but kGemv/kGemm
  int Matmul(bool gemm, TensorClass cls, Format format);

  // Zeroes every region (keeps the ids).
  void Reset();

  const std::vector<RegionStats>& regions() const { return regions_; }
  double TotalSeconds() const;
  // Seconds of every region of `kind`.
  double KindSeconds(RegionKind kind) const;

  std::vector<PerfEvent> events() const;
  // Why each event that is unavailable is (empty string if available).
  std::vector<std::string> unavailable_reasons() const;

  // A markdown report: regions sorted by time, then the total per kind
  // (and per format for the matrix products), then unavailable events.
  std::string Markdown(const std::string& title) const;
  // The same as a JSON object.
  std::string Json() const;

 private:
  ForwardProfiler() = default;
  void ReadCounters(std::vector<double>* out);

  std::vector<RegionStats> regions_;
  std::map<int, int> ids_;  // key: kind, class and format packed
  std::optional<PerfCounterGroup> counters_;
  std::chrono::steady_clock::time_point last_;
  std::vector<double> last_counts_, now_counts_;
};

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_FORWARD_PROFILER_H_
