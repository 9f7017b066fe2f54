// Checks shared by the fuzz targets: a failed check prints what failed and
// aborts, so libFuzzer records the input as a crash.
#ifndef QINS_TESTS_FUZZ_FUZZ_CHECKS_H_
#define QINS_TESTS_FUZZ_FUZZ_CHECKS_H_

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "qins/context.h"
#include "qins/gemv.h"
#include "qins/quantize.h"

namespace qins::fuzz {

inline void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz check failed: %s\n", what);
    std::abort();
  }
}

// What every accepted matrix must satisfy: the SIMD Dequantize equals the
// scalar reference bit for bit, every weight is finite, and Gemv runs with
// every strategy of the format (x = `x_value` everywhere).
inline void CheckDecodesAndRuns(const Context& ctx, const QuantizedMatrix& q,
                                float x_value) {
  const size_t rows = q.rows(), cols = q.cols();
  std::vector<float> a(rows * cols), b(rows * cols);
  Check(Dequantize(ctx, q, a.data()).ok(), "Dequantize");
  Check(DequantizeReference(q, b.data()).ok(), "DequantizeReference");
  Check(std::memcmp(a.data(), b.data(), a.size() * 4) == 0,
        "SIMD Dequantize differs from the reference");
  for (float v : a) Check(std::isfinite(v), "non-finite dequantized weight");
  std::vector<float> x(cols, x_value), y(rows);
  for (GemvStrategy s : GemvStrategies(q.format())) {
    GemvOptions o;
    o.strategy = s;
    Check(Gemv(ctx, q, x.data(), y.data(), o).ok(), "Gemv");
  }
}

}  // namespace qins::fuzz

#endif  // QINS_TESTS_FUZZ_FUZZ_CHECKS_H_
