// GEMV for a QuantizedMatrix: strategy selection and the thread split.
// `decode` (every format): each task decodes four rows at a time into an
// L1-sized f32 buffer with the format's SIMD decoder and multiplies them with
// the f32 kernel; the decoders are exact, so y equals GemvF32 on the
// dequantized matrix bit for bit. The fused strategies
// (kernels/gemv/gemv_fused-inl.h) decode in registers.
#include "qins/gemv.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "dispatch/decode_kernels.h"
#include "dispatch/f32_kernels.h"
#include "dispatch/gemv_kernels.h"
#include "dispatch/parallel.h"
#include "hwy/aligned_allocator.h"
#include "hwy/detect_targets.h"
#include "kernels/formats/codec.h"
#include "kernels/formats/format_table.h"
#include "kernels/gemv/repacked_nibbles.h"
#include "qins/quantize.h"

namespace qins {

const char* GemvStrategyName(GemvStrategy s) {
  switch (s) {
    case GemvStrategy::kAuto:
      return "auto";
    case GemvStrategy::kDecode:
      return "decode";
    case GemvStrategy::kDirect:
      return "direct";
    case GemvStrategy::kBitbuild:
      return "bitbuild";
    case GemvStrategy::kGather:
      return "gather";
    case GemvStrategy::kRegtable:
      return "regtable";
    case GemvStrategy::kArith:
      return "arith";
    case GemvStrategy::kDot:
      return "dot";
    case GemvStrategy::kCount:
      break;
  }
  return "unknown";
}

StatusOr<GemvStrategy> ParseGemvStrategy(const std::string& name) {
  for (GemvStrategy s :
       {GemvStrategy::kAuto, GemvStrategy::kDecode, GemvStrategy::kDirect,
        GemvStrategy::kBitbuild, GemvStrategy::kGather, GemvStrategy::kRegtable,
        GemvStrategy::kArith, GemvStrategy::kDot}) {
    if (name == GemvStrategyName(s)) return s;
  }
  return InvalidArgument(
      "unknown GEMV strategy '" + name +
      "'; valid: auto, decode, direct, bitbuild, gather, regtable, arith, dot");
}

bool HasGemvStrategy(const Format& f, GemvStrategy s) {
  if (s == GemvStrategy::kAuto) return true;
  if (static_cast<size_t>(f.kind) >= kFormatKindCount) return false;
  const auto& listed = FormatRowOf(f.kind).gemv;
  return std::find(listed.begin(), listed.end(), s) != listed.end();
}

std::vector<GemvStrategy> GemvStrategies(const Format& f) {
  std::vector<GemvStrategy> out = {GemvStrategy::kAuto};
  if (static_cast<size_t>(f.kind) >= kFormatKindCount) return out;
  for (GemvStrategy s : FormatRowOf(f.kind).gemv) {
    if (s != GemvStrategy::kAuto) out.push_back(s);
  }
  return out;
}

namespace {

// Where auto departs from a format's first listed strategy: one rule per
// (format, targets), each with the measurement behind it. Targets are
// Highway target bits (qins::Target::bit). The rules are read in order, so
// a format's `dot` rule comes before its f32-activation rule. q4_0 lists
// `direct` first because on AVX2 it measured faster (docs/gemv.md: hot
// 1024x1024, 1 thread, QINS_TARGET=avx2, 2026-12-04: direct 9.89 Gw/s
// against regtable 8.79, two permutes and a blend); on AVX-512 one permute
// makes `regtable` faster.
//
// `dot` rounds x to int8 blocks (docs/gemv.md), so it changes y; auto picks
// it only for the formats where issue 20 item 4's rule holds on every model
// measured: extra KL = meanKL(FORMAT@dot) - meanKL(FORMAT) (KL(FP32 || row),
// nats, runner eval) below the format's own meanKL(FORMAT), i.e. ratio < 1
// (docs/runner.md, "The `dot` GEMV strategy's effect on quality"). Only on
// the x86 targets, whose integer kernels (vpdpbusd, vpmaddubsw) were timed
// faster than the f32-activation strategies (docs/gemv.md, "Measured
// (indicative only)"); the portable Highway path elsewhere was not timed.
// q8_0 and i8row do not qualify (extra/own 2.8x and 1.9x on kjv1M, 2026-12-06)
// and have no dot rule. The K-quants and IQ4_XS list `dot` first but reach it
// only through their rules (elsewhere auto runs `decode`).
struct GemvAutoRule {
  FormatKind kind;
  int64_t targets;
  GemvStrategy strategy;
  const char* evidence;
};

constexpr int64_t kDotTargets = HWY_AVX2 | HWY_AVX3 | HWY_AVX3_DL;

constexpr GemvAutoRule kGemvAutoRules[] = {
    // dot: quality (extra/own meanKL, kjv1M / SmolLM2-135M / Gemma-3-270M).
    {FormatKind::kQ4_0, kDotTargets, GemvStrategy::kDot,
     "docs/runner.md, 2026-12-06, commit 656feeb/cd3006d: extra/own KL "
     "0.000132/0.00746 (0.018x), 0.0058/0.355 (0.016x), -0.0003/0.426; "
     "docs/gemv.md: dot 30.65 Gw/s against regtable 15.10 (avx3_dl), 20.8 "
     "against direct 8.8 (avx2), hot 1024x1024, 1 thread, 2026-12-06, commit "
     "132f717"},
    {FormatKind::kIQ4_NL, kDotTargets, GemvStrategy::kDot,
     "docs/runner.md, 2026-12-06, commit 656feeb/cd3006d: extra/own KL "
     "7.7e-05/0.0063 (0.012x), 0.0036/0.308 (0.012x), 0.00073/0.224 "
     "(0.003x); docs/gemv.md: dot 25.98 Gw/s against regtable 15.30 "
     "(avx3_dl), 17.9 against 7.7 (avx2), hot 1024x1024, 1 thread, "
     "2026-12-06, commit 132f717"},
    {FormatKind::kQ4_1, kDotTargets, GemvStrategy::kDot,
     "docs/runner.md, 2026-12-06, commit 656feeb/cd3006d: extra/own KL "
     "6.4e-05/0.00659 (0.010x), 0.0035/0.0562 (0.063x), 0.0019/0.243 "
     "(0.008x); docs/gemv.md: dot 22.71 Gw/s against direct 8.93 (avx3_dl, "
     "hot 1024x1024, 1 thread, 2026-12-06, commit 132f717)"},
    {FormatKind::kQ5_0, kDotTargets, GemvStrategy::kDot,
     "docs/runner.md, 2026-12-06 10:47-10:49 UTC, commit 2225675: "
     "extra/own KL 9e-05/0.00206 (0.044x), 0.0041/0.0957 (0.043x), "
     "0.0006/0.054 (0.011x); docs/gemv.md: dot 14.15 Gw/s against direct "
     "5.13 (avx3_dl), 9.99 against 4.88 (avx3), hot 1024x1024, 1 thread, "
     "2026-12-06, under load; avx2 70.7 us against 151 us (10:25 UTC)"},
    {FormatKind::kQ5_1, kDotTargets, GemvStrategy::kDot,
     "docs/runner.md, 2026-12-06 10:47-10:49 UTC: extra/own KL "
     "0.0001/0.00163 (0.061x), 0.002/0.137 (0.015x), 0.0009/0.0712 "
     "(0.013x); docs/gemv.md: dot 12.87 Gw/s against direct 4.51 (avx3_dl), "
     "10.47 against 4.06 (avx3), hot 1024x1024, 1 thread, under load; avx2 "
     "88.2 us against 196 us (10:25 UTC)"},
    // qins4: `dot` multiplies its tables rounded to int8 (kQins4I8Values),
    // so the extra KL includes that rounding as well as x's.
    {FormatKind::kQins4, kDotTargets, GemvStrategy::kDot,
     "docs/gemv.md (qins4 dot), 2026-12-06 13:19-13:47 UTC, commit 8b6f897: "
     "extra/own KL 9e-05/0.00612 (0.015x), 0.012/0.223 (0.054x), "
     "0.003/0.203 (0.015x); dot 23.0-23.8 Gw/s against regtable 11.3-11.5 "
     "(avx3_dl), 15.4-15.6 against 11.1-11.4 (avx3), 14.0-15.4 against "
     "6.5 (avx2), hot 1024x1024, 1 thread, 13:33-13:34 UTC, under load"},
    // The K-quants: measured on the models with rows of whole super-blocks
    // (kjv1M has none), the K-quant on ffn_down alone, the rest f32
    // (docs/runner.md, 2026-12-06 10:00-10:16 UTC, qins-run eval
    // --format-map ffn_down=K built from this tree at 674f4ca; SmolLM2 /
    // Gemma 3). Speed: docs/gemv.md,
    // "Measured, K-quants", hot 1024x1024, 1 thread, avx3_dl, 2026-12-06,
    // commit 4a3f2a5; the x86 kernel is the same vpmaddubsw code on avx2,
    // avx3 and avx3_dl.
    {FormatKind::kQ4_K, kDotTargets, GemvStrategy::kDot,
     "docs/runner.md: extra/own KL 0.00058/0.0044 (0.13x), 0.0003/0.0249 "
     "(0.012x); docs/gemv.md: dot 31.44 Gw/s against decode 6.28"},
    {FormatKind::kQ5_K, kDotTargets, GemvStrategy::kDot,
     "docs/runner.md: extra/own KL 0.00058/0.00449 (0.13x), 0.00044/0.00764 "
     "(0.058x); docs/gemv.md: dot 26.00 Gw/s against decode 4.86"},
    {FormatKind::kQ6_K, kDotTargets, GemvStrategy::kDot,
     "docs/runner.md: extra/own KL 0.00043/0.00474 (0.09x), 0.00047/0.00135 "
     "(0.35x); docs/gemv.md: dot 26.74 Gw/s against decode 4.80"},
    // IQ4_XS, as the K-quants (ffn_down alone, the rest f32; docs/runner.md,
    // 2026-12-07 05:10-05:11 UTC, commit after 61dcfee, SmolLM2 / Gemma 3).
    {FormatKind::kIQ4_XS, kDotTargets, GemvStrategy::kDot,
     "docs/runner.md: extra/own KL 0.0005/0.0615 (0.008x), 0.0004/0.0482 "
     "(0.008x); docs/gemv.md: dot 49.8 us against decode 127 (avx3_dl), "
     "65.9 against 304 (avx2), hot 1024x1024, 1 thread, 2026-12-07"},
    // Q3_K, as the K-quants, once it had an x86 step (docs/runner.md,
    // 2026-12-07 08:04 UTC, SmolLM2 / Gemma 3).
    {FormatKind::kQ3_K, kDotTargets, GemvStrategy::kDot,
     "docs/runner.md: extra/own KL < 0.0005/0.192 (< 0.003x), -0.001/0.208 "
     "(noise); docs/gemv.md: dot 39.5 us against decode 268 (avx3_dl), 42.6 "
     "against 278 (avx2), hot 1024x1024, 1 thread, 2026-12-07"},
    // Q2_K, as the K-quants (docs/runner.md, 2026-12-07 08:16-08:18 UTC,
    // SmolLM2 / Gemma 3).
    {FormatKind::kQ2_K, kDotTargets, GemvStrategy::kDot,
     "docs/runner.md: extra/own KL 0.01/1.32 (0.008x), 0.00/1.08 (< 0.005x); "
     "docs/gemv.md: dot 32.6 us against decode 155 (avx3_dl), 31.8 against "
     "269 (avx2), hot 1024x1024, 1 thread, 2026-12-07"},
    // f32 activations (also what `dot` runs for non-finite x).
    {FormatKind::kQ4_0, HWY_AVX3 | HWY_AVX3_DL, GemvStrategy::kRegtable,
     "docs/gemv.md: hot 1024x1024, 1 thread, avx3_dl, 2026-12-04: regtable "
     "16.52 Gw/s against direct 12.73 (one 16-lane permute per vector)"},
};

// auto's choice, with or without the `dot` rules. Without a rule: the first
// listed strategy but `dot` (the K-quants list `dot` first, so only a rule
// makes it auto's choice).
GemvStrategy AutoStrategy(const Format& f, Target t, bool allow_dot) {
  for (const GemvAutoRule& rule : kGemvAutoRules) {
    if (!allow_dot && rule.strategy == GemvStrategy::kDot) continue;
    if (rule.kind == f.kind && (rule.targets & t.bit) != 0)
      return rule.strategy;
  }
  if (static_cast<size_t>(f.kind) >= kFormatKindCount)
    return GemvStrategy::kDecode;
  for (GemvStrategy s : FormatRowOf(f.kind).gemv) {
    if (s != GemvStrategy::kAuto && s != GemvStrategy::kDot) return s;
  }
  return GemvStrategy::kDecode;
}

}  // namespace

GemvStrategy GemvAutoStrategy(const Format& f, Target t) {
  return AutoStrategy(f, t, /*allow_dot=*/true);
}

GemvStrategy GemvF32ActivationStrategy(const Format& f, Target t) {
  return AutoStrategy(f, t, /*allow_dot=*/false);
}

Status CheckGemvKernels(const GemvKernels& k, const std::string& target_name) {
  for (const FormatRow& row : kFormatTable) {
    for (GemvStrategy s : row.gemv) {
      if (s == GemvStrategy::kAuto || s == GemvStrategy::kDecode) continue;
      if (row.kind == FormatKind::kF32 && s == GemvStrategy::kDirect)
        continue;  // GemvF32 on the stored rows
      if (k.fused[static_cast<size_t>(row.kind)][static_cast<size_t>(s)] ==
          nullptr) {
        return Status(StatusCode::kInternal,
                      std::string("Gemv: format '") +
                          FormatName(Format{row.kind, 0}) +
                          "' lists strategy '" + GemvStrategyName(s) +
                          "' but target " + target_name +
                          " has no kernel for it (dispatch/gemv_dispatch.cc)");
      }
    }
  }
  return Status::Ok();
}

namespace {

Status GemvDecode(const Context& ctx, const QuantizedMatrix& w, const float* x,
                  float* y) {
  const size_t rows = w.rows(), cols = w.cols();
  const QuantizedMatrix::Data& d = w.data();
  DecodeRowFn decode =
      GetDecodeKernels(ctx.target()).row[static_cast<int>(w.format().kind)];
  if (decode == nullptr) decode = GetCodec(w.format().kind).decode_row;
  const F32Kernels& f32 = GetF32Kernels(ctx.target());
  constexpr size_t kGroup = 4;
  const size_t groups = (rows + kGroup - 1) / kGroup;
  // At least ~64 KiB of decoded weights per task.
  const size_t grain =
      std::max<size_t>(1, (size_t{16} << 10) / (kGroup * cols));
  ParallelFor(ctx, groups, grain, [&](size_t g0, size_t g1) {
    auto buf = hwy::AllocateAligned<float>(kGroup * cols);
    float out[kGroup];
    for (size_t g = g0; g < g1; ++g) {
      const size_t r0 = g * kGroup, n = std::min(kGroup, rows - r0);
      for (size_t i = 0; i < n; ++i) decode(d, r0 + i, buf.get() + i * cols);
      f32.gemv_rows(buf.get(), cols, cols, x, out, 0, n);
      std::copy(out, out + n, y + r0);
    }
  });
  return Status::Ok();
}

// The row split shared by every fused kernel: groups of 4 rows, at least
// ~64 KiB of weights per task.
void RunFusedRows(const Context& ctx, const QuantizedMatrix& w, const GemvX& gx,
                  float* y, FusedGemvFn fn) {
  const size_t rows = w.rows();
  constexpr size_t kGroup = 4;
  const size_t groups = (rows + kGroup - 1) / kGroup;
  const size_t grain =
      std::max<size_t>(1, (size_t{64} << 10) / (kGroup * w.row_stride()));
  const QuantizedMatrix::Data& d = w.data();
  ParallelFor(ctx, groups, grain, [&](size_t g0, size_t g1) {
    fn(d, gx, y, g0 * kGroup, std::min(rows, g1 * kGroup));
  });
}

// `dot`: x quantized once (kernels/gemv/quantize_x.h), here, before the rows
// are split across threads; every task reads the same codes. x with an Inf
// or NaN has no int8 codes: returns false and Gemv runs an f32-activation
// strategy instead, so non-finite x propagates as IEEE arithmetic does.
StatusOr<bool> GemvDot(const Context& ctx, const QuantizedMatrix& w,
                       const float* x, float* y, FusedGemvFn fn,
                       RepackedDotFn repacked) {
  Q8X q8;
  if (!q8.Init(w.cols()))
    return Status(StatusCode::kResourceExhausted,
                  "Gemv: cannot allocate quantized x");
  if (!q8.Quantize(x, w.cols())) return false;
  // qins::Repack's copy, where this target has a kernel for it: the same
  // bits from 16-row panels (kernels/gemv/gemv_repacked-inl.h).
  const RepackedNibbles* r =
      repacked == nullptr ? nullptr
                          : w.data().repack.load(std::memory_order_acquire);
  if (r != nullptr) {
    const Q8Blocks xb = q8.blocks();
    // Tasks of at least ~64 KiB of the copy.
    const size_t grain =
        std::max<size_t>(1, (size_t{64} << 10) / (r->blocks * r->block_bytes));
    ParallelFor(ctx, r->panels, grain,
                [&](size_t p0, size_t p1) { repacked(*r, xb, p0, p1, y); });
    return true;
  }
  GemvX gx;
  gx.q8 = q8.blocks();
  RunFusedRows(ctx, w, gx, y, fn);
  return true;
}

Status GemvFused(const Context& ctx, const QuantizedMatrix& w, const float* x,
                 float* y, FusedGemvFn fn, PrepareXFn prepare_x) {
  const size_t cols = w.cols();
  // x zero-padded to a multiple of 128 floats (two vectors of up to 64 lanes,
  // the largest SVE vector), so the kernels need no tail.
  const size_t padded = (cols + 127) / 128 * 128;
  auto xp = hwy::AllocateAligned<float>(padded);
  if (!xp)
    return Status(StatusCode::kResourceExhausted,
                  "Gemv: cannot allocate x copy");
  std::copy(x, x + cols, xp.get());
  std::fill(xp.get() + cols, xp.get() + padded, 0.0f);
  if (prepare_x != nullptr) prepare_x(xp.get(), padded);
  GemvX gx;
  gx.f32 = xp.get();
  gx.padded = padded;
  RunFusedRows(ctx, w, gx, y, fn);
  return Status::Ok();
}

}  // namespace

Status Gemv(const Context& ctx, const QuantizedMatrix& w, const float* x,
            float* y, const GemvOptions& opt) {
  if (w.empty()) return InvalidArgument("Gemv: empty matrix");
  if (x == nullptr || y == nullptr)
    return InvalidArgument("Gemv: x or y is null");
  {
    // y is written while x is still read (the decode path reads x for every
    // group of rows): in place (y == x) gave a wrong y with an OK status.
    // Refused for every strategy, as Gemm refuses it.
    const auto px = reinterpret_cast<uintptr_t>(x);
    const auto py = reinterpret_cast<uintptr_t>(y);
    if (py < px + w.cols() * sizeof(float) &&
        px < py + w.rows() * sizeof(float))
      return InvalidArgument("Gemv: y and x overlap (no in-place GEMV)");
  }
  GemvStrategy s = opt.strategy;
  if (!HasGemvStrategy(w.format(), s)) {
    std::string list;
    for (GemvStrategy h : GemvStrategies(w.format()))
      list += std::string(list.empty() ? "" : ", ") + GemvStrategyName(h);
    return InvalidArgument(
        std::string("Gemv: strategy '") + GemvStrategyName(s) +
        "' is not available for format '" + FormatName(w.format()) +
        "' (available: " + list + ")");
  }
  if (s == GemvStrategy::kAuto) s = GemvAutoStrategy(w.format(), ctx.target());
  const GemvKernels& k = GetGemvKernels(ctx.target());
  const FormatKind kind = w.format().kind;
  if (s == GemvStrategy::kDirect && kind == FormatKind::kF32) {
    const QuantizedMatrix::Data& d = w.data();
    return GemvF32(ctx, reinterpret_cast<const float*>(d.row(0)), w.rows(),
                   w.cols(), d.row_stride / sizeof(float), x, y);
  }
  if (s == GemvStrategy::kDecode) return GemvDecode(ctx, w, x, y);
  // Every listed (format, strategy) pair has a kernel on every compiled
  // target: checked once per process, and reported by name if not.
  static const Status kernels_ok = [] {
    for (Target t : CompiledTargets()) {
      const Status st = CheckGemvKernels(GetGemvKernels(t), TargetName(t));
      if (!st.ok()) return st;
    }
    return Status::Ok();
  }();
  if (!kernels_ok.ok()) return kernels_ok;
  const size_t ki = static_cast<size_t>(kind), si = static_cast<size_t>(s);
  if (s == GemvStrategy::kDot) {
    StatusOr<bool> ran = GemvDot(ctx, w, x, y, k.fused[ki][si], k.repacked_dot);
    if (!ran.ok()) return ran.status();
    if (*ran) return Status::Ok();
    // Inf or NaN in x: auto's f32-activation strategy, which is never
    // `dot` (AutoStrategy skips it), so this does not come back here.
    GemvOptions f32_opt;
    f32_opt.strategy = GemvF32ActivationStrategy(w.format(), ctx.target());
    if (f32_opt.strategy == GemvStrategy::kDot)
      return Status(StatusCode::kInternal,
                    "Gemv: the f32-activation strategy of '" +
                        FormatName(w.format()) + "' is dot");
    return Gemv(ctx, w, x, y, f32_opt);
  }
  return GemvFused(ctx, w, x, y, k.fused[ki][si], k.prepare_x[ki][si]);
}

}  // namespace qins
