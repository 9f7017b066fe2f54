#include "tools/runner/bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "qins/bandwidth.h"
#include "qins/cpu_info.h"
#include "qins/targets.h"
#include "tools/runner/convert.h"
#include "tools/runner/forward.h"
#include "tools/runner/sampler.h"

namespace qins::runner {
namespace {

using Clock = std::chrono::steady_clock;

// Read bandwidth over the model's own weight matrices, read in model order
// with ctx's threads (qins::ParallelReadBytes): the bytes decode streams, at
// their size, without a second buffer of that size (which for a 15 GB f32
// model would double its memory). Median over `reps` passes after a warm-up
// pass; each pass reads every matrix's rows (row padding included).
StatusOr<double> WeightReadGbps(const Context& ctx, const ModelWeights& w,
                                int reps = 5) {
  const std::vector<const QuantizedMatrix*> ms = w.Matrices();
  size_t bytes = 0;
  uint32_t sink = 0;
  auto pass = [&] {
    for (const QuantizedMatrix* m : ms) {
      if (m->empty()) continue;
      sink += ParallelReadBytes(ctx, m->row(0), m->rows() * m->row_stride());
    }
  };
  for (const QuantizedMatrix* m : ms)
    if (!m->empty()) bytes += m->rows() * m->row_stride();
  if (bytes == 0) return InvalidArgument("bench: model has no weights");
  pass();
  std::vector<double> gbps;
  // Small models: repeat a pass until it takes >= 5 ms.
  size_t inner = 1;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < inner; ++i) pass();
    double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    if (s < 0.005 && inner < (1u << 20)) {
      inner *= 2;
      --r;
      continue;
    }
    gbps.push_back(static_cast<double>(bytes) * inner / s / 1e9);
  }
  std::sort(gbps.begin(), gbps.end());
  volatile uint32_t keep = sink;
  (void)keep;
  return gbps[gbps.size() / 2];
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct RunTimes {
  double prefill_s = 0, ttft_s = 0, decode_s = 0;
};

// One run from position 0: prefill the prompt (one Gemm per weight per
// batch), pick the first token (greedy), then decode `n` tokens, feeding
// back each argmax.
StatusOr<RunTimes> RunOnce(Transformer& t, const std::vector<int>& prompt,
                           int n) {
  const int vocab = t.config().vocab_size;
  ForwardProfiler* prof = t.profiler();
  auto sampled = [&] {
    if (prof) prof->Lap(prof->Region(RegionKind::kSampling), 4.0 * vocab);
  };
  RunTimes r;
  const Clock::time_point t0 = Clock::now();
  auto logits = t.Prefill(prompt.data(), static_cast<int>(prompt.size()), 0);
  if (!logits.ok()) return logits.status();
  const Clock::time_point t1 = Clock::now();
  int token = Argmax(*logits, vocab);
  sampled();
  const Clock::time_point t2 = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto l = t.Forward(token, static_cast<int>(prompt.size()) + i);
    if (!l.ok()) return l.status();
    token = Argmax(*l, vocab);
    sampled();
  }
  const Clock::time_point t3 = Clock::now();
  r.prefill_s = Seconds(t0, t1);
  r.ttft_s = Seconds(t0, t2);
  r.decode_s = Seconds(t2, t3);
  return r;
}

}  // namespace

