// qins-instr-count: one GEMV of one quantized matrix, with only that call
// instrumented when run under `valgrind --tool=callgrind --instr-atstart=no`,
// so callgrind's instruction count (Ir) is the kernel's alone: a
// deterministic instructions-per-weight figure that does not need hardware
// counters. tools/qins-profile runs it for every format, strategy and target.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "qins/context.h"
#include "qins/format.h"
#include "qins/gemv.h"
#include "qins/perf_counters.h"
#include "qins/quantize.h"
#include "qins/targets.h"
#include "tools/regular_file.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define QINS_HAVE_CALLGRIND 1
#else
#define QINS_HAVE_CALLGRIND 0
#endif

namespace {

void Usage(FILE* out) {
  std::fprintf(
      out,
      "Usage: qins-instr-count --format NAME [--strategy NAME (auto)]\n"
      "                        [--rows N (64)] [--cols N (4096)]\n"
      "                        [--target NAME] [--threads N (1)]\n"
      "       qins-instr-count --format NAME [--rows N] [--cols N]\n"
      "                        --save-matrix FILE\n"
      "       qins-instr-count --load-matrix FILE [--strategy NAME]\n"
      "                        [--target NAME] [--threads N]\n"
      "       qins-instr-count --list | --perf-events\n"
      "Quantizes one rows x cols matrix (deterministic uniform weights) into\n"
      "the format, runs one warm-up GEMV, then one GEMV between callgrind's\n"
      "CALLGRIND_START_INSTRUMENTATION and CALLGRIND_STOP_INSTRUMENTATION.\n"
      "Run it as\n"
      "  valgrind --tool=callgrind --instr-atstart=no \\\n"
      "      --callgrind-out-file=OUT qins-instr-count --format q8_0\n"
      "and read Ir from OUT's `totals:` line: instructions/weight = Ir /\n"
      "(rows*cols). Outside valgrind it runs the same calls, counts nothing\n"
      "and says so on stderr.\n"
      "Prints one JSON line: format, strategy (requested and resolved),\n"
      "target, rows, cols, weights, under_valgrind.\n"
      "  --list   JSON: every format (qins::AllFormats) with its GEMV\n"
      "           strategies (qins::GemvStrategies), and the targets this\n"
      "           CPU (or valgrind's emulated CPU) supports.\n"
      "  --save-matrix FILE  quantize, write the matrix (this tool's own\n"
      "           file: a text header line, then the row payloads, row and\n"
      "           tensor parameters) and exit. --load-matrix FILE reads it\n"
      "           instead of quantizing (format, rows and cols from the\n"
      "           file), so slow encoders need not run under valgrind.\n"
      "  --perf-events  JSON: every perf event (qins/perf_counters.h) and\n"
      "           whether this machine lets the process count it, with the\n"
      "           kernel's reason when not (opened as the benches open them).\n"
      "Environment: QINS_TARGET forces a target (--target overrides it).\n"
      "valgrind 3.19 does not emulate AVX-512: under it avx3/avx3_dl are not\n"
      "supported targets.\n");
}

bool ParseCount(const char* s, size_t max, size_t* out) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(s, &end, 10);
  if (end == s || *end != '\0' || n == 0 || n > max) return false;
  *out = static_cast<size_t>(n);
  return true;
}

