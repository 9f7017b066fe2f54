// bench_ggml_mul_mat: ggml's CPU ggml_mul_mat timed the way bench_gemv and
// bench_gemm time the library's kernels, for tools/compare-ggml.
// Not part of the library or of its build: tools/compare-ggml compiles this
// file against the pinned llama.cpp that tools/build-llamacpp.sh builds in
// a cache (ggml's static libraries and headers) and against a build of this
// project (bench/bench_support.h and libqinskernels.a); nothing of
// llama.cpp is committed.
//
// What is measured, per row: one ggml_backend_graph_compute() of a graph
// holding a single ggml_mul_mat(W, X) node on ggml's CPU backend with
// `threads` threads (ggml_backend_cpu_set_n_threads, plus a ggml threadpool
// as llama.cpp attaches one; this build runs its threads with OpenMP, as
// llama.cpp's default build does). W is rows x cols in a ggml type, X is
// cols x M f32 (GEMV: M = 1); the call includes ggml's conversion of X to
// the type's vec_dot type (q8_0 / q8_K blocks for the quantized types),
// as a llama.cpp forward pass pays it.
//
// Rows (the same names as bench_gemv / bench_gemm, with ggml's buffer in the
// strategy slot or as a last component):
//   gemv/<format>/<plain|default>/<rows>x<cols>/threads:<t>/<hot|cold>
//   gemm/<format>/<N>x<K>/m:<M>/threads:<t>/<plain|default>
// - plain: W in ggml's plain CPU buffer (ggml_backend_cpu_buffer_type).
// - default: W in the buffer llama.cpp's loader would pick for a MUL_MAT
//   weight on this CPU: the first of the CPU device's extra buffer types
//   (ggml_backend_dev_get_extra_bufts: AMX, then CPU_REPACK, as the build
//   has them) whose supports_op accepts the op, else the plain buffer (the
//   loader's make_cpu_buft_list + select_weight_buft, replicated in
//   LlamaDefaultBuft). When that is the plain buffer, no default row is
//   run; the plain row's label says "default=CPU" and tools/sweep_table
//   prints "same".
// Formats use the library's names (q4_k for ggml's q4_K); W is the same
// random matrix as the library's benches (FillUniform seed 100, scale 0.05)
// quantized by ggml_quantize_chunk, X is FillUniform seed 7.
//
// Timing, cache states and counters are bench_gemv's: manual time (each
// call timed with steady_clock, SetIterationTime); hot = one W used over
// and over, cold = ColdCopies() copies of W rotated (more than 4x the
// last-level cache plus two copies). After each call, the read-bandwidth
// pass streams copy (i + copies/2) with the kernel of
// qins::ParallelReadBytes, split as it splits (16 KiB chunks, one
// contiguous share per thread), but run on ggml's OpenMP threads (each
// thread reads its share through a one-thread qins::Context, which calls the
// same SIMD kernel inline): the library's benches read on the threads that
// ran the kernel, and so does this one, so that two thread pools never
// compete for the two cores. Counters: weights/s, bytes/s (ggml_nbytes of
// W), bw, frac_bw, ns/weight, tsc/weight as bench_support.h's
// SetThroughputCounters, GFLOP/s for gemm rows; not the hardware-counter
// columns or bench_gemm's peak/frac_peak.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/bench_support.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"

