// Matrix-vector products with FP32 activations: y = W x.
//
// Contract of every function here (and of qins/gemm.h):
// - Aliasing: the output must not share a byte with any input. GemvF32
//   refuses y overlapping x or W, Gemv y overlapping x (InvalidArgument,
//   "y and x overlap"); in-place products are not supported. Inputs may
//   alias each other.
// - Sizes: every array must fit in PTRDIFF_MAX bytes; a shape whose byte
//   count would overflow (rows = SIZE_MAX / 4, n = SIZE_MAX / 2, ...) is an
//   InvalidArgument, never a wrapped index. A QuantizedMatrix is checked
//   when it is built.
// - NaN/Inf in W or x propagate as IEEE arithmetic does (NaN * 0 = NaN,
//   Inf - Inf = NaN); they are never an error and never replaced. (Quantize
//   refuses them in weights, so only GemvF32 and FromParts-built f32
//   matrices can hold them.)
// - FP environment: the library never changes it. Results do not depend on
//   the caller's flush-to-zero flags (x86 MXCSR DAZ/FTZ, Arm FPCR.FZ) as
//   long as the operands and the products w * x are normal or zero: no
//   decoder or fused kernel makes a subnormal out of normal codes (qins8
//   included). Subnormal operands, and products or sums below 2^-126, are
//   flushed under those flags as the hardware defines. The rounding mode
//   must be the default round-to-nearest.
// - Threads: results are bit-identical for every thread count and every
//   Context (qins/context.h bounds the thread count).
#ifndef QINS_GEMV_H_
#define QINS_GEMV_H_

#include <cstddef>
#include <string>
#include <vector>

#include "qins/context.h"
#include "qins/export.h"
#include "qins/status.h"

