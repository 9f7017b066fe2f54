// Quantized matrices: Quantize an f32 matrix into a format, Dequantize back.
#ifndef QINS_QUANTIZE_H_
#define QINS_QUANTIZE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "qins/context.h"
#include "qins/export.h"
#include "qins/format.h"
#include "qins/status.h"

namespace qins {

// Holds one rows x cols matrix in a weight format. Each row's codes (with any
// in-row block scales) start on a 64-byte boundary, except in a View of
// memory the caller owns; per-row and per-tensor parameters live beside
// them. The byte layout inside a row is the format's
// (docs/formats.md) and may be kernel-friendly rather than the format's
// exchange layout; qins-codec shows the exchange layout.
class QuantizedMatrix {
 public:
  struct Data;
  QuantizedMatrix() = default;
  explicit QuantizedMatrix(std::shared_ptr<const Data> d) : d_(std::move(d)) {}

  QINS_API Format format() const;
  QINS_API size_t rows() const;
  QINS_API size_t cols() const;
  // Bytes between the starts of consecutive rows (a multiple of 64, except
  // in a View).
  QINS_API size_t row_stride() const;
  // Bytes of one row's codes and in-row scales, without alignment padding.
  QINS_API size_t row_payload_bytes() const;
  QINS_API const uint8_t* row(size_t r) const;
  // Per-row parameters (params_per_row() floats per row).
  QINS_API size_t params_per_row() const;
  QINS_API const float* row_params(size_t r) const;
  QINS_API const std::vector<float>& tensor_params() const;
  // Bytes of the format's information: payloads + parameters, no padding.
  QINS_API size_t payload_bytes() const;
  // Bytes actually allocated (with row padding); 0 for a View.
  QINS_API size_t allocated_bytes() const;
  // Whether the rows are the caller's memory (View) rather than owned.
  QINS_API bool is_view() const;
  bool empty() const { return d_ == nullptr; }
  // A deep copy (copies share nothing; used to build cold-cache benchmarks).
  QINS_API QuantizedMatrix Clone() const;

  // Rebuilds a matrix from its parts: `payload` holds rows * row payload
  // bytes (rows back to back, no padding), `row_params` rows *
  // params_per_row floats, `tensor_params` the format's tensor parameters.
  // Sizes are checked against the format; every parameter must be finite.
  QINS_API static StatusOr<QuantizedMatrix> FromParts(
      Format format, size_t rows, size_t cols, const uint8_t* payload,
      size_t payload_size, const std::vector<float>& row_params,
      const std::vector<float>& tensor_params);
  // Bytes that SIMD decoders may read past the end of the last row's
  // payload (a whole vector of codes); a View needs them readable.
  static constexpr size_t kReadSlack = 256;

  // A matrix over rows the caller owns, used in place (no copy): a GGUF
  // tensor in a mapped file. Only formats without row or tensor parameters
  // (those with a ggml_type, FormatInfo): row r is the format's payload at
  // bytes + r * row_stride (row_stride >= the payload; any alignment). At
  // least (rows - 1) * row_stride + payload + kReadSlack bytes from `bytes`
  // must be readable (`readable` says how many are): a shorter span is an
  // OutOfRange error, and the caller copies instead (FromParts). The matrix
  // keeps `owner` alive. The weights are not checked (CheckFinite does).
  QINS_API static StatusOr<QuantizedMatrix> View(
      Format format, size_t rows, size_t cols, const uint8_t* bytes,
      size_t row_stride, size_t readable, std::shared_ptr<const void> owner);
  const Data& data() const { return *d_; }

 private:
  std::shared_ptr<const Data> d_;
};

struct QuantizeOptions {};

// Quantizes W (rows x cols, row-major, `row_stride` floats between rows; 0
// means cols). Errors: zero-size shape, null W, NaN or Inf in W
// (InvalidArgument; the message names the first one's row and column),
// finite values a format cannot represent (OutOfRange, naming the weight:
// an f16 value or block scale beyond 65504, a qins4 magnitude beyond 65280,
// an FPINS magnitude beyond 256). Nothing is ever clamped or replaced.
QINS_API StatusOr<QuantizedMatrix> Quantize(Format format, const float* w,
                                            size_t rows, size_t cols,
                                            size_t row_stride = 0,
                                            const QuantizeOptions& opt = {});
// The same, encoding row blocks on ctx's threads (same result).
QINS_API StatusOr<QuantizedMatrix> Quantize(const Context& ctx, Format format,
                                            const float* w, size_t rows,
                                            size_t cols, size_t row_stride = 0,
                                            const QuantizeOptions& opt = {});

// Writes the decoded matrix to out (rows x cols, `out_row_stride` floats
// between rows; 0 means cols), using ctx's SIMD target and threads.
QINS_API Status Dequantize(const Context& ctx, const QuantizedMatrix& m,
                           float* out, size_t out_row_stride = 0);

// Decodes rows [row_begin, row_begin + row_count) into out (row_count rows,
// `out_row_stride` floats apart; 0 means cols), on the calling thread with
// ctx's SIMD target: the same bits Dequantize writes for those rows. A range
// outside the matrix is an error (e.g. an embedding lookup of a bad token).
QINS_API Status DequantizeRows(const Context& ctx, const QuantizedMatrix& m,
                               size_t row_begin, size_t row_count, float* out,
                               size_t out_row_stride = 0);

// OK when every weight of m decodes to a finite value; otherwise a DataLoss
// error naming the first bad row and column. Decodes with ctx's SIMD target
// on ctx's threads (for a View of a file, whose bytes nothing has checked).
QINS_API Status CheckFinite(const Context& ctx, const QuantizedMatrix& m);

// The scalar reference decoder (no SIMD): what every SIMD decoder and kernel
// is tested against.
QINS_API Status DequantizeReference(const QuantizedMatrix& m, float* out,
                                    size_t out_row_stride = 0);

}  // namespace qins

#endif  // QINS_QUANTIZE_H_
