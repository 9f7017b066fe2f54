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
#include "kernels/formats/codec.h"
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
  }
  return "unknown";
}

StatusOr<GemvStrategy> ParseGemvStrategy(const std::string& name) {
  for (GemvStrategy s :
       {GemvStrategy::kAuto, GemvStrategy::kDecode, GemvStrategy::kDirect,
        GemvStrategy::kBitbuild, GemvStrategy::kGather, GemvStrategy::kRegtable,
        GemvStrategy::kArith}) {
    if (name == GemvStrategyName(s)) return s;
  }
  return InvalidArgument(
      "unknown GEMV strategy '" + name +
      "'; valid: auto, decode, direct, bitbuild, gather, regtable, arith");
}

std::vector<GemvStrategy> GemvStrategies(const Format& f) {
  using S = GemvStrategy;
  // The first after kAuto is auto's choice, from the measurements in
  // docs/gemv.md (fused beats decode for every format that has one).
  switch (f.kind) {
    case FormatKind::kQins8:
      // bitbuild: 5 ops per vector, no table; a gather is 6x slower.
      return {S::kAuto, S::kBitbuild, S::kGather, S::kDecode};
    case FormatKind::kF32:
      // direct = the f32 kernel on the stored rows; decode copies rows first.
    case FormatKind::kBF16:
    case FormatKind::kF16:
    case FormatKind::kI8Row:
    case FormatKind::kQ8_0:
      return {S::kAuto, S::kDirect, S::kDecode};
    case FormatKind::kQ4_0:
      // direct (arithmetic, 5 ops) against a register table (4 ops on
      // AVX-512, 8 on AVX2).
      return {S::kAuto, S::kDirect, S::kRegtable, S::kDecode};
    case FormatKind::kIQ4_NL:
    case FormatKind::kQins4:
      return {S::kAuto, S::kRegtable, S::kGather, S::kDecode};
    case FormatKind::kQins8Seed:
    case FormatKind::kQins8SeedRow:
      return {S::kAuto, S::kGather, S::kArith, S::kDecode};
    default:
      // fpins: L + 2 byte loads and an f64 divide per weight dominate; the
      // decode path's store and reload add little (docs/gemv.md).
      return {S::kAuto, S::kDecode};
  }
}

GemvStrategy GemvAutoStrategy(const Format& f, Target t) {
  const std::vector<GemvStrategy> have = GemvStrategies(f);
  if (f.kind == FormatKind::kQ4_0) {
    // Measured (docs/gemv.md): regtable 1.3x direct on avx3_dl, direct 1.2x
    // regtable on avx2 (two permutes and a blend there).
    const std::string name = TargetName(t);
    return name.rfind("avx3", 0) == 0 ? GemvStrategy::kRegtable
                                      : GemvStrategy::kDirect;
  }
  return have.size() > 1 ? have[1] : GemvStrategy::kDecode;
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

// qins8 bitbuild folds its 2^126 multiply into x: x is scaled by 2^s with
// max|x| * 2^s in [2^100, 2^101), and y by 2^(126 - s). Both are exact
// powers of two, and every product w * 2^-126 * x * 2^s stays a normal
// float unless |w x| < 2^-100 max|x| (then it is below the row's rounding
// anyway), so y equals the unscaled kernel's up to that. Returns false
// (use the unscaled kernel) for x = 0, NaN/Inf, or max|x| >= 2^26.
bool Qins8ScaleX(float* x, size_t n, float* y_factor) {
  float amax = 0;
  for (size_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  if (!(amax > 0) || !std::isfinite(amax)) return false;
  const int e = std::ilogb(amax);
  if (e >= 26) return false;
  const int s = 100 - e;  // in [75, 249]
  const float p1 = std::ldexp(1.0f, s / 2), p2 = std::ldexp(1.0f, s - s / 2);
  for (size_t i = 0; i < n; ++i) x[i] = x[i] * p1 * p2;
  *y_factor = std::ldexp(1.0f, 126 - s);
  return true;
}

Status GemvFused(const Context& ctx, const QuantizedMatrix& w, const float* x,
                 float* y, FusedGemvFn fn, FusedGemvXsFn xs_fn = nullptr) {
  const size_t rows = w.rows(), cols = w.cols();
  // x zero-padded to a multiple of 128 floats (two vectors of up to 64 lanes,
  // the largest SVE vector), so the kernels need no tail.
  const size_t padded = (cols + 127) / 128 * 128;
  auto xp = hwy::AllocateAligned<float>(padded);
  if (!xp)
    return Status(StatusCode::kResourceExhausted,
                  "Gemv: cannot allocate x copy");
  std::copy(x, x + cols, xp.get());
  std::fill(xp.get() + cols, xp.get() + padded, 0.0f);
  constexpr size_t kGroup = 4;
  const size_t groups = (rows + kGroup - 1) / kGroup;
  const size_t grain =
      std::max<size_t>(1, (size_t{64} << 10) / (kGroup * w.row_stride()));
  const QuantizedMatrix::Data& d = w.data();
  float y_factor = 1;
  if (xs_fn != nullptr && Qins8ScaleX(xp.get(), cols, &y_factor)) {
    ParallelFor(ctx, groups, grain, [&](size_t g0, size_t g1) {
      xs_fn(d, xp.get(), padded, y_factor, y, g0 * kGroup,
            std::min(rows, g1 * kGroup));
    });
    return Status::Ok();
  }
  ParallelFor(ctx, groups, grain, [&](size_t g0, size_t g1) {
    fn(d, xp.get(), padded, y, g0 * kGroup, std::min(rows, g1 * kGroup));
  });
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
  const std::vector<GemvStrategy> have = GemvStrategies(w.format());
  GemvStrategy s = opt.strategy;
  if (std::find(have.begin(), have.end(), s) == have.end()) {
    std::string list;
    for (GemvStrategy h : have)
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
  FusedGemvFn fn = nullptr;
  switch (s) {
    case GemvStrategy::kBitbuild:
      return GemvFused(ctx, w, x, y, k.qins8_bitbuild, k.qins8_bitbuild_xs);
    case GemvStrategy::kGather:
      fn = kind == FormatKind::kQins8    ? k.qins8_gather
           : kind == FormatKind::kIQ4_NL ? k.iq4_nl_gather
           : kind == FormatKind::kQins4  ? k.qins4_gather
                                         : k.qins8_seed_gather;
      break;
    case GemvStrategy::kRegtable:
      fn = kind == FormatKind::kQ4_0     ? k.q4_0_regtable
           : kind == FormatKind::kIQ4_NL ? k.iq4_nl_regtable
                                         : k.qins4_regtable;
      break;
    case GemvStrategy::kArith:
      fn = k.qins8_seed_arith;
      break;
    case GemvStrategy::kDirect:
      fn = kind == FormatKind::kI8Row  ? k.i8row
           : kind == FormatKind::kBF16 ? k.bf16
           : kind == FormatKind::kF16  ? k.f16
           : kind == FormatKind::kQ8_0 ? k.q8_0
                                       : k.q4_0;
      break;
    default:
      return GemvDecode(ctx, w, x, y);
  }
  return GemvFused(ctx, w, x, y, fn);
}

}  // namespace qins