namespace {

using qins::bench::FillUniform;
using Clock = std::chrono::steady_clock;

// The library's format names and ggml's types (ggml_type_name lowercased).
const std::vector<std::pair<std::string, ggml_type>>& FormatTypes() {
  static const std::vector<std::pair<std::string, ggml_type>> kTypes = {
      {"f32", GGML_TYPE_F32},       {"f16", GGML_TYPE_F16},
      {"bf16", GGML_TYPE_BF16},     {"q8_0", GGML_TYPE_Q8_0},
      {"q4_0", GGML_TYPE_Q4_0},     {"q4_1", GGML_TYPE_Q4_1},
      {"q5_0", GGML_TYPE_Q5_0},     {"q5_1", GGML_TYPE_Q5_1},
      {"iq4_nl", GGML_TYPE_IQ4_NL}, {"iq4_xs", GGML_TYPE_IQ4_XS},
      {"q2_k", GGML_TYPE_Q2_K},     {"q3_k", GGML_TYPE_Q3_K},
      {"q4_k", GGML_TYPE_Q4_K},     {"q5_k", GGML_TYPE_Q5_K},
      {"q6_k", GGML_TYPE_Q6_K}};
  return kTypes;
}
const char kDefaultFormats[] =
    "f32,f16,bf16,q8_0,q4_0,q4_1,q5_0,q5_1,iq4_nl,q4_k,q6_k";

// This program's own flags (parsed before bench_support's).
struct GgmlFlags {
  bool gemm = false;                         // --ggml_bench=gemm
  std::vector<size_t> batches;               // --ggml_batches (gemm)
  bool plain = true, default_buffer = true;  // --ggml_buffers
};
GgmlFlags g_ggml;

[[noreturn]] void Die(const std::string& m) {
  std::fprintf(stderr, "bench_ggml_mul_mat: %s\n", m.c_str());
  std::exit(2);
}

// The buffer llama.cpp's model loader puts a MUL_MAT weight of this type
// and shape in on this CPU (llama-model.cpp make_cpu_buft_list: the CPU
// device's extra buffer types, then the CPU buffer type; llama-model-
// loader.cpp select_weight_buft / weight_buft_supported: the first whose
// device supports ggml_mul_mat(W, B) with B f32 of 512 columns, W in a
// zero-size buffer of that type).
ggml_backend_buffer_type_t LlamaDefaultBuft(ggml_type type, size_t rows,
                                            size_t cols) {
  ggml_backend_dev_t dev =
      ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
  if (dev == nullptr) Die("no CPU backend device");
  std::vector<ggml_backend_buffer_type_t> list;
  auto get_extra = reinterpret_cast<ggml_backend_dev_get_extra_bufts_t>(
      ggml_backend_reg_get_proc_address(ggml_backend_dev_backend_reg(dev),
                                        "ggml_backend_dev_get_extra_bufts"));
  if (get_extra != nullptr) {
    for (ggml_backend_buffer_type_t* b = get_extra(dev); b && *b; ++b) {
      list.push_back(*b);
    }
  }
  list.push_back(ggml_backend_dev_buffer_type(dev));
  for (ggml_backend_buffer_type_t buft : list) {
    ggml_init_params p = {ggml_tensor_overhead() * 8, nullptr, true};
    ggml_context* ctx = ggml_init(p);
    ggml_tensor* w = ggml_new_tensor_2d(ctx, type, static_cast<int64_t>(cols),
                                        static_cast<int64_t>(rows));
    ggml_tensor* b = ggml_new_tensor_4d(ctx, GGML_TYPE_F32, w->ne[0], 512,
                                        w->ne[2], w->ne[3]);
    ggml_tensor* op = ggml_mul_mat(ctx, w, b);
    w->buffer = ggml_backend_buft_alloc_buffer(buft, 0);
    const bool ok = ggml_backend_dev_supports_op(dev, op);
    ggml_backend_buffer_free(w->buffer);
    w->buffer = nullptr;
    ggml_free(ctx);
    if (ok) return buft;
  }
  return nullptr;
}

// The read pass (see the top comment): ParallelReadBytes's method on the
// calling OpenMP team. `one` holds one single-thread Context per thread.
uint32_t OmpReadBytes(const std::vector<qins::Context>& one, const void* p,
                      size_t bytes) {
  const auto* b = static_cast<const unsigned char*>(p);
  uint32_t s = 0;
  size_t head = (4 - reinterpret_cast<uintptr_t>(b) % 4) % 4;
  head = std::min(head, bytes);
  for (size_t i = 0; i < head; ++i) s += b[i];
  const auto* words = reinterpret_cast<const uint32_t*>(b + head);
  const size_t n = (bytes - head) / 4;
  constexpr size_t kChunk = 4096;  // words per unit, as ParallelReadBytes
  const size_t chunks = (n + kChunk - 1) / kChunk;
  const size_t t = one.size();
  const size_t grain = std::max<size_t>(1, chunks / (4 * t));
  const size_t parts = std::max<size_t>(
      1, std::min<size_t>(t, std::max<size_t>(1, chunks / grain)));
  std::vector<uint32_t> partial(parts, 0);
  const auto share = [&](size_t i) {
    const size_t c0 = chunks * i / parts, c1 = chunks * (i + 1) / parts;
    const size_t w0 = c0 * kChunk, w1 = std::min(n, c1 * kChunk);
    if (w1 > w0) {
      partial[i] = qins::ParallelReadBytes(one[i], words + w0, (w1 - w0) * 4);
    }
  };
  if (parts == 1) {
    share(0);
  } else {
#pragma omp parallel num_threads(static_cast <int>(parts))
    share(static_cast<size_t>(omp_get_thread_num()));
  }
  for (uint32_t v : partial) s += v;
  for (size_t i = head + n * 4; i < bytes; ++i) s += b[i];
  return s;
}

// W quantized by ggml once per (type, shape) and kept for the process, as
// bench_support's QuantizedCopies does.
const std::vector<uint8_t>& QuantizedBytes(ggml_type type, size_t rows,
                                           size_t cols) {
  static std::map<std::tuple<int, size_t, size_t>, std::vector<uint8_t>> cache;
  const auto key = std::make_tuple(static_cast<int>(type), rows, cols);
  auto it = cache.find(key);
  if (it == cache.end()) {
    std::vector<float> w(rows * cols);
    FillUniform(w.data(), w.size(), 100, 0.05f);
    std::vector<uint8_t> q(ggml_row_size(type, static_cast<int64_t>(cols)) *
                           rows);
    const size_t n = ggml_quantize_chunk(type, w.data(), q.data(), 0,
                                         static_cast<int64_t>(rows),
                                         static_cast<int64_t>(cols), nullptr);
    if (n != q.size()) Die("ggml_quantize_chunk wrote an unexpected size");
    it = cache.emplace(key, std::move(q)).first;
  }
  return it->second;
}

// Everything one row needs: the CPU backend with its threads, `copies`
// copies of W in `buft`, X, and one single-node graph per copy.
class MulMatRow {
 public:
  MulMatRow(ggml_type type, ggml_backend_buffer_type_t buft, size_t rows,
            size_t cols, size_t m, size_t copies, int threads) {
    backend_ = ggml_backend_cpu_init();
    if (backend_ == nullptr) Die("ggml_backend_cpu_init failed");
    ggml_threadpool_params tpp = ggml_threadpool_params_default(threads);
    pool_ = ggml_threadpool_new(&tpp);
    ggml_backend_cpu_set_n_threads(backend_, threads);
    ggml_backend_cpu_set_threadpool(backend_, pool_);
    ggml_init_params pw = {ggml_tensor_overhead() * (copies + 1), nullptr,
                           true};
    ctx_w_ = ggml_init(pw);
    for (size_t c = 0; c < copies; ++c) {
      w_.push_back(ggml_new_tensor_2d(ctx_w_, type, static_cast<int64_t>(cols),
                                      static_cast<int64_t>(rows)));
    }
    buf_w_ = ggml_backend_alloc_ctx_tensors_from_buft(ctx_w_, buft);
    if (buf_w_ == nullptr)
      Die("cannot allocate W in " + std::string(ggml_backend_buft_name(buft)));
    const std::vector<uint8_t>& q = QuantizedBytes(type, rows, cols);
    for (ggml_tensor* w : w_) {
      if (ggml_nbytes(w) != q.size()) Die("W size mismatch");
      ggml_backend_tensor_set(w, q.data(), 0, q.size());  // repacks if so
    }
    ggml_init_params pio = {
        ggml_tensor_overhead() * (copies + 2) + ggml_graph_overhead() * copies,
        nullptr, true};
    ctx_io_ = ggml_init(pio);
    x_ = ggml_new_tensor_2d(ctx_io_, GGML_TYPE_F32, static_cast<int64_t>(cols),
                            static_cast<int64_t>(m));
    for (ggml_tensor* w : w_) {
      ggml_tensor* y = ggml_mul_mat(ctx_io_, w, x_);
      ggml_cgraph* g = ggml_new_graph(ctx_io_);
      ggml_build_forward_expand(g, y);
      y_.push_back(y);
      graphs_.push_back(g);
    }
    buf_io_ = ggml_backend_alloc_ctx_tensors_from_buft(
        ctx_io_, ggml_backend_cpu_buffer_type());
    if (buf_io_ == nullptr) Die("cannot allocate X and Y");
    x_host_.resize(cols * m);
    FillUniform(x_host_.data(), x_host_.size(), 7);
    ggml_backend_tensor_set(x_, x_host_.data(), 0,
                            x_host_.size() * sizeof(float));
    for (int i = 0; i < threads; ++i) {
      qins::ContextOptions o;
      o.num_threads = 1;
      qins::StatusOr<qins::Context> c = qins::Context::Create(o);
      if (!c.ok()) Die(c.status().ToString());
      one_.push_back(*c);
    }
  }
  ~MulMatRow() {
    ggml_backend_buffer_free(buf_io_);
    ggml_backend_buffer_free(buf_w_);
    ggml_free(ctx_io_);
    ggml_free(ctx_w_);
    ggml_backend_free(backend_);
    ggml_threadpool_free(pool_);
  }
  MulMatRow(const MulMatRow&) = delete;
  MulMatRow& operator=(const MulMatRow&) = delete;