std::string JsonString(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

bool UnderValgrind() {
#if QINS_HAVE_CALLGRIND
  return RUNNING_ON_VALGRIND != 0;
#else
  return false;
#endif
}

int List() {
  std::printf("{\"formats\": [");
  bool first = true;
  for (qins::Format f : qins::AllFormats()) {
    const qins::FormatInfo info = qins::GetFormatInfo(f);
    std::printf(
        "%s\n  {\"name\": %s, \"bytes_per_weight\": %.6g, "
        "\"strategies\": [",
        first ? "" : ",", JsonString(info.name).c_str(), info.bytes_per_weight);
    first = false;
    bool first_s = true;
    for (qins::GemvStrategy s : qins::GemvStrategies(f)) {
      std::printf("%s%s", first_s ? "" : ", ",
                  JsonString(qins::GemvStrategyName(s)).c_str());
      first_s = false;
    }
    std::printf("]}");
  }
  std::printf("\n], \"supported_targets\": [");
  first = true;
  for (qins::Target t : qins::SupportedTargets()) {
    std::printf("%s%s", first ? "" : ", ",
                JsonString(qins::TargetName(t)).c_str());
    first = false;
  }
  std::printf("], \"under_valgrind\": %s}\n",
              UnderValgrind() ? "true" : "false");
  return 0;
}

int PerfEvents() {
  qins::PerfCounterOptions o;
  o.inherit = true;  // as bench_support opens them
  const qins::StatusOr<qins::PerfCounterGroup> g =
      qins::PerfCounterGroup::Open(o);
  if (!g.ok()) {
    std::fprintf(stderr, "qins-instr-count: %s\n",
                 g.status().ToString().c_str());
    return 1;
  }
  std::printf("{\"perf_events\": [");
  bool first = true;
  for (qins::PerfEvent e : g->events()) {
    std::printf(
        "%s\n  {\"name\": %s, \"hardware\": %s, \"available\": %s, "
        "\"reason\": %s}",
        first ? "" : ",", JsonString(qins::PerfEventName(e)).c_str(),
        qins::IsHardwarePerfEvent(e) ? "true" : "false",
        g->available(e) ? "true" : "false",
        JsonString(g->unavailable_reason(e)).c_str());
    first = false;
  }
  std::printf("\n]}\n");
  return 0;
}

constexpr char kMagic[] = "qins-instr-count-matrix-v1";

// Header line "<magic> <format> <rows> <cols> <payload bytes> <row params>
// <tensor params>\n", then the payload (rows back to back, no padding), the
// row parameters and the tensor parameters as host-order floats.
bool SaveMatrix(const qins::QuantizedMatrix& q, const std::string& path) {
  std::ofstream f(path, std::ios::binary);
  const size_t row_bytes = q.row_payload_bytes();
  const size_t row_params = q.rows() * q.params_per_row();
  f << kMagic << ' ' << qins::FormatName(q.format()) << ' ' << q.rows() << ' '
    << q.cols() << ' ' << q.rows() * row_bytes << ' ' << row_params << ' '
    << q.tensor_params().size() << '\n';
  for (size_t r = 0; r < q.rows(); ++r) {
    f.write(reinterpret_cast<const char*>(q.row(r)),
            static_cast<std::streamsize>(row_bytes));
  }
  for (size_t r = 0; r < q.rows(); ++r) {
    f.write(reinterpret_cast<const char*>(q.row_params(r)),
            static_cast<std::streamsize>(q.params_per_row() * sizeof(float)));
  }
  f.write(
      reinterpret_cast<const char*>(q.tensor_params().data()),
      static_cast<std::streamsize>(q.tensor_params().size() * sizeof(float)));
  f.close();  // a full disk shows only when the buffer is flushed
  return static_cast<bool>(f);
}

qins::StatusOr<qins::QuantizedMatrix> LoadMatrix(const std::string& path) {
  if (const std::string bad = qins::tools::NotARegularFile(path); !bad.empty())
    return qins::InvalidArgument(bad);
  std::ifstream f(path, std::ios::binary);
  if (!f) return qins::InvalidArgument("cannot open " + path);
  std::string header;
  std::getline(f, header);
  std::istringstream h(header);
  std::string magic, name;
  size_t rows = 0, cols = 0, payload = 0, row_params = 0, tensor_params = 0;
  h >> magic >> name >> rows >> cols >> payload >> row_params >> tensor_params;
  if (!h || magic != kMagic || payload > (size_t{1} << 32) ||
      row_params > (size_t{1} << 28) || tensor_params > (size_t{1} << 20)) {
    return qins::DataLoss(path + ": not a qins-instr-count matrix file");
  }
  const qins::StatusOr<qins::Format> format = qins::ParseFormat(name);
  if (!format.ok()) return format.status();
  std::vector<uint8_t> bytes(payload);
  std::vector<float> rp(row_params), tp(tensor_params);
  f.read(reinterpret_cast<char*>(bytes.data()),
         static_cast<std::streamsize>(payload));
  f.read(reinterpret_cast<char*>(rp.data()),
         static_cast<std::streamsize>(rp.size() * sizeof(float)));
  f.read(reinterpret_cast<char*>(tp.data()),
         static_cast<std::streamsize>(tp.size() * sizeof(float)));
  if (!f) return qins::DataLoss(path + ": truncated");
  // FromParts checks every size against the format.
  return qins::QuantizedMatrix::FromParts(*format, rows, cols, bytes.data(),
                                          bytes.size(), rp, tp);
}

// Deterministic weights uniform in [-0.05, 0.05) (xorshift64).
std::vector<float> Weights(size_t n, uint64_t seed) {
  std::vector<float> w(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (float& v : w) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    v = 0.05f * (static_cast<float>(s >> 40) * (2.0f / 16777216.0f) - 1.0f);
  }
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  std::string format_name, strategy_name = "auto", target_name;
  size_t rows = 64, cols = 4096, threads = 1;
  std::string save_path, load_path;
  bool list = false, perf_events = false, shape_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "qins-instr-count: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    auto count = [&](size_t max, size_t* out) {
      const char* v = value();
      if (!ParseCount(v, max, out)) {
        std::fprintf(stderr,
                     "qins-instr-count: %s must be an integer in [1, %zu], "
                     "got '%s'\n",
                     a.c_str(), max, v);
        std::exit(2);
      }
    };
    if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    } else if (a == "--list") {
      list = true;
    } else if (a == "--perf-events") {
      perf_events = true;
    } else if (a == "--format") {
      format_name = value();
    } else if (a == "--strategy") {
      strategy_name = value();
    } else if (a == "--target") {
      target_name = value();
    } else if (a == "--save-matrix") {
      save_path = value();
    } else if (a == "--load-matrix") {
      load_path = value();
    } else if (a == "--rows") {
      count(size_t{1} << 20, &rows);
      shape_given = true;
    } else if (a == "--cols") {
      count(size_t{1} << 20, &cols);
      shape_given = true;
    } else if (a == "--threads") {
      count(1024, &threads);
    } else {
      std::fprintf(stderr,
                   "qins-instr-count: unknown argument '%s'; see --help\n",
                   a.c_str());
      return 2;
    }
  }
  if (list) return List();
  if (perf_events) return PerfEvents();
  if (!load_path.empty() &&
      (!format_name.empty() || shape_given || !save_path.empty())) {
    std::fprintf(stderr,
                 "qins-instr-count: --load-matrix takes the format and shape "
                 "from the file: drop --format/--rows/--cols/--save-matrix\n");
    return 2;
  }
  qins::QuantizedMatrix loaded;
  if (!load_path.empty()) {
    qins::StatusOr<qins::QuantizedMatrix> m = LoadMatrix(load_path);
    if (!m.ok()) {
      std::fprintf(stderr, "qins-instr-count: %s\n",
                   m.status().ToString().c_str());
      return 1;
    }
    loaded = *m;
    format_name = qins::FormatName(loaded.format());
    rows = loaded.rows();
    cols = loaded.cols();
  }
  if (format_name.empty()) {
    std::fprintf(stderr,
                 "qins-instr-count: --format is required; see --help\n");
    return 2;
  }
  if (rows * cols > (size_t{1} << 26)) {
    std::fprintf(stderr,
                 "qins-instr-count: --rows x --cols must be at most 2^26\n");
    return 2;
  }
  const qins::StatusOr<qins::Format> format = qins::ParseFormat(format_name);
  if (!format.ok()) {
    std::fprintf(stderr, "qins-instr-count: %s\n",
                 format.status().message().c_str());
    return 2;
  }
  const qins::StatusOr<qins::GemvStrategy> strategy =
      qins::ParseGemvStrategy(strategy_name);
  if (!strategy.ok()) {
    std::fprintf(stderr, "qins-instr-count: %s\n",
                 strategy.status().message().c_str());
    return 2;
  }
  // kAuto runs the format's first listed strategy (qins/gemv.h).
  const std::vector<qins::GemvStrategy> available =
      qins::GemvStrategies(*format);
  qins::GemvStrategy resolved = *strategy;
  if (resolved == qins::GemvStrategy::kAuto && available.size() > 1) {
    resolved = available[1];
  }
  qins::ContextOptions co;
  co.num_threads = static_cast<int>(threads);
  co.target = target_name;
  const qins::StatusOr<qins::Context> ctx = qins::Context::Create(co);
  if (!ctx.ok()) {
    std::fprintf(stderr, "qins-instr-count: %s%s\n",
                 ctx.status().message().c_str(),
                 UnderValgrind() ? " (under valgrind, which emulates a CPU "
                                   "without AVX-512)"
                                 : "");
    return 1;
  }
  qins::StatusOr<qins::QuantizedMatrix> q = loaded;
  if (loaded.empty()) {
    const std::vector<float> w = Weights(rows * cols, 100);
    q = qins::Quantize(*ctx, *format, w.data(), rows, cols);
    if (!q.ok()) {
      std::fprintf(stderr, "qins-instr-count: quantize: %s\n",
                   q.status().ToString().c_str());
      return 1;
    }
  }
  if (!save_path.empty()) {
    if (!SaveMatrix(*q, save_path)) {
      std::fprintf(stderr, "qins-instr-count: cannot write %s\n",
                   save_path.c_str());
      return 1;
    }
    return 0;
  }
  std::vector<float> x = Weights(cols, 7), y(rows);
  qins::GemvOptions opt;
  opt.strategy = *strategy;
  // Warm-up outside the measured region: first-call dispatch, lazily built
  // tables and page faults on y are not the kernel's per-call cost.
  qins::Status st = qins::Gemv(*ctx, *q, x.data(), y.data(), opt);
  if (!st.ok()) {
    std::fprintf(stderr, "qins-instr-count: %s\n", st.ToString().c_str());
    return 1;
  }
