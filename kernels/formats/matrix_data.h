// What a QuantizedMatrix holds, for codecs and kernels (internal).
#ifndef QINS_KERNELS_FORMATS_MATRIX_DATA_H_
#define QINS_KERNELS_FORMATS_MATRIX_DATA_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "qins/quantize.h"

namespace qins {

// Bytes allocated after the last row so that a SIMD decoder may load one
// whole vector (up to 2048 bits) of codes past the end of any row.
constexpr size_t kRowReadSlack = QuantizedMatrix::kReadSlack;

struct RepackedNibbles;  // kernels/gemv/repacked_nibbles.h

struct QuantizedMatrix::Data {
  Format format;
  size_t rows = 0, cols = 0;
  size_t row_stride = 0;   // bytes; a multiple of 64 unless borrowed
  size_t row_payload = 0;  // bytes of codes (+ in-row scales) per row
  size_t params_per_row = 0;
  // rows * row_stride + kRowReadSlack bytes, zeroed; null for a view
  // (QuantizedMatrix::View), whose rows live in memory `owner` keeps alive.
  hwy::AlignedFreeUniquePtr<uint8_t[]> bytes;
  const uint8_t* base = nullptr;  // row 0: bytes.get() or the view's bytes
  std::shared_ptr<const void> owner;
  std::vector<float> row_params;  // rows * params_per_row
  std::vector<float> tensor_params;
  // qins::Repack's interleaved copy (kernels/gemv/repacked_nibbles.h),
  // built at most once (repack_once) and shared by the matrix's copies:
  // `repack` is published with release order after repack_owner is set, so
  // a reader that loads it (acquire) sees the whole copy. Null: none.
  mutable std::once_flag repack_once;
  mutable std::shared_ptr<const void> repack_owner;
  mutable std::atomic<const RepackedNibbles*> repack{nullptr};

  uint8_t* mutable_row(size_t r) { return bytes.get() + r * row_stride; }
  const uint8_t* row(size_t r) const { return base + r * row_stride; }
  bool borrowed() const { return bytes == nullptr; }
  float* mutable_row_params(size_t r) {
    return row_params.data() + r * params_per_row;
  }
  const float* row_params_of(size_t r) const {
    return row_params.data() + r * params_per_row;
  }
};

}  // namespace qins

#endif  // QINS_KERNELS_FORMATS_MATRIX_DATA_H_