  size_t copies() const { return w_.size(); }
  size_t w_bytes() const { return ggml_nbytes(w_[0]); }
  bool Compute(size_t c) {
    return ggml_backend_graph_compute(backend_, graphs_[c]) ==
           GGML_STATUS_SUCCESS;
  }
  const void* y(size_t c) const { return y_[c]->data; }
  // Checks copy 0's result (after a Compute) on a few rows and columns
  // against W dequantized by ggml's to_float times X in double: within 2%
  // of sum |w x| (ggml rounds X to 8 bits for the quantized types).
  // Returns what is wrong, or an empty string.
  std::string CheckResult(ggml_type type) const {
    const size_t rows = static_cast<size_t>(w_[0]->ne[1]);
    const size_t cols = static_cast<size_t>(w_[0]->ne[0]);
    const size_t m = static_cast<size_t>(x_->ne[1]);
    const std::vector<uint8_t>& q = QuantizedBytes(type, rows, cols);
    const size_t row_bytes = ggml_row_size(type, static_cast<int64_t>(cols));
    std::vector<float> w(cols), y(rows * m);
    ggml_backend_tensor_get(y_[0], y.data(), 0, y.size() * sizeof(float));
    for (size_t i : {size_t{0}, rows / 2, rows - 1}) {
      if (type == GGML_TYPE_F32) {
        std::memcpy(w.data(), q.data() + i * row_bytes, row_bytes);
      } else {
        ggml_get_type_traits(type)->to_float(q.data() + i * row_bytes, w.data(),
                                             static_cast<int64_t>(cols));
      }
      for (size_t j : {size_t{0}, m - 1}) {
        double ref = 0, mag = 0;
        for (size_t k = 0; k < cols; ++k) {
          ref += double{w[k]} * x_host_[j * cols + k];
          mag += std::abs(double{w[k]} * x_host_[j * cols + k]);
        }
        const double got = y[j * rows + i];
        if (!(std::abs(got - ref) <= 0.02 * mag + 1e-6)) {
          return "wrong result: y[" + std::to_string(i) + "," +
                 std::to_string(j) + "] = " + std::to_string(got) +
                 ", reference " + std::to_string(ref);
        }
      }
    }
    return "";
  }
  uint32_t Read(size_t c) const {
    return OmpReadBytes(one_, w_[c]->data, ggml_nbytes(w_[c]));
  }