#if QINS_HAVE_CALLGRIND
  CALLGRIND_START_INSTRUMENTATION;
#endif
  st = qins::Gemv(*ctx, *q, x.data(), y.data(), opt);
#if QINS_HAVE_CALLGRIND
  CALLGRIND_STOP_INSTRUMENTATION;
#endif
  if (!st.ok()) {
    std::fprintf(stderr, "qins-instr-count: %s\n", st.ToString().c_str());
    return 1;
  }
  const bool valgrind = UnderValgrind();
  if (!valgrind) {
    std::fprintf(stderr,
                 QINS_HAVE_CALLGRIND
                     ? "qins-instr-count: not running under valgrind: nothing "
                       "was counted (see --help)\n"
                     : "qins-instr-count: built without valgrind/callgrind.h "
                       "(apt-get install valgrind): nothing can be counted\n");
  }
  double checksum = 0;  // keeps y observable
  for (float v : y) checksum += v;
  std::printf(
      "{\"format\": %s, \"strategy_requested\": %s, \"strategy\": %s, "
      "\"target\": %s, \"threads\": %zu, \"rows\": %zu, \"cols\": %zu, "
      "\"weights\": %zu, \"under_valgrind\": %s, \"checksum\": %.9g}\n",
      JsonString(qins::FormatName(*format)).c_str(),
      JsonString(qins::GemvStrategyName(*strategy)).c_str(),
      JsonString(qins::GemvStrategyName(resolved)).c_str(),
      JsonString(qins::TargetName(ctx->target())).c_str(), threads, rows, cols,
      rows * cols, valgrind ? "true" : "false", checksum);
  return 0;
}