namespace qins {

// y[rows] = W x for a row-major f32 W (rows x cols, `row_stride` floats
// between row starts, row_stride >= cols) and x[cols]. Runs on ctx's target
// and arena, split over row blocks. Every y[i] is summed in one fixed order,
// so the result does not depend on the thread count. rows == 0 is a no-op;
// cols == 0 gives y = 0. Errors (InvalidArgument): null pointers with a
// non-empty shape, row_stride < cols, y overlapping x or W, a shape beyond
// PTRDIFF_MAX bytes. NaN/Inf in W or x propagate as IEEE arithmetic does.
QINS_API Status GemvF32(const Context& ctx, const float* w, size_t rows,
                        size_t cols, size_t row_stride, const float* x,
                        float* y);

class QuantizedMatrix;
struct Format;

// How a GEMV turns codes into f32 weights.
enum class GemvStrategy {
  kAuto,      // the fastest measured for the format (docs/gemv.md); kDot
              // only where its effect on quality qualifies
  kDecode,    // every format: decode 4 rows into an L1 buffer, f32 kernel
  kDirect,    // f32: the f32 kernel on the stored rows; bf16, f16, i8row,
              // q8_0, q4_0, q4_1, q5_0, q5_1: codes converted in registers
              // (integer or half to f32), block scale applied per block
  kBitbuild,  // qins8: f32 bits built from the code with integer ops
  kGather,    // a table in memory read with GatherIndex: qins8 (256 entries
              // per row), qins8-seed (256 magnitudes), iq4_nl and qins4
              // (the block's 16 scaled values)
  kRegtable,  // 4-bit formats: the block's 16 scaled values in a register,
              // read with TableLookupLanes (AVX-512: 1 permute; AVX2: 2 +
              // blend; other targets: as kGather, docs/gemv.md)
  kArith,     // qins8-seed: the magnitude computed, exp(lo + n * span)
  kDot,       // q8_0, q4_0, i8row, iq4_nl, q4_1, q5_0, q5_1, qins4 (its
              // values rounded to int8 tables), q3_k, q4_k, q5_k, q6_k, iq4_xs,
              // qins8 (its weights exact integers times a per-row power of
              // two): x
              // quantized once per call to int8 blocks of 32 with an f32
              // scale each (as ggml's q8_0 activations), then integer block
              // dot products (AVX-512 VNNI vpdpbusd, AVX2 vpmaddubsw, NEON
              // sdot, Highway elsewhere), each block's exact int32 sum times
              // (weight scale * x scale) added in f32 (the K-quants'
              // sub-block scales applied in int32; qins8's row scale at the
              // end). Not bit-identical to
              // the f32-activation strategies: x's rounding adds an error
              // bounded in docs/gemv.md. Inf or NaN in x: runs
              // GemvF32ActivationStrategy instead. auto's choice only
              // where its measured effect on quality qualifies (below).
  kCount,     // not a strategy: the number of strategies
};

QINS_API const char* GemvStrategyName(GemvStrategy s);
// "auto", "decode", "direct", "bitbuild", "gather", "regtable", "arith",
// "dot".
QINS_API StatusOr<GemvStrategy> ParseGemvStrategy(const std::string& name);
// The strategies a format has (kAuto and kDecode always; after kAuto, in
// the format table's order of preference).
QINS_API std::vector<GemvStrategy> GemvStrategies(const Format& f);
// Whether s is one of GemvStrategies(f), without building the list (kAuto:
// always).
QINS_API bool HasGemvStrategy(const Format& f, GemvStrategy s);

// What kAuto runs for format f on target t: the first strategy after kAuto
// in GemvStrategies(f) other than kDot, unless a measured rule for the
// format and target says otherwise (kGemvAutoRules in kernels/gemv/gemv.cc,
// each citing its measurement in docs/gemv.md or docs/runner.md). Today:
// kDot for the formats whose int8 rounding of x (qins4: and of its tables)
// moved the runner's mean KL by less than the format's own mean KL on every
// model measured (issue 20 item 4: q4_0, iq4_nl, q4_1, q5_0, q5_1, qins4,
// q4_k, q5_k, q6_k, iq4_xs; docs/runner.md and docs/gemv.md have the
// tables), on
// the x86 targets where dot was timed faster; q4_0 otherwise
// kRegtable on AVX-512 targets (one 16-lane permute) and kDirect elsewhere.
QINS_API GemvStrategy GemvAutoStrategy(const Format& f, Target t);

// auto's choice among the strategies that keep x in f32 (every strategy but
// kDot): GemvAutoStrategy without its kDot rules; never kDot. What kDot runs
// for non-finite x, what Gemm runs for m == 1, and what a caller pins to
// compare with an f32-activation reference.
QINS_API GemvStrategy GemvF32ActivationStrategy(const Format& f, Target t);

struct GemvOptions {
  GemvStrategy strategy = GemvStrategy::kAuto;
};

// Adds to w an interleaved copy of its codes (16 rows per panel, ggml's
// "repack"), built once on ctx's threads and shared by w's copies, which
// Gemv's kDot then reads instead of the rows on the targets with a kernel
// for it (AVX3_DL; the others ignore it): the same bits, fewer instructions
// per weight (docs/gemv.md). It costs RepackedBytes(w) of memory, about
// the size of w's codes; nothing else changes. Formats: q4_0, q4_1,
// q5_0, q5_1, iq4_nl, the K-quants (q2_k .. q6_k), iq4_xs and qins4
// (HasRepack); another format is an error.
// Thread-safe and idempotent: a second call returns Ok at once.
QINS_API Status Repack(const Context& ctx, const QuantizedMatrix& w);
QINS_API bool HasRepack(const Format& f);
// Bytes of w's interleaved copy; 0 if it has none.
QINS_API size_t RepackedBytes(const QuantizedMatrix& w);

// y[rows] = W x for a quantized W (any format, qins/quantize.h) and
// x[cols]. Every row is summed in a fixed order, so y does not depend on the
// thread count. With kDecode, y equals GemvF32 over the dequantized W bit for
// bit. The fused strategies multiply each row's sum by its scale at the end,
// so they round differently (tests bound them against a double reference);
// kDot also rounds x to int8 blocks (docs/gemv.md bounds the difference).
// A strategy the format does not have is an error naming the ones it has;
// so are an empty W, null x or y, and y overlapping x (x has cols floats, y
// rows floats). NaN/Inf in x propagate (the weights are finite; kDot runs
// GemvF32ActivationStrategy for such an x). kAuto may be kDot: a caller that
// needs f32 activations names GemvF32ActivationStrategy's choice.
QINS_API Status Gemv(const Context& ctx, const QuantizedMatrix& w,
                     const float* x, float* y, const GemvOptions& opt = {});

// sum_i a[i] b[i] in f32 with the same summation order as one GemvF32 row.
// n == 0 gives 0; null inputs with n > 0 and n beyond PTRDIFF_MAX bytes are
// errors. NaN/Inf propagate.
QINS_API StatusOr<float> DotF32(const Context& ctx, const float* a,
                                const float* b, size_t n);

}  // namespace qins

#endif  // QINS_GEMV_H_