 private:
  ggml_backend_t backend_ = nullptr;
  ggml_threadpool* pool_ = nullptr;
  ggml_context* ctx_w_ = nullptr;
  ggml_context* ctx_io_ = nullptr;
  ggml_backend_buffer_t buf_w_ = nullptr;
  ggml_backend_buffer_t buf_io_ = nullptr;
  std::vector<ggml_tensor*> w_, y_;
  ggml_tensor* x_ = nullptr;
  std::vector<ggml_cgraph*> graphs_;
  std::vector<qins::Context> one_;
  std::vector<float> x_host_;
};

struct RowSpec {
  std::string format;
  ggml_type type;
  ggml_backend_buffer_type_t buft;
  std::string default_name;  // llama.cpp's pick, for the plain row's label
  size_t rows, cols, m;
  int threads;
  bool cold;
};

// One benchmark row: bench_support's SideBySide loop, with the read pass on
// ggml's threads (OmpReadBytes).
void RunRow(benchmark::State& state, RowSpec s) {
  const size_t bytes =
      ggml_row_size(s.type, static_cast<int64_t>(s.cols)) * s.rows;
  // bench_gemm --qins_quick uses two copies, not the cold rotation.
  const size_t copies = !s.cold ? 1
                                : (g_ggml.gemm && qins::bench::GetFlags().quick
                                       ? 2
                                       : qins::bench::ColdCopies(bytes));
  MulMatRow row(s.type, s.buft, s.rows, s.cols, s.m, copies, s.threads);
  for (size_t c = 0; c < copies; ++c) {  // warm-up: page faults, threads
    if (!row.Compute(c)) {
      state.SkipWithError("ggml_backend_graph_compute failed");
      return;
    }
  }
  const std::string wrong = row.CheckResult(s.type);
  if (!wrong.empty()) {
    state.SkipWithError(wrong.c_str());
    return;
  }
  double kernel_s = 0, read_s = 0, read_bytes = 0;
  uint32_t sink = 0;
  size_t copy = 0;
  qins::bench::StartBenchCounters();
  for (auto _ : state) {
    const auto t0 = Clock::now();
    const bool ok = row.Compute(copy);
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!ok) {
      state.SkipWithError("ggml_backend_graph_compute failed");
      break;
    }
    benchmark::DoNotOptimize(row.y(copy));
    benchmark::ClobberMemory();
    qins::bench::PauseBenchCounters();
    state.SetIterationTime(dt);
    kernel_s += dt;
    const size_t rc = (copy + copies / 2) % copies;
    const auto t1 = Clock::now();
    sink += row.Read(rc);
    read_s += std::chrono::duration<double>(Clock::now() - t1).count();
    read_bytes += static_cast<double>(row.w_bytes());
    benchmark::DoNotOptimize(sink);
    if (++copy == copies) copy = 0;
    qins::bench::ResumeBenchCounters();
  }
  qins::bench::PauseBenchCounters();
  // bench_support.h SetThroughputCounters' formulas (without the hardware
  // counter columns).
  const double iters = static_cast<double>(state.iterations());
  const double weights = static_cast<double>(s.rows * s.cols);
  if (iters > 0 && kernel_s > 0 && read_s > 0) {
    const double wps = weights * iters / kernel_s;
    const double bps = static_cast<double>(bytes) * iters / kernel_s;
    const double bw = read_bytes / read_s;
    state.counters["weights/s"] = wps;
    state.counters["bytes/s"] = bps;
    state.counters["bw"] = bw;
    state.counters["frac_bw"] = bps / bw;
    state.counters["ns/weight"] = 1e9 / wps;
    if (auto hz = qins::bench::TscHz())
      state.counters["tsc/weight"] = *hz / wps;
    if (g_ggml.gemm) {
      state.counters["GFLOP/s"] =
          2.0 * static_cast<double>(s.m) * weights * iters / kernel_s * 1e-9;
    }
  }
  std::string label = std::string("ggml ") + ggml_backend_buft_name(s.buft);
  if (s.buft == ggml_backend_cpu_buffer_type()) {
    label += " default=" + s.default_name;
  }
  if (s.cold || g_ggml.gemm) label += " copies=" + std::to_string(copies);
  state.SetLabel(label);
}

