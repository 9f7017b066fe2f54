// Per-target fused GEMV kernels (kernels/gemv/gemv_fused-inl.h).
#ifndef QINS_DISPATCH_GEMV_KERNELS_H_
#define QINS_DISPATCH_GEMV_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

#include <string>

#include "kernels/formats/format_table.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/gemv/quantize_x.h"
#include "qins/status.h"
#include "qins/targets.h"

namespace qins {

// The activations a fused kernel reads, prepared once per Gemv call:
// - f32: x zero-padded to `padded` floats (a multiple of 128), rearranged by
//   the pair's PrepareXFn if it has one; null for `dot`;
// - q8: x quantized (Q8Blocks), only for `dot`.
struct GemvX {
  const float* f32 = nullptr;
  size_t padded = 0;
  Q8Blocks q8;
};

// y[r] for r in [r0, r1) from the activations `x`.
using FusedGemvFn = void (*)(const QuantizedMatrix::Data& m, const GemvX& x,
                             float* y, size_t r0, size_t r1);

// Rearranges the zero-padded x (a multiple of 128 floats) in place into the
// order a kernel reads it in, once per call, before any row is run.
using PrepareXFn = void (*)(float* x, size_t padded);

// One target's fused kernels, keyed by (format kind, strategy): null where
// the pair has none (kAuto, kDecode, f32's kDirect, which is GemvF32 on the
// stored rows, and strategies a format does not list). CheckGemvKernels
// (kernels/gemv/gemv.cc) checks every pair the format table lists.
struct RepackedNibbles;

// The `dot` GEMV over qins::Repack's copy (kernels/gemv/gemv_repacked-inl.h):
// y rows of panels [p0, p1).
using RepackedDotFn = void (*)(const RepackedNibbles& r, const Q8Blocks& x,
                               size_t p0, size_t p1, float* y);

struct GemvKernels {
  int64_t target_bit;
  FusedGemvFn fused[kFormatKindCount][kGemvStrategyCount];
  // Null where the kernel reads x in natural order.
  PrepareXFn prepare_x[kFormatKindCount][kGemvStrategyCount];
  // Null on the targets without a kernel for the interleaved copy.
  RepackedDotFn repacked_dot = nullptr;
};

const GemvKernels& GetGemvKernels(Target t);

// Ok if `k` has a fused kernel for every (format, strategy) pair the format
// table lists; otherwise an error naming the first missing pair and
// `target_name`. Gemv runs it over every compiled target once per process.
Status CheckGemvKernels(const GemvKernels& k, const std::string& target_name);

}  // namespace qins

#endif  // QINS_DISPATCH_GEMV_KERNELS_H_
