// The row-and-block loop shared by the blocked encoders (q8_0, q4_0, iq4_nl,
// qins4, q4_1, q5_0, q5_1): every row is cut into blocks of 32 weights, the
// last one zero-padded, and each block is encoded into its own bytes of the
// row.
#ifndef QINS_KERNELS_FORMATS_BLOCK_ROWS_H_
#define QINS_KERNELS_FORMATS_BLOCK_ROWS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/formats/matrix_data.h"

namespace qins {

constexpr size_t kWeightBlock = 32;
// Bytes per block of the blocked formats: an f16 scale (qins4: a 12-bit
// scale and a table selector) followed by the block's codes.
constexpr size_t kQ8_0BlockBytes = 2 + kWeightBlock;        // 34: int8 codes
constexpr size_t kNibbleBlockBytes = 2 + kWeightBlock / 2;  // 18: q4_0,
                                                            // iq4_nl, qins4
// ggml's blocks with a min and/or a 5th code bit (ggml_block_codecs.cc).
constexpr size_t kQ4_1BlockBytes = 4 + kWeightBlock / 2;      // 20: d m qs
constexpr size_t kQ5_0BlockBytes = 2 + 4 + kWeightBlock / 2;  // 22: d qh qs
constexpr size_t kQ5_1BlockBytes = 4 + 4 + kWeightBlock / 2;  // 24: d m qh qs

// A little-endian u32 (ggml's qh) at p.
inline uint32_t LoadLE32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// Calls encode_block(x, out) for every block of rows [r0, r1): x holds the
// block's 32 weights (zeros past the row's end), out its kBlockBytes bytes.
template <size_t kBlockBytes, class EncodeBlock>
void EncodeBlockRows(const float* w, size_t stride, QuantizedMatrix::Data& d,
                     size_t r0, size_t r1, EncodeBlock&& encode_block) {
  const size_t blocks = (d.cols + kWeightBlock - 1) / kWeightBlock;
  for (size_t r = r0; r < r1; ++r) {
    for (size_t b = 0; b < blocks; ++b) {
      float x[kWeightBlock] = {};
      const size_t n = std::min(kWeightBlock, d.cols - b * kWeightBlock);
      std::memcpy(x, w + r * stride + b * kWeightBlock, n * sizeof(float));
      encode_block(x, d.mutable_row(r) + b * kBlockBytes);
    }
  }
}

}  // namespace qins

#endif  // QINS_KERNELS_FORMATS_BLOCK_ROWS_H_
