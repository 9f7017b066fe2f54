// libFuzzer target: QuantizedMatrix::FromParts on arbitrary bytes, the path
// every model file takes into the library. Whatever it accepts must
// dequantize (SIMD and reference, equal bit for bit) to finite weights and
// run Gemv with every strategy without a sanitizer report.
// Input: [format index u8][rows u8][cols u16][n row params u8][n tensor
// params u8][params f32...][payload...]; for a format whose rows must be a
// multiple of col_multiple (the K-quants), cols is one or two multiples.
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
  // them (other lengths are refused up front); its blocks are any bytes.
  static const std::vector<size_t> multiple = [] {
    std::vector<size_t> m;
    for (Format g : formats) m.push_back(GetFormatInfo(g).col_multiple);
    return m;
  }();
  const size_t m = multiple[&f - formats.data()];
  if (m > 1) cols = m * (1 + raw_cols % 2);
  const size_t n_row = in.Take<uint8_t>() % 32;
  const size_t n_tensor = in.Take<uint8_t>() % 4;
  std::vector<float> row_params(n_row), tensor_params(n_tensor);
  for (float& p : row_params) p = in.Take<float>();
  for (float& p : tensor_params) p = in.Take<float>();
  StatusOr<QuantizedMatrix> q = QuantizedMatrix::FromParts(
      f, rows, cols, in.data(), in.size(), row_params, tensor_params);
  if (!q.ok()) return 0;
  fuzz::CheckDecodesAndRuns(ctx, *q, 0.5f);
  return 0;
}