std::vector<std::pair<std::string, ggml_type>> SelectedFormats() {
  std::string list = qins::bench::GetFlags().formats;
  if (list == qins::bench::Flags().formats) list = kDefaultFormats;
  std::vector<std::pair<std::string, ggml_type>> out;
  if (list == "all") return FormatTypes();
  size_t pos = 0;
  while (pos <= list.size()) {
    const size_t end = std::min(list.find(',', pos), list.size());
    const std::string name = list.substr(pos, end - pos);
    pos = end + 1;
    if (name.empty()) continue;
    auto it = std::find_if(FormatTypes().begin(), FormatTypes().end(),
                           [&](const auto& p) { return p.first == name; });
    if (it == FormatTypes().end()) {
      std::fprintf(stderr, "bench_ggml_mul_mat: %s: no ggml type, skipped\n",
                   name.c_str());
      continue;
    }
    out.push_back(*it);
  }
  if (out.empty()) Die("--qins_formats names no ggml type");
  return out;
}

void Register(const RowSpec& s) {
  const bool plain = s.buft == ggml_backend_cpu_buffer_type();
  const std::string buf = plain ? "plain" : "default";
  const std::string shape =
      std::to_string(s.rows) + "x" + std::to_string(s.cols);
  const std::string name =
      g_ggml.gemm
          ? "gemm/" + s.format + "/" + shape + "/m:" + std::to_string(s.m) +
                "/threads:" + std::to_string(s.threads) + "/" + buf
          : "gemv/" + s.format + "/" + buf + "/" + shape +
                "/threads:" + std::to_string(s.threads) +
                (s.cold ? "/cold" : "/hot");
  benchmark::RegisterBenchmark(name.c_str(), RunRow, s)
      ->UseManualTime()
      ->Unit(g_ggml.gemm ? benchmark::kMillisecond : benchmark::kMicrosecond);
}

