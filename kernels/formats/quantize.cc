// Quantize / Dequantize entry points and QuantizedMatrix accessors.
#include "qins/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "dispatch/decode_kernels.h"
#include "dispatch/encode_kernels.h"
#include "dispatch/parallel.h"
#include "kernels/formats/codec.h"
#include "kernels/formats/matrix_data.h"

namespace qins {

Format QuantizedMatrix::format() const { return d_->format; }
size_t QuantizedMatrix::rows() const { return d_ ? d_->rows : 0; }
size_t QuantizedMatrix::cols() const { return d_ ? d_->cols : 0; }
size_t QuantizedMatrix::row_stride() const { return d_->row_stride; }
size_t QuantizedMatrix::row_payload_bytes() const { return d_->row_payload; }
const uint8_t* QuantizedMatrix::row(size_t r) const { return d_->row(r); }
size_t QuantizedMatrix::params_per_row() const { return d_->params_per_row; }
const float* QuantizedMatrix::row_params(size_t r) const {
  return d_->row_params_of(r);
}
const std::vector<float>& QuantizedMatrix::tensor_params() const {
  return d_->tensor_params;
}
QuantizedMatrix QuantizedMatrix::Clone() const {
  if (!d_) return QuantizedMatrix();
  auto d = std::make_shared<Data>();
  d->format = d_->format;
  d->rows = d_->rows;
  d->cols = d_->cols;
  d->row_stride = d_->row_stride;
  d->row_payload = d_->row_payload;
  d->params_per_row = d_->params_per_row;
  // A clone owns its rows, 64-byte aligned as Quantize lays them out.
  d->row_stride = (d_->row_payload + 63) / 64 * 64;
  const size_t alloc = d_->rows * d->row_stride + kRowReadSlack;
  d->bytes = hwy::AllocateAligned<uint8_t>(alloc);
  if (!d->bytes) return QuantizedMatrix();
  d->base = d->bytes.get();
  std::memset(d->bytes.get(), 0, alloc);
  for (size_t r = 0; r < d_->rows; ++r) {
    std::memcpy(d->mutable_row(r), d_->row(r), d_->row_payload);
  }
  d->row_params = d_->row_params;
  d->tensor_params = d_->tensor_params;
  return QuantizedMatrix(std::move(d));
}

size_t QuantizedMatrix::payload_bytes() const {
  return d_->rows * (d_->row_payload + 4 * d_->params_per_row) +
         4 * d_->tensor_params.size();
}
size_t QuantizedMatrix::allocated_bytes() const {
  if (d_->borrowed()) return 0;
  return d_->rows * d_->row_stride + 4 * d_->row_params.size() +
         4 * d_->tensor_params.size();
}
bool QuantizedMatrix::is_view() const { return d_ && d_->borrowed(); }

namespace {

// The checks every constructor from bytes makes: a registered format, a
// non-zero shape of at most 2^40 weights, a row length the format holds.
Status CheckShape(const char* what, const FormatInfo& info, size_t rows,
                  size_t cols) {
  const std::string name = std::string(what) + "(" + info.name + "): ";
  if (info.name == "unknown")
    return InvalidArgument(std::string(what) + ": unregistered format");
  if (rows == 0 || cols == 0 || rows > (size_t{1} << 40) / cols) {
    return InvalidArgument(name + "bad shape " + std::to_string(rows) + " x " +
                           std::to_string(cols));
  }
  if (cols % info.col_multiple != 0) {
    return InvalidArgument(name + "a row of " + std::to_string(cols) +
                           " weights; " + info.name + " needs a multiple of " +
                           std::to_string(info.col_multiple));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<QuantizedMatrix> QuantizedMatrix::View(
    Format format, size_t rows, size_t cols, const uint8_t* bytes,
    size_t row_stride, size_t readable, std::shared_ptr<const void> owner) {
  const FormatInfo info = GetFormatInfo(format);
  const std::string name = "View(" + info.name + "): ";
  if (Status s = CheckShape("View", info, rows, cols); !s.ok()) return s;
  const Codec& codec = GetCodec(format.kind);
  if (codec.params_per_row != 0 || codec.tensor_params != 0) {
    return InvalidArgument(name + info.name +
                           " has row or tensor parameters; only formats "
                           "whose rows hold everything can be viewed");
  }
  if (bytes == nullptr) return InvalidArgument(name + "bytes is null");
  const size_t payload = codec.row_payload_bytes(cols, format.level);
  if (row_stride < payload) {
    return InvalidArgument(name + "row_stride " + std::to_string(row_stride) +
                           " is below the row payload " +
                           std::to_string(payload));
  }
  // f32, f16, bf16: whole elements (the kernels index rows in elements).
  const size_t elem = info.block == 1 ? payload / cols : 1;
  if (row_stride % elem != 0 ||
      reinterpret_cast<uintptr_t>(bytes) % elem != 0) {
    return InvalidArgument(name + "row_stride " + std::to_string(row_stride) +
                           " and the address must be multiples of " +
                           std::to_string(elem) + " (the element size)");
  }
  if (rows > 1 && (rows - 1) > (SIZE_MAX - payload - kReadSlack) / row_stride) {
    return InvalidArgument(name + "rows x row_stride overflows");
  }
  const size_t needed = (rows - 1) * row_stride + payload + kReadSlack;
  if (readable < needed) {
    return OutOfRange(name + std::to_string(readable) +
                      " readable bytes; the view needs " +
                      std::to_string(needed) + " (rows plus " +
                      std::to_string(kReadSlack) + " bytes of read slack)");
  }
  auto d = std::make_shared<Data>();
  d->format = format;
  d->rows = rows;
  d->cols = cols;
  d->row_payload = payload;
  d->row_stride = row_stride;
  d->params_per_row = 0;
  d->base = bytes;
  d->owner = std::move(owner);
  return QuantizedMatrix(std::move(d));
}

std::string CheckSignBytes(const uint8_t* signs, size_t cols, size_t r) {
  for (size_t c = 0; c < cols; ++c) {
    if (signs[c] != 0 && signs[c] != 1 && signs[c] != 0xFF) {
      return "sign byte " + std::to_string(signs[c]) + " at row " +
             std::to_string(r) + ", column " + std::to_string(c) +
             " (must be -1, 0 or 1)";
    }
  }
  return {};
}

StatusOr<QuantizedMatrix> QuantizedMatrix::FromParts(
    Format format, size_t rows, size_t cols, const uint8_t* payload,
    size_t payload_size, const std::vector<float>& row_params,
    const std::vector<float>& tensor_params) {
  const FormatInfo info = GetFormatInfo(format);
  const std::string name = "FromParts(" + info.name + "): ";
  if (Status s = CheckShape("FromParts", info, rows, cols); !s.ok()) return s;
  const Codec& codec = GetCodec(format.kind);
  const size_t row_payload = codec.row_payload_bytes(cols, format.level);
  if (payload == nullptr || payload_size != rows * row_payload) {
    return DataLoss(name + "payload has " + std::to_string(payload_size) +
                    " bytes, the shape needs " +
                    std::to_string(rows * row_payload));
  }
  if (row_params.size() != rows * codec.params_per_row) {
    return DataLoss(name + std::to_string(row_params.size()) +
                    " row parameters, expected " +
                    std::to_string(rows * codec.params_per_row));
  }
  if (tensor_params.size() != codec.tensor_params) {
    return DataLoss(name + std::to_string(tensor_params.size()) +
                    " tensor parameters, expected " +
                    std::to_string(codec.tensor_params));
  }
  for (float v : row_params) {
    if (!std::isfinite(v)) return DataLoss(name + "non-finite row parameter");
  }
  for (float v : tensor_params) {
    if (!std::isfinite(v))
      return DataLoss(name + "non-finite tensor parameter");
  }
  auto d = std::make_shared<Data>();
  d->format = format;
  d->rows = rows;
  d->cols = cols;
  d->row_payload = row_payload;
  d->row_stride = (row_payload + 63) / 64 * 64;
  d->params_per_row = codec.params_per_row;
  const size_t alloc = rows * d->row_stride + kRowReadSlack;
  d->bytes = hwy::AllocateAligned<uint8_t>(alloc);
  if (!d->bytes) {
    return Status(StatusCode::kResourceExhausted,
                  name + "cannot allocate " + std::to_string(alloc) + " bytes");
  }
  d->base = d->bytes.get();
  std::memset(d->bytes.get(), 0, alloc);
  for (size_t r = 0; r < rows; ++r) {
    std::memcpy(d->mutable_row(r), payload + r * row_payload, row_payload);
  }
  d->row_params = row_params;
  d->tensor_params = tensor_params;
  std::vector<float> decoded(cols);
  for (size_t r = 0; r < rows; ++r) {
    // The format's own checks (sign planes, code ranges, row parameters).
    if (codec.check_row != nullptr) {
      if (std::string why = codec.check_row(*d, r); !why.empty())
        return DataLoss(name + why);
    }
    // Every weight must decode to a finite value (NaN/Inf f16 codes or
    // scales, overflowing parameters).
    codec.decode_row(*d, r, decoded.data());
    for (size_t c = 0; c < cols; ++c) {
      if (!std::isfinite(decoded[c])) {
        return DataLoss(name + "weight at row " + std::to_string(r) +
                        ", column " + std::to_string(c) +
                        " decodes to a non-finite value");
      }
    }
  }
  return QuantizedMatrix(std::move(d));
}

StatusOr<QuantizedMatrix> Quantize(Format format, const float* w, size_t rows,
                                   size_t cols, size_t row_stride,
                                   const QuantizeOptions& opt) {
  ContextOptions one;
  one.num_threads = 1;
  one.target = TargetName(BestTarget());  // no QINS_TARGET lookup
  StatusOr<Context> ctx = Context::Create(one);
  if (!ctx.ok()) return ctx.status();
  return Quantize(*ctx, format, w, rows, cols, row_stride, opt);
}

namespace {

// For each row, the first column whose weight decodes to NaN or Inf, or
// SIZE_MAX: decoded with ctx's SIMD target on ctx's threads.
std::vector<size_t> FirstNonFinitePerRow(const Context& ctx,
                                         const QuantizedMatrix::Data& data) {
  DecodeRowFn decode =
      GetDecodeKernels(ctx.target()).row[static_cast<int>(data.format.kind)];
  if (decode == nullptr) decode = GetCodec(data.format.kind).decode_row;
  std::vector<size_t> bad_row(data.rows, SIZE_MAX);
  ParallelFor(ctx, data.rows, 64, [&](size_t r0, size_t r1) {
    std::vector<float> buf(data.cols);
    for (size_t r = r0; r < r1; ++r) {
      decode(data, r, buf.data());
      for (size_t c = 0; c < data.cols; ++c) {
        if (!std::isfinite(buf[c])) {
          bad_row[r] = c;
          break;
        }
      }
    }
  });
  return bad_row;
}

}  // namespace

Status CheckFinite(const Context& ctx, const QuantizedMatrix& m) {
  if (m.empty()) return InvalidArgument("CheckFinite: empty matrix");
  const std::vector<size_t> bad_row = FirstNonFinitePerRow(ctx, m.data());
  for (size_t r = 0; r < bad_row.size(); ++r) {
    if (bad_row[r] != SIZE_MAX) {
      return DataLoss(FormatName(m.format()) + " weight at row " +
                      std::to_string(r) + ", column " +
                      std::to_string(bad_row[r]) +
                      " decodes to a non-finite value");
    }
  }
  return Status::Ok();
}

StatusOr<QuantizedMatrix> Quantize(const Context& ctx, Format format,
                                   const float* w, size_t rows, size_t cols,
                                   size_t row_stride, const QuantizeOptions&) {
  const FormatInfo info = GetFormatInfo(format);
  const std::string name = info.name;
  if (info.name == "unknown")
    return InvalidArgument("Quantize: unregistered format");
  if (rows == 0 || cols == 0) {
    return InvalidArgument("Quantize(" + name + "): zero-size shape " +
                           std::to_string(rows) + " x " + std::to_string(cols));
  }
  if (cols % info.col_multiple != 0) {
    return InvalidArgument("Quantize(" + name + "): a row of " +
                           std::to_string(cols) + " weights; " + name +
                           " needs a multiple of " +
                           std::to_string(info.col_multiple));
  }
  if (w == nullptr) return InvalidArgument("Quantize(" + name + "): W is null");
  if (row_stride == 0) row_stride = cols;
  if (row_stride < cols) {
    return InvalidArgument("Quantize(" + name + "): row_stride " +
                           std::to_string(row_stride) + " < cols " +
                           std::to_string(cols));
  }
  // Overflow of rows * cols sizes.
  if (rows > (size_t{1} << 40) / cols) {
    return InvalidArgument("Quantize(" + name + "): shape " +
                           std::to_string(rows) + " x " + std::to_string(cols) +
                           " is too large");
  }
  for (size_t r = 0; r < rows; ++r) {
    const float* x = w + r * row_stride;
    for (size_t c = 0; c < cols; ++c) {
      if (!std::isfinite(x[c])) {
        return InvalidArgument("Quantize(" + name +
                               "): " + (std::isnan(x[c]) ? "NaN" : "Inf") +
                               " weight at row " + std::to_string(r) +
                               ", column " + std::to_string(c));
      }
    }
  }
  const Codec& codec = GetCodec(format.kind);
  auto d = std::make_shared<QuantizedMatrix::Data>();
  d->format = format;
  d->rows = rows;
  d->cols = cols;
  d->row_payload = codec.row_payload_bytes(cols, format.level);
  d->row_stride = (d->row_payload + 63) / 64 * 64;
  d->params_per_row = codec.params_per_row;
  const size_t alloc = rows * d->row_stride + kRowReadSlack;
  d->bytes = hwy::AllocateAligned<uint8_t>(alloc);
  if (!d->bytes) {
    return Status(StatusCode::kResourceExhausted,
                  "Quantize(" + name + "): cannot allocate " +
                      std::to_string(alloc) + " bytes");
  }
  d->base = d->bytes.get();
  std::memset(d->bytes.get(), 0, alloc);
  d->row_params.assign(rows * codec.params_per_row, 0.0f);
  d->tensor_params.assign(codec.tensor_params, 0.0f);
  if (codec.prepare) {
    Status st = codec.prepare(w, row_stride, *d);
    if (!st.ok())
      return Status(st.code(), "Quantize(" + name + "): " + st.message());
  }
  QuantizedMatrix::Data& data = *d;
  // The context's target's SIMD encoder where the format has one (it gives
  // the same result on every target), else the codec's scalar encoder.
  EncodeRowsFn encode =
      GetEncodeKernels(ctx.target()).rows[static_cast<int>(format.kind)];
  if (encode == nullptr) encode = codec.encode_rows;
  ParallelFor(ctx, rows, 1, [&](size_t r0, size_t r1) {
    encode(w, row_stride, data, r0, r1);
  });
  // Finite weights can still overflow a format's scale (an f16 block scale
  // of q8_0/q4_0/iq4_nl/qins4 beyond 65504, found by the quantize fuzzer):
  // every weight must decode to a finite value, or the matrix is refused.
  const std::vector<size_t> bad_row = FirstNonFinitePerRow(ctx, data);
  for (size_t r = 0; r < rows; ++r) {
    if (bad_row[r] == SIZE_MAX) continue;
    size_t c = bad_row[r];
    // Name the block's largest weight: the one that overflowed its scale.
    if (info.block > 1) {
      const size_t b0 = c - c % info.block;
      for (size_t k = b0; k < std::min(cols, b0 + info.block); ++k) {
        if (std::fabs(w[r * row_stride + k]) > std::fabs(w[r * row_stride + c]))
          c = k;
      }
    }
    return OutOfRange("Quantize(" + name + "): weight " +
                      std::to_string(w[r * row_stride + c]) + " at row " +
                      std::to_string(r) + ", column " + std::to_string(c) +
                      " is out of the format's range: its scale overflows "
                      "(docs/formats.md lists each format's range)");
  }
  return QuantizedMatrix(std::move(d));
}

namespace {
Status CheckOut(const QuantizedMatrix& m, float* out, size_t* stride) {
  if (m.empty()) return InvalidArgument("Dequantize: empty matrix");
  if (out == nullptr) return InvalidArgument("Dequantize: out is null");
  if (*stride == 0) *stride = m.cols();
  if (*stride < m.cols())
    return InvalidArgument("Dequantize: out_row_stride < cols");
  return Status::Ok();
}
}  // namespace

Status DequantizeReference(const QuantizedMatrix& m, float* out,
                           size_t out_row_stride) {
  Status st = CheckOut(m, out, &out_row_stride);
  if (!st.ok()) return st;
  const Codec& codec = GetCodec(m.format().kind);
  for (size_t r = 0; r < m.rows(); ++r) {
    codec.decode_row(m.data(), r, out + r * out_row_stride);
  }
  return Status::Ok();
}

Status Dequantize(const Context& ctx, const QuantizedMatrix& m, float* out,
                  size_t out_row_stride) {
  Status st = CheckOut(m, out, &out_row_stride);
  if (!st.ok()) return st;
  // The SIMD decoder of ctx's target, or the scalar reference where a format
  // has none.
  DecodeRowFn decode =
      GetDecodeKernels(ctx.target()).row[static_cast<int>(m.format().kind)];
  if (decode == nullptr) decode = GetCodec(m.format().kind).decode_row;
  ParallelFor(ctx, m.rows(), 16, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r)
      decode(m.data(), r, out + r * out_row_stride);
  });
  return Status::Ok();
}

Status DequantizeRows(const Context& ctx, const QuantizedMatrix& m,
                      size_t row_begin, size_t row_count, float* out,
                      size_t out_row_stride) {
  Status st = CheckOut(m, out, &out_row_stride);
  if (!st.ok()) return st;
  if (row_begin > m.rows() || row_count > m.rows() - row_begin) {
    return OutOfRange("DequantizeRows: rows [" + std::to_string(row_begin) +
                      ", " + std::to_string(row_begin) + " + " +
                      std::to_string(row_count) + ") outside a matrix of " +
                      std::to_string(m.rows()) + " rows");
  }
  DecodeRowFn decode =
      GetDecodeKernels(ctx.target()).row[static_cast<int>(m.format().kind)];
  if (decode == nullptr) decode = GetCodec(m.format().kind).decode_row;
  for (size_t i = 0; i < row_count; ++i)
    decode(m.data(), row_begin + i, out + i * out_row_stride);
  return Status::Ok();
}

}  // namespace qins
