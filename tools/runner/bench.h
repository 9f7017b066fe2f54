// bench mode: speed and memory of one model under several format policies.
// Per policy: convert, then `reps` timed runs of a prefill of `prompt_len`
// tokens (Transformer::Prefill: GEMM over batches of the prompt) and
// `decode_tokens` greedy decode steps (GEMV), then one extra profiled run for
// the time shares (and, with a profiler, its per-region report).
#ifndef QINS_TOOLS_RUNNER_BENCH_H_
#define QINS_TOOLS_RUNNER_BENCH_H_

#include <string>
#include <vector>

#include "qins/context.h"
#include "tools/runner/format_policy.h"
#include "tools/runner/forward_profiler.h"
#include "tools/runner/model_source.h"
#include "tools/runner/report.h"

namespace qins::runner {

struct BenchOptions {
  std::vector<FormatPolicy> policies;
  int prompt_len = 16;      // prefill tokens (BOS + deterministic ids)
  int decode_tokens = 128;  // generated tokens (BOS does not stop a bench)
  int reps = 5;
  bool progress = true;  // conversion progress on stderr
  bool repack = false;   // ConvertOptions::repack for every policy
  // --profile: the profiled run's regions are charged here (reset per
  // policy) and each row keeps its report. Null: shares only.
  ForwardProfiler* profiler = nullptr;
};

struct BenchRow {
  std::string name;
  size_t weight_bytes = 0, weights = 0;
  MeanSpread prefill_tps, decode_tps, ttft_ms, ms_per_token;
  double effective_gbps = 0;       // weight_bytes x mean decode tok/s
  double read_gbps_same_size = 0;  // read of the weights themselves, GB/s
  double read_gbps_dram = 0;       // rotated buffers > 4x LLC
  // Time shares of the profiled run (prefill + decode): GEMV (decode),
  // GEMM (prefill), attention, the rest (norms, RoPE, SwiGLU, residuals,
  // embedding, sampling).
  double gemv_share = 0, gemm_share = 0, attention_share = 0, other_share = 0;
  std::string profile_markdown, profile_json;  // with BenchOptions::profiler
  size_t peak_rss_bytes = 0;                   // VmHWM during this policy's run
  bool peak_rss_reset = false;                 // false: HWM since process start
};

struct BenchResult {
  std::string model;
  std::string target;
  int threads = 0, prompt_len = 0, decode_tokens = 0, reps = 0;
  std::vector<BenchRow> rows;
};

StatusOr<BenchResult> RunBench(const Context& ctx, const ModelSource& src,
                               const BenchOptions& opt);

std::string BenchMarkdown(const BenchResult& r);
std::string BenchJson(const BenchResult& r);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_BENCH_H_
