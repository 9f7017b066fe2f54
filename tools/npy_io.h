// Minimal NumPy .npy reading and writing of float32 arrays (and raw
// little-endian float32 files) for the codec tools.
#ifndef QINS_TOOLS_NPY_IO_H_
#define QINS_TOOLS_NPY_IO_H_

#include <cstddef>
#include <string>
#include <vector>

#include "qins/status.h"

namespace qins::tools {

struct FloatArray {
  size_t rows = 0, cols = 0;  // a 1-D array is one row
  std::vector<float> data;
};

// .npy (version 1-3, '<f4', C order, 1-D or 2-D) when the name ends in .npy,
// otherwise raw little-endian float32 with the given shape (rows * cols must
// match the file size; rows = 0 means one row of everything).
StatusOr<FloatArray> ReadFloats(const std::string& path, size_t rows,
                                size_t cols);
Status WriteFloats(const std::string& path, const FloatArray& a);

}  // namespace qins::tools

#endif  // QINS_TOOLS_NPY_IO_H_
