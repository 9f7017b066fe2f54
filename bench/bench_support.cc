#include "bench/bench_support.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "qins/cpu_info.h"
#include "qins/perf_counters.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace qins::bench {
namespace {
Flags g_flags;

// The bench-wide hardware counters (see bench_support.h); empty when no
// hardware event could be opened.
std::optional<PerfCounterGroup>& Counters() {
  static std::optional<PerfCounterGroup> g;
  return g;
}

// Opens the counters, or prints on stderr which events are unavailable and
// why (one line, events with the same reason listed together).
void OpenBenchCounters() {
  PerfCounterOptions o;
  o.events = {PerfEvent::kCycles, PerfEvent::kInstructions,
              PerfEvent::kLlcLoadMisses};
  o.inherit = true;  // worker threads are created later, by the kernels
  StatusOr<PerfCounterGroup> g = PerfCounterGroup::Open(o);
  if (!g.ok()) {
    std::fprintf(stderr, "bench: hardware counters off: %s\n",
                 g.status().ToString().c_str());
    return;
  }
  std::map<std::string, std::string> by_reason;
  bool any = false;
  for (PerfEvent e : o.events) {
    if (g->available(e)) {
      any = true;
      continue;
    }
    std::string& names = by_reason[g->unavailable_reason(e)];
    names += (names.empty() ? "" : ", ") + std::string(PerfEventName(e));
  }
  if (!by_reason.empty()) {
    std::string line = any ? "bench: some hardware-counter columns absent: "
                           : "bench: no hardware-counter columns (cycles/"
                             "weight, instr/weight, IPC, LLC-miss/KiB): ";
    bool first = true;
    for (const auto& [reason, names] : by_reason) {
      line += (first ? "" : "; ") + names + " unavailable: " + reason;
      first = false;
    }
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  if (any) Counters() = std::move(*g);
}

bool ParseDouble(const char* s, double* out) {
  char* end = nullptr;
  *out = std::strtod(s, &end);
  return end != s && *end == '\0';
}

// "RxC,RxC,..." with 1 <= R, C <= 2^20.
bool ParseShapes(const char* s, std::vector<std::pair<size_t, size_t>>* out) {
  out->clear();
  while (*s != '\0') {
    char* end = nullptr;
    const unsigned long long r = std::strtoull(s, &end, 10);
    if (end == s || *end != 'x') return false;
    s = end + 1;
    const unsigned long long c = std::strtoull(s, &end, 10);
    if (end == s || (*end != ',' && *end != '\0')) return false;
    if (r == 0 || c == 0 || r > (1u << 20) || c > (1u << 20)) return false;
    out->emplace_back(r, c);
    s = *end == ',' ? end + 1 : end;
  }
  return !out->empty();
}
}  // namespace

const Flags& GetFlags() { return g_flags; }

bool ParseFlags(int* argc, char** argv, const char* extra_help, Flags* flags,
                int* exit_code) {
  int out = 1;
  bool formats_given = false;
  for (int i = 1; i < *argc; ++i) {
    const char* a = argv[i];
    double v = 0;
    if (!std::strcmp(a, "--help") || !std::strcmp(a, "-h")) {
      std::printf(
          "%s\n"
          "Project flags (all Google Benchmark flags work too, e.g.\n"
          "--benchmark_filter=REGEX --benchmark_min_time=SECONDS\n"
          "--benchmark_out=FILE --benchmark_out_format=json):\n"
          "  --qins_quick              short sweep (CI smoke run, README main "
          "job)\n"
          "  --qins_max_threads=N      sweep threads 1..N (default: all)\n"
          "  --qins_shapes=RxC,RxC,... matrix shapes (default: the bench's "
          "own)\n"
          "  --qins_ftz                bench_gemv: each row timed with the "
          "flush-to-zero\n"
          "                            flags (x86 DAZ|FTZ, Arm FPCR.FZ) clear "
          "and set,\n"
          "                            interleaved; ftz_ratio = time set / "
          "time clear\n"
          "                            (above 1.1: a kernel forms "
          "subnormals)\n"

          "Environment: QINS_TARGET forces a SIMD target (see qins-info).\n",
          extra_help);
      *exit_code = 0;
      return false;
    } else if (!std::strcmp(a, "--qins_quick")) {
      flags->quick = true;
      if (!formats_given) flags->formats = "f32,q8_0,q4_0,qins8,qins4";
    } else if (!std::strncmp(a, "--qins_formats=", 15) && a[15] != '\0') {
      flags->formats = a + 15;
      formats_given = true;
    } else if (!std::strncmp(a, "--qins_max_threads=", 19) &&
               ParseDouble(a + 19, &v) && v >= 1) {
      flags->max_threads = static_cast<int>(v);
    } else if (!std::strcmp(a, "--qins_ftz")) {
      flags->ftz = true;
    } else if (!std::strncmp(a, "--qins_shapes=", 14) &&
               ParseShapes(a + 14, &flags->shapes)) {
    } else if (!std::strncmp(a, "--qins", 6)) {
      std::fprintf(stderr, "unknown or malformed flag '%s' (see --help)\n", a);
      *exit_code = 2;
      return false;
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  g_flags = *flags;
  return true;
}

Context MakeBenchContext(int threads) {
  ContextOptions o;
  o.num_threads = threads;
  StatusOr<Context> ctx = Context::Create(o);
  if (!ctx.ok()) {
    std::fprintf(stderr, "cannot create context: %s\n",
                 ctx.status().ToString().c_str());
    std::exit(2);
  }
  return *ctx;
}

size_t ColdCopies(size_t bytes) {
  const uint64_t llc = GetCpuInfo().LastLevelCacheBytes(uint64_t{32} << 20);
  const size_t need = static_cast<size_t>((4 * llc + bytes - 1) / bytes) + 2;
  return need < 4 ? 4 : need;
}

void StartBenchCounters() {
  if (!Counters()) return;
  if (Counters()->counting()) (void)Counters()->Stop();
  (void)Counters()->Start();
}

void PauseBenchCounters() {
  if (Counters() && Counters()->counting()) (void)Counters()->Stop();
}

void ResumeBenchCounters() {
  if (Counters() && !Counters()->counting()) (void)Counters()->Resume();
}

void SideBySide::Next(benchmark::State& state, double kernel_seconds,
                      const void* read_buffer, size_t bytes) {
  PauseBenchCounters();
  state.SetIterationTime(kernel_seconds);
  kernel_s_ += kernel_seconds;
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  sink_ += ParallelReadBytes(ctx_, read_buffer, bytes);
  read_s_ += std::chrono::duration<double>(Clock::now() - t0).count();
  read_bytes_ += static_cast<double>(bytes);
  benchmark::DoNotOptimize(sink_);
  if (++copy_ == copies_) copy_ = 0;
  ResumeBenchCounters();
}

std::optional<double> TscHz() {
#if defined(__x86_64__)
  static const double hz = [] {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    const uint64_t c0 = __rdtsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const uint64_t c1 = __rdtsc();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    return static_cast<double>(c1 - c0) / s;
  }();
  return hz;
#else
  return std::nullopt;
#endif
}

std::map<std::string, double> HardwareCounterColumns(
    const std::vector<PerfValue>& values, double weights, double bytes) {
  std::map<std::string, double> columns;
  if (weights <= 0 || bytes <= 0) return columns;
  std::optional<double> cycles, instructions, llc_misses;
  bool scaled = false;
  for (const PerfValue& v : values) {
    if (!v.value) continue;  // unavailable: no column
    scaled = scaled || v.scaled();
    if (v.event == PerfEvent::kCycles) cycles = v.value;
    if (v.event == PerfEvent::kInstructions) instructions = v.value;
    if (v.event == PerfEvent::kLlcLoadMisses) llc_misses = v.value;
  }
  if (cycles) columns["cycles/weight"] = *cycles / weights;
  if (instructions) columns["instr/weight"] = *instructions / weights;
  if (cycles && instructions && *cycles > 0) {
    columns["IPC"] = *instructions / *cycles;
  }
  if (llc_misses) columns["LLC-miss/KiB"] = *llc_misses / (bytes / 1024);
  if (scaled && !columns.empty()) columns["counters_scaled"] = 1;
  return columns;
}

// Per-weight hardware counter columns over all iterations of the row.
static void SetHardwareCounters(benchmark::State& state, double weights,
                                double bytes) {
  PauseBenchCounters();
  if (!Counters()) return;
  StatusOr<std::vector<PerfValue>> values = Counters()->Read();
  if (!values.ok()) return;
  for (const auto& [name, value] :
       HardwareCounterColumns(*values, weights, bytes)) {
    state.counters[name] = value;
  }
}

void SetThroughputCounters(benchmark::State& state, double weights_per_iter,
                           double bytes_per_iter, const SideBySide& timing) {
  const double iters = static_cast<double>(state.iterations());
  if (iters == 0 || timing.kernel_seconds() <= 0 ||
      timing.read_seconds() <= 0) {
    return;
  }
  const double weights_per_s =
      weights_per_iter * iters / timing.kernel_seconds();
  const double bytes_per_s = bytes_per_iter * iters / timing.kernel_seconds();
  const double bw = timing.read_bytes() / timing.read_seconds();
  state.counters["weights/s"] = weights_per_s;
  state.counters["bytes/s"] = bytes_per_s;
  state.counters["bw"] = bw;
  state.counters["frac_bw"] = bytes_per_s / bw;
  state.counters["ns/weight"] = 1e9 / weights_per_s;
  if (auto hz = TscHz()) state.counters["tsc/weight"] = *hz / weights_per_s;
  SetHardwareCounters(state, weights_per_iter * iters, bytes_per_iter * iters);
}

int BenchMain(int argc, char** argv, const char* help, void (*register_all)()) {
  Flags flags;
  int code = 0;
  if (!ParseFlags(&argc, argv, help, &flags, &code)) {
    if (code == 0) {
      char help_flag[] = "--help";
      char* args[] = {argv[0], help_flag};
      int n = 2;
      benchmark::Initialize(&n, args);  // prints Google Benchmark's own flags
    }
    return code;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  // Every result file names the CPU it was measured on (sweep_table prints
  // it): a figure from one vendor's CPU does not carry over to another's.
  benchmark::AddCustomContext("qins_cpu", GetCpuInfo().Description());
  benchmark::AddCustomContext("qins_target",
                              TargetName(MakeBenchContext(1).target()));
  OpenBenchCounters();  // before any kernel starts oneTBB worker threads
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

void FillUniform(float* p, size_t n, uint64_t seed, float scale) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    p[i] = scale * (static_cast<float>(s >> 40) * (2.0f / 16777216.0f) - 1.0f);
  }
}

std::vector<QuantizedMatrix> QuantizedCopies(Format f, size_t rows, size_t cols,
                                             size_t copies) {
  static std::map<std::tuple<int, int, size_t, size_t>, QuantizedMatrix> cache;
  const auto key =
      std::make_tuple(static_cast<int>(f.kind), f.level, rows, cols);
  auto it = cache.find(key);
  if (it == cache.end()) {
    std::vector<float> w(rows * cols);
    FillUniform(w.data(), w.size(), 100, 0.05f);
    const Context ctx = MakeBenchContext(0);
    StatusOr<QuantizedMatrix> q = Quantize(ctx, f, w.data(), rows, cols);
    if (!q.ok()) {
      std::fprintf(stderr, "bench: %s\n", q.status().ToString().c_str());
      std::exit(2);
    }
    it = cache.emplace(key, *q).first;
  }
  std::vector<QuantizedMatrix> out;
  for (size_t c = 0; c < copies; ++c) out.push_back(it->second.Clone());
  return out;
}

}  // namespace qins::bench