StatusOr<BenchResult> RunBench(const Context& ctx, const ModelSource& src,
                               const BenchOptions& opt) {
  const ModelConfig& c = src.config();
  if (opt.prompt_len < 1 || opt.decode_tokens < 1 || opt.reps < 1) {
    return InvalidArgument(
        "bench: --prompt-len, -n and --reps must be at least 1");
  }
  if (opt.prompt_len + opt.decode_tokens > c.seq_len) {
    return InvalidArgument("bench: --prompt-len + -n = " +
                           std::to_string(opt.prompt_len + opt.decode_tokens) +
                           " exceeds the model's context of " +
                           std::to_string(c.seq_len));
  }
  // A fixed prompt: BOS, then ids spread over the vocabulary.
  std::vector<int> prompt = {c.bos_id};
  for (int i = 1; i < opt.prompt_len; ++i)
    prompt.push_back(static_cast<int>((i * 7919ull + 3) % c.vocab_size));

  BenchResult r;
  r.model = src.Describe();
  r.target = TargetName(ctx.target());
  r.threads = ctx.num_threads();
  r.prompt_len = opt.prompt_len;
  r.decode_tokens = opt.decode_tokens;
  r.reps = opt.reps;
  const uint64_t llc = GetCpuInfo().LastLevelCacheBytes(32ull << 20);
  for (const FormatPolicy& p : opt.policies) {
    BenchRow row;
    row.name = p.name;
    row.peak_rss_reset = ResetPeakRss();
    ConvertOptions co;
    co.progress = opt.progress;
    co.repack = opt.repack;
    StatusOr<ModelWeights> w = ConvertModel(ctx, src, p, co);
    if (!w.ok()) return w.status();
    row.weight_bytes = WeightBytes(*w);
    row.weights = WeightCount(*w);
    auto t = Transformer::Create(ctx, &*w, opt.prompt_len + opt.decode_tokens);
    if (!t.ok()) return t.status();
    // The policy's GEMV strategy: the decode steps' products (prefill's
    // GEMMs keep theirs).
    t->set_gemv_strategy(p.gemv_strategy);
    if (!t->UsesGemvStrategy()) {
      return InvalidArgument("bench: policy '" + p.name +
                             "': no weight matrix of " + src.Describe() +
                             " has GEMV strategy '" +
                             GemvStrategyName(p.gemv_strategy) + "'");
    }
    // Warm-up run (page faults, caches), not timed.
    auto warm = RunOnce(*t, prompt, opt.decode_tokens);
    if (!warm.ok()) return warm.status();
    std::vector<double> prefill, decode, ttft, mspt;
    for (int rep = 0; rep < opt.reps; ++rep) {
      auto times = RunOnce(*t, prompt, opt.decode_tokens);
      if (!times.ok()) return times.status();
      prefill.push_back(opt.prompt_len / times->prefill_s);
      decode.push_back(opt.decode_tokens / times->decode_s);
      ttft.push_back(1e3 * times->ttft_s);
      mspt.push_back(1e3 * times->decode_s / opt.decode_tokens);
    }
    // One more run with region timers on (kept out of the timed reps: the
    // timers add ~15 clock reads per layer, and counter reads ~1 us each).
    std::optional<ForwardProfiler> local;
    ForwardProfiler* prof = opt.profiler;
    if (prof == nullptr) {
      auto p = ForwardProfiler::Create(/*counters=*/false);
      if (!p.ok()) return p.status();
      local.emplace(std::move(*p));
      prof = &*local;
    }
    prof->Reset();
    t->set_profiler(prof);
    auto profiled = RunOnce(*t, prompt, opt.decode_tokens);
    t->set_profiler(nullptr);
    if (!profiled.ok()) return profiled.status();
    const double total = prof->TotalSeconds();
    if (total > 0) {
      row.gemv_share = prof->KindSeconds(RegionKind::kGemv) / total;
      row.gemm_share = prof->KindSeconds(RegionKind::kGemm) / total;
      row.attention_share = prof->KindSeconds(RegionKind::kAttention) / total;
      row.other_share =
          1.0 - row.gemv_share - row.gemm_share - row.attention_share;
    }
    if (opt.profiler != nullptr) {
      row.profile_markdown =
          prof->Markdown("profile: " + p.name + ", one run of " +
                         std::to_string(opt.prompt_len) + " prefill + " +
                         std::to_string(opt.decode_tokens) + " decode tokens");
      row.profile_json = prof->Json();
    }
    row.prefill_tps = Summarize(prefill);
    row.decode_tps = Summarize(decode);
    row.ttft_ms = Summarize(ttft);
    row.ms_per_token = Summarize(mspt);
    row.effective_gbps = row.weight_bytes * row.decode_tps.mean / 1e9;
    row.peak_rss_bytes = PeakRssBytes();
    // Read bandwidth in the same run over the weights themselves, read again
    // and again: the access pattern of decode (from cache when the weights
    // fit in it, from DRAM when not), with no second buffer of their size.
    StatusOr<double> same = WeightReadGbps(ctx, *w);
    if (!same.ok()) return same.status();
    row.read_gbps_same_size = *same;
    r.rows.push_back(row);
  }
  // DRAM read bandwidth, once, after every policy (its buffers would
  // otherwise count in the peak RSS): 16 MiB buffers rotated over more than
  // 4x the last-level cache.
  const size_t buf = 16u << 20;
  const size_t bufs = std::max<size_t>(2, (4 * llc + buf - 1) / buf);
  auto dram = MeasureReadBandwidth(ctx, buf, bufs);
  if (!dram.ok()) return dram.status();
  for (BenchRow& row : r.rows)
    row.read_gbps_dram = dram->median_bytes_per_second / 1e9;
  return r;
}

