// libFuzzer target: Quantize on arbitrary bytes read as floats (NaN, Inf,
// subnormals, huge values included), then Dequantize, DequantizeReference
// and Gemv on what it accepted. Checks, beyond "no crash, no sanitizer
// report":
// - Quantize fails when the input holds NaN or Inf; on finite input it fails
//   only with OutOfRange (a value or block scale beyond f16, an FPINS
//   magnitude above 256), and never when every |w| <= 1e4 (256 for FPINS);
// - the SIMD Dequantize equals the scalar reference bit for bit;
// - every dequantized weight is finite;
// - Gemv with finite x gives finite or IEEE-overflowed results, never a
//   crash, for every strategy of the format.
// Input: [format index u8][rows u8][cols u16][floats...]; for a format whose
// rows must be a multiple of col_multiple (the K-quants), cols is one or two
// multiples.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "qins/context.h"
#include "qins/gemv.h"
#include "qins/quantize.h"
#include "tests/fuzz/fuzz_checks.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qins;
  static const std::vector<Format> formats = AllFormats();
  static const Context ctx = *Context::Create({.num_threads = 1});
  fuzz::FuzzInput in(data, size);
  const Format& f = formats[in.Take<uint8_t>() % formats.size()];
  const size_t rows = 1 + in.Take<uint8_t>() % 8;
  const uint16_t raw_cols = in.Take<uint16_t>();
  size_t cols = 1 + raw_cols % 300;
  // A format with whole-row blocks (the K-quants' 256) gets one or two of
  // them: other lengths are refused before any weight is read.
  static const std::vector<size_t> multiple = [] {
    std::vector<size_t> m;
    for (Format g : formats) m.push_back(GetFormatInfo(g).col_multiple);
    return m;
  }();
  const size_t m = multiple[&f - formats.data()];
  if (m > 1) cols = m * (1 + raw_cols % 2);
  // fpins-nearest at depth > 2 searches long; keep executions fast.
  if (f.kind == FormatKind::kFpinsNearest && f.level > 2) return 0;
  std::vector<float> w(rows * cols, 0.0f);
  const size_t n = std::min(w.size(), in.size() / 4);
  std::memcpy(w.data(), in.data(), n * 4);
  bool finite = true;
  for (float v : w) finite = finite && std::isfinite(v);
  StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), rows, cols);
  if (!finite) {
    fuzz::Check(!q.ok(), "Quantize accepted NaN/Inf");
    return 0;
  }
  if (!q.ok()) {
    // Finite weights are refused only as out of the format's range (f16
    // values, or f16 block scales, beyond 65504), never when |w| <= 1e4.
    fuzz::Check(
        q.status().code() == StatusCode::kOutOfRange,
        "Quantize refused finite weights with a code other than OutOfRange");
    float amax = 0;
    for (float v : w) amax = std::max(amax, std::fabs(v));
    // FPINS magnitudes end at 256 (docs/fpins.md): larger ones are refused.
    const bool fpins =
        f.kind == FormatKind::kFpinsSeed || f.kind == FormatKind::kFpinsNearest;
    fuzz::Check(amax > (fpins ? 256.0f : 1e4f),
                "Quantize refused finite weights inside the format's range");
    return 0;
  }
  fuzz::CheckDecodesAndRuns(ctx, *q, 1.0f);
  return 0;
}
