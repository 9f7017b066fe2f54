// bench_lookup: time per element of the QINS element-wise operations, looked
// up in the 64 KiB tables (one gather per vector) and computed in float
// arithmetic, on every SIMD target this CPU supports. It measures the claim
// of design document 001, chapter 5: "single lookup (4 cycles)" against
// "compute every time (30 cycles)", "7.5x faster".
//
// Rows are named lookup/<op>/<n>/target:<name>:
//   qins_add_lut      QinsAddCodes: out = add[a * 256 + b], uint8 codes
//   qins_mul_lut      QinsMulCodes: out = mul[a * 256 + b]
//   harmonic_add_f32  HarmonicAddF32: out = (a * b) / (a + b), QINS values
//                     as float32 (the chapter's "computed" version)
//   mul_f32           MagnitudeMulF32: out = a * b, magnitudes as float32
//   harmonic_add_f32_novec  (only under the fallback target) the same
//                     (a * b) / (a + b) one element at a time, in a loop of
//                     this file with GCC's vectorizer off: the SCALAR
//                     target's loops are auto-vectorized by GCC -O3 (its
//                     harmonic_add_f32 uses divps), so this row is the
//                     one-element-at-a-time float cost the chapter describes
// Each row runs on one thread (a Context with that target and 1 thread), on
// n elements: 4096 (all arrays in L1/L2: 12 KiB of codes, 48 KiB of floats)
// and 1M (3 MiB of codes, 12 MiB of floats). Codes are uniformly random, so
// lookups spread over the whole table.
// Counters:
//   ns/op   wall time per element
//   tsc/op  TSC ticks per element (x86; the TSC runs at a fixed nominal rate,
//           not the core clock; these VMs expose no cycle counter)
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "qins/qins_tables.h"
#include "qins/targets.h"

namespace qins::bench {
namespace {

enum class Op { kAddLut, kMulLut, kHarmonicAddF32, kMulF32, kHarmonicNoVec };
constexpr Op kOps[] = {Op::kAddLut, Op::kMulLut, Op::kHarmonicAddF32,
                       Op::kMulF32};

// (a * b) / (a + b) one element at a time: per element 2 scalar loads, mulss,
// addss, divss and 1 store (no vectorization: checked with objdump). Elements
// are independent, so this is throughput-bound, not a latency chain.
__attribute__((noinline, optimize("no-tree-vectorize"))) void HarmonicAddNoVec(
    const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = (a[i] * b[i]) / (a[i] + b[i]);
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kAddLut:
      return "qins_add_lut";
    case Op::kMulLut:
      return "qins_mul_lut";
    case Op::kHarmonicAddF32:
      return "harmonic_add_f32";
    case Op::kMulF32:
      return "mul_f32";
    case Op::kHarmonicNoVec:
      return "harmonic_add_f32_novec";
  }
  return "?";
}

// The timed cost does not depend on the table contents; one reading serves.
const QinsTables& Tables() {
  static const std::unique_ptr<QinsTables> t = [] {
    StatusOr<std::unique_ptr<QinsTables>> made =
        MakeQinsTables(TableRounding::kTruncate);
    if (!made.ok()) std::abort();
    return std::move(made).value();
  }();
  return *t;
}

std::vector<uint8_t> RandomCodes(size_t n, uint64_t seed) {
  std::vector<uint8_t> v(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (uint8_t& c : v) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    c = static_cast<uint8_t>(s >> 56);
  }
  return v;
}

void RunOp(benchmark::State& state, Op op, size_t n, Target target) {
  ContextOptions o;
  o.target = TargetName(target);
  o.num_threads = 1;
  StatusOr<Context> made = Context::Create(o);
  if (!made.ok()) {
    state.SkipWithError(made.status().ToString().c_str());
    return;
  }
  const Context ctx = *made;
  const QinsTables& t = Tables();
  const std::vector<uint8_t> a = RandomCodes(n, 1), b = RandomCodes(n, 2);
  std::vector<uint8_t> out(n);
  // Float inputs decoded from the same codes: QINS values for the harmonic
  // addition, magnitudes for the product.
  std::vector<float> fa(n), fb(n), fout(n);
  const bool magnitudes = op == Op::kMulF32;
  for (size_t i = 0; i < n; ++i) {
    fa[i] = magnitudes ? t.reciprocal[a[i]]
                       : static_cast<float>(QinsValueOfCode(a[i]));
    fb[i] = magnitudes ? t.reciprocal[b[i]]
                       : static_cast<float>(QinsValueOfCode(b[i]));
  }
  const auto run = [&]() -> Status {
    switch (op) {
      case Op::kAddLut:
        return QinsAddCodes(ctx, t, a.data(), b.data(), out.data(), n);
      case Op::kMulLut:
        return QinsMulCodes(ctx, t, a.data(), b.data(), out.data(), n);
      case Op::kHarmonicAddF32:
        return HarmonicAddF32(ctx, fa.data(), fb.data(), fout.data(), n);
      case Op::kMulF32:
        return MagnitudeMulF32(ctx, fa.data(), fb.data(), fout.data(), n);
      case Op::kHarmonicNoVec:
        HarmonicAddNoVec(fa.data(), fb.data(), fout.data(), n);
        return Status::Ok();
    }
    return Status::Ok();
  };
  if (Status st = run(); !st.ok()) {  // warm-up: tables, inputs, output
    state.SkipWithError(st.ToString().c_str());
    return;
  }
  using Clock = std::chrono::steady_clock;
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    const Status st = run();
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(fout.data());
    benchmark::ClobberMemory();
    state.SetIterationTime(dt);
    seconds += dt;
  }
  const double ops =
      static_cast<double>(n) * static_cast<double>(state.iterations());
  if (ops > 0 && seconds > 0) {
    state.counters["ns/op"] = 1e9 * seconds / ops;
    if (auto hz = TscHz()) state.counters["tsc/op"] = *hz * seconds / ops;
  }
  state.SetLabel(TargetName(target));
}

void RegisterAll() {
  std::vector<size_t> sizes = {4096, size_t{1} << 20};
  if (GetFlags().quick) sizes = {4096};
  const auto add = [](Op op, size_t n, Target target) {
    const std::string name = std::string("lookup/") + OpName(op) + "/" +
                             std::to_string(n) +
                             "/target:" + TargetName(target);
    benchmark::RegisterBenchmark(name.c_str(), RunOp, op, n, target)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
  };
  const std::vector<Target> targets = SupportedTargets();
  for (size_t n : sizes) {
    for (Target target : targets) {
      for (Op op : kOps) add(op, n, target);
    }
    add(Op::kHarmonicNoVec, n, targets.back());  // the portable fallback
  }
}

}  // namespace
}  // namespace qins::bench

int main(int argc, char** argv) {
  return qins::bench::BenchMain(
      argc, argv,
      "bench_lookup: ns per element-wise QINS op, table lookup vs float "
      "arithmetic, per target",
      qins::bench::RegisterAll);
}