// The rows of bench_gemv's / bench_gemm's RegisterAll: the same shapes,
// threads and cache states, per ggml buffer.
void RegisterAll() {
  const qins::bench::Flags& flags = qins::bench::GetFlags();
  const int hw =
      static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::pair<size_t, size_t>> shapes, ladder;
  int max_threads;
  if (g_ggml.gemm) {
    shapes = {{3072, 8192}, {8192, 3072}};
    if (flags.quick) shapes = {{512, 1024}};
    max_threads = flags.max_threads > 0 ? flags.max_threads : std::min(2, hw);
  } else {
    shapes = {{1024, 1024}, {3072, 3072}, {3072, 8192}, {8192, 3072}};
    ladder = {{128, 128},   {256, 256},   {512, 512},
              {2048, 2048}, {4096, 4096}, {8192, 8192}};
    if (flags.quick) {
      shapes = {{1024, 1024}, {3072, 8192}};
      ladder = {{128, 128}, {512, 512}, {4096, 4096}};
    }
    max_threads = flags.max_threads > 0 ? flags.max_threads : hw;
  }
  // bench_gemm has its own shapes only; bench_gemv's --qins_shapes replaces
  // both of its lists.
  if (!g_ggml.gemm && !flags.shapes.empty()) {
    shapes = flags.shapes;
    ladder.clear();
  }
  std::vector<size_t> batches = g_ggml.batches;
  if (batches.empty()) {
    batches = flags.quick
                  ? std::vector<size_t>{1, 8, 64}
                  : std::vector<size_t>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  }
  if (!g_ggml.gemm) batches = {1};
  std::set<std::string> skipped;
  for (const auto& [format, type] : SelectedFormats()) {
    std::vector<std::pair<std::pair<size_t, size_t>, bool>> runs;
    for (auto s : shapes) {
      if (!g_ggml.gemm) runs.push_back({s, false});
      runs.push_back({s, true});  // bench_gemm's rows are all cold
    }
    for (auto s : ladder) runs.push_back({s, false});
    for (auto [shape, cold] : runs) {
      const auto [rows, cols] = shape;
      const int64_t blck = ggml_blck_size(type);
      if (static_cast<int64_t>(cols) % blck != 0) {
        const std::string key =
            format + "/" + std::to_string(rows) + "x" + std::to_string(cols);
        if (skipped.insert(key).second) {
          std::fprintf(stderr,
                       "bench_ggml_mul_mat: %s: skipping %zux%zu (rows must "
                       "be a multiple of %lld weights)\n",
                       format.c_str(), rows, cols,
                       static_cast<long long>(blck));
        }
        continue;
      }
      ggml_backend_buffer_type_t def = LlamaDefaultBuft(type, rows, cols);
      if (def == nullptr) Die("no buffer type supports " + format);
      const std::string def_name = ggml_backend_buft_name(def);
      for (int t = 1; t <= max_threads; ++t) {
        for (size_t m : batches) {
          RowSpec s{format,   type, ggml_backend_cpu_buffer_type(),
                    def_name, rows, cols,
                    m,        t,    cold};
          if (g_ggml.plain) Register(s);
          if (g_ggml.default_buffer && def != ggml_backend_cpu_buffer_type()) {
            s.buft = def;
            Register(s);
          }
        }
      }
    }
  }
}

