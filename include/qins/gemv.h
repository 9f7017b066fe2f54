// Matrix-vector products with FP32 activations: y = W x.
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
// cols == 0 gives y = 0. Null pointers with a non-empty shape, or
// row_stride < cols, are errors. NaN/Inf in W or x propagate as IEEE
// arithmetic does.
QINS_API Status GemvF32(const Context& ctx, const float* w, size_t rows,
                        size_t cols, size_t row_stride, const float* x,
                        float* y);

class QuantizedMatrix;
struct Format;

// How a GEMV turns codes into f32 weights.
enum class GemvStrategy {
  kAuto,      // the fastest measured for the format (docs/gemv.md)
  kDecode,    // every format: decode 4 rows into an L1 buffer, f32 kernel
  kDirect,    // f32: the f32 kernel on the stored rows; bf16, f16, i8row,
              // q8_0, q4_0: codes converted in registers (integer or half
              // to f32), block scale applied per block
  kBitbuild,  // qins8: f32 bits built from the code with integer ops
  kGather,    // a table in memory read with GatherIndex: qins8 (256 entries
              // per row), qins8-seed (256 magnitudes), iq4_nl and qins4
              // (the block's 16 scaled values)
  kRegtable,  // 4-bit formats: the block's 16 scaled values in a register,
              // read with TableLookupLanes (AVX-512: 1 permute; AVX2: 2 +
              // blend; other targets: as kGather, docs/gemv.md)
  kArith,     // qins8-seed: the magnitude computed, exp(lo + n * span)
  kCount,     // not a strategy: the number of strategies
};

QINS_API const char* GemvStrategyName(GemvStrategy s);
// "auto", "decode", "direct", "bitbuild", "gather", "regtable", "arith".
QINS_API StatusOr<GemvStrategy> ParseGemvStrategy(const std::string& name);
// The strategies a format has (kAuto and kDecode always; first = auto's
// choice after kAuto).
QINS_API std::vector<GemvStrategy> GemvStrategies(const Format& f);

// What kAuto runs for format f on target t: the first strategy after kAuto
// in GemvStrategies(f), unless a measured rule for the format and target
// says otherwise (kGemvAutoRules in kernels/gemv/gemv.cc, each citing its
// measurement in docs/gemv.md; today: q4_0 takes kRegtable on AVX-512
// targets, one 16-lane permute, and kDirect elsewhere).
QINS_API GemvStrategy GemvAutoStrategy(const Format& f, Target t);

struct GemvOptions {
  GemvStrategy strategy = GemvStrategy::kAuto;
};

// y[rows] = W x for a quantized W (any format, qins/quantize.h) and
// x[cols]. Every row is summed in a fixed order, so y does not depend on the
// thread count. With kDecode, y equals GemvF32 over the dequantized W bit for
// bit. The fused strategies multiply each row's sum by its scale at the end,
// so they round differently (tests bound them against a double reference).
// A strategy the format does not have is an error naming the ones it has.
QINS_API Status Gemv(const Context& ctx, const QuantizedMatrix& w,
                     const float* x, float* y, const GemvOptions& opt = {});

// sum_i a[i] b[i] in f32 with the same summation order as one GemvF32 row.
QINS_API StatusOr<float> DotF32(const Context& ctx, const float* a,
                                const float* b, size_t n);

}  // namespace qins

#endif  // QINS_GEMV_H_
