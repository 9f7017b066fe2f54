// qins-codec-stats: bytes per weight versus error for every weight format, on
// synthetic weights or on every matrix of a llama2.c model.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "qins/qins.h"
#include "tools/runner/llama2c_source.h"
#include "tools/runner/model_source.h"

namespace {

struct NamedMatrix {
  std::string name;  // "layers.3.wq", "token_embedding", "wcls"
  size_t rows = 0, cols = 0;
  std::vector<float> w;
};

void Usage(FILE* f) {
  std::fprintf(
      f,
      "Usage: qins-codec-stats [--formats LIST|all] SOURCE [--json FILE]\n"
      "SOURCE is one of:\n"
      "  --dist normal:SIGMA | laplace:B | student-t:NU:SCALE\n"
      "        [--rows N (4096)] [--cols N (4096)] [--seed N (1)]\n"
      "  --model FILE   every weight matrix of a llama2.c checkpoint, each\n"
      "                 quantized as its own tensor\n"
      "Per format: bytes/weight (all side information included), RMS relative\n"
      "error sqrt(sum err^2 / sum w^2), SNR in dB, per-weight relative error\n"
      "|q - w| / |w| over nonzero weights (mean, p99, max), encode and decode\n"
      "speed (Mweights/s, on QINS_TARGET / QINS_THREADS, default all "
      "threads).\n"
      "Output: a markdown table; --json FILE also writes the rows as JSON.\n"
      "A format whose rows must be a multiple of N weights (the K-quants: "
      "256)\n"
      "and a matrix of another row length: an error (exit 2) when the format\n"
      "is named, left out with a note on stderr under --formats all.\n");
}

qins::StatusOr<std::vector<NamedMatrix>> Synthetic(const std::string& spec,
                                                   size_t rows, size_t cols,
                                                   uint64_t seed) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t c = spec.find(':', start);
    parts.push_back(spec.substr(
        start, c == std::string::npos ? std::string::npos : c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  auto num = [&](size_t i, double* v) {
    if (i >= parts.size()) return false;
    char* end = nullptr;
    *v = std::strtod(parts[i].c_str(), &end);
    return end != parts[i].c_str() && *end == '\0' && *v > 0 &&
           std::isfinite(*v);
  };
  NamedMatrix m;
  m.name = spec;
  m.rows = rows;
  m.cols = cols;
  m.w.resize(rows * cols);
  std::mt19937_64 rng(seed);
  double a = 0, b = 0;
  if (parts[0] == "normal" && parts.size() == 2 && num(1, &a)) {
    std::normal_distribution<double> d(0, a);
    for (float& x : m.w) x = static_cast<float>(d(rng));
  } else if (parts[0] == "laplace" && parts.size() == 2 && num(1, &a)) {
    std::exponential_distribution<double> e(1.0 / a);
    for (float& x : m.w) x = static_cast<float>(e(rng) - e(rng));
  } else if (parts[0] == "student-t" && parts.size() == 3 && num(1, &a) &&
             num(2, &b)) {
    std::student_t_distribution<double> t(a);
    for (float& x : m.w) x = static_cast<float>(b * t(rng));
  } else {
    return qins::InvalidArgument(
        "bad --dist '" + spec +
        "': expected normal:SIGMA, laplace:B or student-t:NU:SCALE "
        "with positive numbers");
  }
  std::vector<NamedMatrix> v;
  v.push_back(std::move(m));
  return v;
}

// Every weight matrix of a llama2.c checkpoint, read with the runner's loader
// (tools/runner/llama2c_source.h), in the file's order: the embedding, each
// kind over all layers, then the classifier when it is not tied.
qins::StatusOr<std::vector<NamedMatrix>> Llama2cMatrices(
    const std::string& path) {
  using qins::runner::TensorClass;
  qins::StatusOr<std::unique_ptr<qins::runner::ModelSource>> src =
      qins::runner::OpenLlama2cSource(path);
  if (!src.ok()) return src.status();
  const qins::runner::ModelConfig& c = (*src)->config();
  struct Part {
    TensorClass t;
    const char* name;
    bool per_layer;
  };
  std::vector<Part> parts = {
      {TensorClass::kEmbedding, "token_embedding", false},
      {TensorClass::kAttnQ, "wq", true},
      {TensorClass::kAttnK, "wk", true},
      {TensorClass::kAttnV, "wv", true},
      {TensorClass::kAttnO, "wo", true},
      {TensorClass::kFfnGate, "w1", true},
      {TensorClass::kFfnDown, "w2", true},
      {TensorClass::kFfnUp, "w3", true},
  };
  if (!c.tied_classifier)
    parts.push_back({TensorClass::kOutput, "wcls", false});
  std::vector<NamedMatrix> out;
  for (const Part& p : parts) {
    for (int l = 0; l < (p.per_layer ? c.n_layers : 1); ++l) {
      NamedMatrix m;
      m.name = p.per_layer ? "layers." + std::to_string(l) + "." + p.name
                           : std::string(p.name);
      qins::runner::TensorShape(c, p.t, &m.rows, &m.cols);
      m.w.resize(m.rows * m.cols);
      qins::Status st = (*src)->ReadTensor(p.t, l, m.w.data());
      if (!st.ok()) return st;
      out.push_back(std::move(m));
    }
  }
  return out;
}

struct Row {
  std::string format;
  double bytes_per_weight = 0, rms_rel = 0, snr_db = 0, mean_rel = 0,
         p99_rel = 0, max_rel = 0;
  double encode_mw_s = 0, decode_mw_s = 0;
};

qins::StatusOr<Row> Measure(const qins::Context& ctx, qins::Format f,
                            const std::vector<NamedMatrix>& mats) {
  using Clock = std::chrono::steady_clock;
  Row row;
  row.format = qins::FormatName(f);
  double err2 = 0, w2 = 0, enc_s = 0, dec_s = 0, weights = 0, bytes = 0;
  std::vector<float> rel;
  for (const NamedMatrix& m : mats) {
    auto t0 = Clock::now();
    qins::StatusOr<qins::QuantizedMatrix> q =
        qins::Quantize(ctx, f, m.w.data(), m.rows, m.cols);
    enc_s += std::chrono::duration<double>(Clock::now() - t0).count();
    if (!q.ok()) {
      return qins::Status(q.status().code(),
                          m.name + ": " + q.status().message());
    }
    std::vector<float> out(m.w.size());
    t0 = Clock::now();
    qins::Status st = qins::Dequantize(ctx, *q, out.data());
    dec_s += std::chrono::duration<double>(Clock::now() - t0).count();
    if (!st.ok()) return st;
    weights += static_cast<double>(m.w.size());
    bytes += static_cast<double>(q->payload_bytes());
    for (size_t i = 0; i < m.w.size(); ++i) {
      const double e = static_cast<double>(out[i]) - m.w[i];
      err2 += e * e;
      w2 += static_cast<double>(m.w[i]) * m.w[i];
      if (m.w[i] != 0)
        rel.push_back(static_cast<float>(std::fabs(e) / std::fabs(m.w[i])));
    }
  }
  row.bytes_per_weight = bytes / weights;
  row.rms_rel = std::sqrt(err2 / w2);
  row.snr_db = err2 > 0 ? 10 * std::log10(w2 / err2) : INFINITY;
  double sum = 0;
  for (float r : rel) sum += r;
  row.mean_rel = rel.empty() ? 0 : sum / rel.size();
  if (!rel.empty()) {
    const size_t k = static_cast<size_t>(0.99 * (rel.size() - 1));
    std::nth_element(rel.begin(), rel.begin() + k, rel.end());
    row.p99_rel = rel[k];
    row.max_rel = *std::max_element(rel.begin(), rel.end());
  }
  row.encode_mw_s = weights / enc_s / 1e6;
  row.decode_mw_s = weights / dec_s / 1e6;
  return row;
}

std::string Num(double v, const char* fmt) {
  if (std::isinf(v)) return "inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::string formats = "all", dist, model, json;
  size_t rows = 4096, cols = 4096;
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "qins-codec-stats: %s needs a value\n", flag);
        std::exit(2);
      }
      return argv[++i];
    };
    auto count = [&](const char* flag) -> size_t {
      const char* v = value(flag);
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v, &end, 10);
      if (end == v || *end != '\0' || n == 0 || n > (1ull << 20)) {
        std::fprintf(
            stderr,
            "qins-codec-stats: %s must be an integer in [1, 2^20], got '%s'\n",
            flag, v);
        std::exit(2);
      }
      return static_cast<size_t>(n);
    };
    if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    } else if (a == "--formats") {
      formats = value("--formats");
    } else if (a == "--dist") {
      dist = value("--dist");
    } else if (a == "--model") {
      model = value("--model");
    } else if (a == "--json") {
      json = value("--json");
    } else if (a == "--rows") {
      rows = count("--rows");
    } else if (a == "--cols") {
      cols = count("--cols");
    } else if (a == "--seed") {
      seed = count("--seed");
    } else {
      std::fprintf(stderr,
                   "qins-codec-stats: unknown argument '%s'; see --help\n",
                   a.c_str());
      return 2;
    }
  }
  if (dist.empty() == model.empty()) {
    std::fprintf(stderr,
                 "qins-codec-stats: give exactly one of --dist and --model; "
                 "see --help\n");
    return 2;
  }
  if (rows * cols > (size_t{1} << 28)) {
    std::fprintf(
        stderr,
        "qins-codec-stats: --rows x --cols must be at most 2^28 weights\n");
    return 2;
  }
  auto fl = qins::ParseFormatList(formats);
  if (!fl.ok()) {
    std::fprintf(stderr, "qins-codec-stats: %s\n",
                 fl.status().message().c_str());
    return 2;
  }
  auto mats = model.empty() ? Synthetic(dist, rows, cols, seed)
                            : Llama2cMatrices(model);
  if (!mats.ok()) {
    std::fprintf(stderr, "qins-codec-stats: %s\n",
                 mats.status().message().c_str());
    return 2;
  }
  auto ctx = qins::Context::Create();
  if (!ctx.ok()) {
    std::fprintf(stderr, "qins-codec-stats: %s\n",
                 ctx.status().ToString().c_str());
    return 2;
  }
  size_t total = 0;
  for (const auto& m : *mats) total += m.w.size();
  std::printf(
      "source: %s (%zu matrices, %zu weights); target %s, %d threads\n\n",
      model.empty() ? dist.c_str() : model.c_str(), mats->size(), total,
      qins::TargetName(ctx->target()).c_str(), ctx->num_threads());
  std::printf(
      "| format | bytes/weight | RMS rel err | SNR dB | mean rel err | p99 rel "
      "err | max rel err | encode Mw/s | decode Mw/s |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  std::vector<Row> out;
  for (qins::Format f : *fl) {
    // A format with whole-row blocks (the K-quants: rows of multiples of 256
    // weights) cannot hold the source's other row lengths: named in
    // --formats that is an error; with "all" it is left out, said on stderr.
    const size_t multiple = qins::GetFormatInfo(f).col_multiple;
    const NamedMatrix* misfit = nullptr;
    for (const NamedMatrix& m : *mats) {
      if (m.cols % multiple != 0) {
        misfit = &m;
        break;
      }
    }
    if (misfit != nullptr) {
      std::fprintf(stderr,
                   "qins-codec-stats: %s: matrix %s has rows of %zu weights; "
                   "%s needs a multiple of %zu%s\n",
                   qins::FormatName(f).c_str(), misfit->name.c_str(),
                   misfit->cols, qins::FormatName(f).c_str(), multiple,
                   formats == "all" ? " (left out)" : "");
      if (formats == "all") continue;
      return 2;
    }
    auto r = Measure(*ctx, f, *mats);
    if (!r.ok()) {
      std::fprintf(stderr, "qins-codec-stats: %s: %s\n",
                   qins::FormatName(f).c_str(), r.status().ToString().c_str());
      return 1;
    }
    std::printf(
        "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r->format.c_str(),
        Num(r->bytes_per_weight, "%.4f").c_str(),
        Num(r->rms_rel, "%.5f").c_str(), Num(r->snr_db, "%.1f").c_str(),
        Num(r->mean_rel, "%.4f").c_str(), Num(r->p99_rel, "%.4f").c_str(),
        Num(r->max_rel, "%.3g").c_str(), Num(r->encode_mw_s, "%.1f").c_str(),
        Num(r->decode_mw_s, "%.1f").c_str());
    std::fflush(stdout);
    out.push_back(*r);
  }
  if (!json.empty()) {
    std::ofstream j(json);
    if (!j) {
      std::fprintf(stderr, "qins-codec-stats: cannot write '%s'\n",
                   json.c_str());
      return 2;
    }
    j << "[\n";
    for (size_t i = 0; i < out.size(); ++i) {
      const Row& r = out[i];
      auto n = [](double v) {
        return std::isfinite(v) ? std::to_string(v) : std::string("null");
      };
      j << "  {\"format\": \"" << r.format
        << "\", \"bytes_per_weight\": " << n(r.bytes_per_weight)
        << ", \"rms_rel_err\": " << n(r.rms_rel)
        << ", \"snr_db\": " << n(r.snr_db)
        << ", \"mean_rel_err\": " << n(r.mean_rel)
        << ", \"p99_rel_err\": " << n(r.p99_rel)
        << ", \"max_rel_err\": " << n(r.max_rel)
        << ", \"encode_mweights_per_s\": " << n(r.encode_mw_s)
        << ", \"decode_mweights_per_s\": " << n(r.decode_mw_s) << "}"
        << (i + 1 < out.size() ? ",\n" : "\n");
    }
    j << "]\n";
    j.close();  // a full disk shows only when the buffer is flushed
    if (!j) {
      std::fprintf(stderr, "qins-codec-stats: cannot write '%s'\n",
                   json.c_str());
      return 1;
    }
  }
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "qins-codec-stats: cannot write to stdout\n");
    return 1;
  }
  return 0;
}