bool ParseSizeList(const char* s, std::vector<size_t>* out) {
  out->clear();
  while (*s) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (end == s || v == 0 || (*end != ',' && *end != '\0')) return false;
    out->push_back(static_cast<size_t>(v));
    s = *end == ',' ? end + 1 : end;
  }
  return !out->empty();
}

const char kHelp[] =
    "bench_ggml_mul_mat: ggml's CPU ggml_mul_mat timed as bench_gemv / "
    "bench_gemm time\nthe library (same rows, cache states, read-bandwidth "
    "pass, JSON counters).\n"
    "Own flags:\n"
    "  --ggml_bench=gemv|gemm   rows of bench_gemv (default) or bench_gemm\n"
    "  --ggml_batches=M,M,...   gemm: batch sizes (default bench_gemm's "
    "1..512)\n"
    "  --ggml_buffers=plain,default  ggml's plain CPU buffer and/or the one "
    "llama.cpp\n"
    "                           picks on this CPU (default: both)\n"
    "--qins_formats takes the library's names (q4_k = ggml's q4_K); names "
    "without a\nggml type are skipped. Default: ";

}  // namespace

int main(int argc, char** argv) {
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (!std::strcmp(a, "--ggml_bench=gemv")) {
      g_ggml.gemm = false;
    } else if (!std::strcmp(a, "--ggml_bench=gemm")) {
      g_ggml.gemm = true;
    } else if (!std::strncmp(a, "--ggml_batches=", 15)) {
      if (!ParseSizeList(a + 15, &g_ggml.batches)) Die("bad " + std::string(a));
    } else if (!std::strncmp(a, "--ggml_buffers=", 15)) {
      const std::string v = a + 15;
      g_ggml.plain = v.find("plain") != std::string::npos;
      g_ggml.default_buffer = v.find("default") != std::string::npos;
      if (!g_ggml.plain && !g_ggml.default_buffer) Die("bad " + v);
    } else if (!std::strncmp(a, "--ggml", 6)) {
      Die(std::string("unknown or malformed flag '") + a + "' (see --help)");
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  // ggml's info lines ("repack: repack tensor ...") would interleave with
  // the table; warnings and errors still go to stderr.
  ggml_log_set(
      [](ggml_log_level level, const char* text, void*) {
        if (level == GGML_LOG_LEVEL_WARN || level == GGML_LOG_LEVEL_ERROR) {
          std::fputs(text, stderr);
        }
      },
      nullptr);
  const std::string help = std::string(kHelp) + kDefaultFormats + ".";
  // OpenMP's wait policy decides how ggml's threads wait between calls and
  // barriers; with other processes on the cores, spinning threads make
  // 2-thread calls 10x slower (docs/gemv.md), so the JSON records it.
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  benchmark::AddCustomContext(
      "omp_wait_policy",
      policy && *policy ? policy : "unset (libgomp default)");
  benchmark::AddCustomContext("ggml_source",
                              "llama.cpp of llama-cpp-python " LLAMACPP_VERSION
                              " (tools/build-llamacpp.sh)");
  return qins::bench::BenchMain(argc, argv, help.c_str(), RegisterAll);
}