std::string BenchMarkdown(const BenchResult& r) {
  std::string s;
  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                "bench: %s, target %s, %d threads, prompt %d tokens, decode "
                "%d tokens, %d reps (mean +- sample stddev)\n\n",
                r.model.c_str(), r.target.c_str(), r.threads, r.prompt_len,
                r.decode_tokens, r.reps);
  s += buf;
  s += "| format | weight MiB | B/weight | prefill t/s | decode t/s | TTFT ms "
       "| ms/token | eff GB/s | of read BW (same size) | of DRAM BW | "
       "GEMV % | GEMM % | attn % | other % | peak RSS MiB |\n"
       "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
       "---:|---:|\n";
  for (const BenchRow& x : r.rows) {
    std::snprintf(
        buf, sizeof(buf),
        "| %s | %.3f | %.3f | %.0f +- %.0f | %.0f +- %.0f | %.3f +- %.3f | "
        "%.4f +- %.4f | %.2f | %.2f | %.2f | %.1f | %.1f | %.1f | %.1f | "
        "%.1f%s |\n",
        x.name.c_str(), x.weight_bytes / 1048576.0,
        double(x.weight_bytes) / x.weights, x.prefill_tps.mean,
        x.prefill_tps.stddev, x.decode_tps.mean, x.decode_tps.stddev,
        x.ttft_ms.mean, x.ttft_ms.stddev, x.ms_per_token.mean,
        x.ms_per_token.stddev, x.effective_gbps,
        x.effective_gbps / x.read_gbps_same_size,
        x.effective_gbps / x.read_gbps_dram, 100 * x.gemv_share,
        100 * x.gemm_share, 100 * x.attention_share, 100 * x.other_share,
        x.peak_rss_bytes / 1048576.0, x.peak_rss_reset ? "" : " (process)");
    s += buf;
  }
  return s;
}

std::string BenchJson(const BenchResult& r) {
  std::string s =
      "{\n  \"mode\": \"bench\",\n  \"model\": " + JsonString(r.model) +
      ",\n  \"target\": " + JsonString(r.target) + ",\n";
  char buf[2048];
  std::snprintf(buf, sizeof(buf),
                "  \"threads\": %d,\n  \"prompt_len\": %d,\n  "
                "\"decode_tokens\": %d,\n  \"reps\": %d,\n  \"rows\": [\n",
                r.threads, r.prompt_len, r.decode_tokens, r.reps);
  s += buf;
  auto ms = [](const MeanSpread& m) {
    char b[256];
    std::snprintf(b, sizeof(b),
                  "{\"mean\": %.9g, \"stddev\": %.9g, \"min\": %.9g, "
                  "\"max\": %.9g}",
                  m.mean, m.stddev, m.min, m.max);
    return std::string(b);
  };
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const BenchRow& x = r.rows[i];
    std::snprintf(
        buf, sizeof(buf),
        "    {\"format\": %s, \"weight_bytes\": %zu, \"weights\": %zu, "
        "\"prefill_tokens_per_s\": %s, \"decode_tokens_per_s\": %s, "
        "\"ttft_ms\": %s, \"ms_per_token\": %s, \"effective_gbps\": %.9g, "
        "\"read_gbps_same_size\": %.9g, \"read_gbps_dram\": %.9g, "
        "\"gemv_share\": %.6f, \"gemm_share\": %.6f, \"attention_share\": "
        "%.6f, \"other_share\": %.6f, \"peak_rss_bytes\": %zu, "
        "\"peak_rss_per_format\": %s",
        JsonString(x.name).c_str(), x.weight_bytes, x.weights,
        ms(x.prefill_tps).c_str(), ms(x.decode_tps).c_str(),
        ms(x.ttft_ms).c_str(), ms(x.ms_per_token).c_str(), x.effective_gbps,
        x.read_gbps_same_size, x.read_gbps_dram, x.gemv_share, x.gemm_share,
        x.attention_share, x.other_share, x.peak_rss_bytes,
        x.peak_rss_reset ? "true" : "false");
    s += buf;
    if (!x.profile_json.empty()) s += ", \"profile\": " + x.profile_json;
    s += i + 1 < r.rows.size() ? "},\n" : "}\n";
  }
  return s + "  ]\n}\n";
}

}  // namespace qins::runner
