// Row lengths for tests that loop over every format with odd shapes: a
// format whose rows must be a multiple of GetFormatInfo(f).col_multiple
// (ggml's K-quants: 256-weight super-blocks) cannot take 1, 31 or 257
// columns; it gets the nearest odd multiple at or above, so its rows still
// hold an odd number of super-blocks. Every other format keeps `cols`.
#ifndef QINS_TESTS_SUPPORT_FORMAT_COLS_H_
#define QINS_TESTS_SUPPORT_FORMAT_COLS_H_

#include <cstddef>

#include "qins/format.h"

namespace qins::testing {

inline size_t FitCols(Format f, size_t cols) {
  const size_t m = GetFormatInfo(f).col_multiple;
  if (m <= 1) return cols;
  size_t n = (cols + m - 1) / m;
  if (n % 2 == 0) ++n;
  return n * m;
}

}  // namespace qins::testing

#endif  // QINS_TESTS_SUPPORT_FORMAT_COLS_H_
