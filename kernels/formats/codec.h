// The scalar reference codec of each format (internal). Quantize() validates
// its input, allocates the storage the codec asks for, calls `prepare` and
// then `encode_rows` over row blocks on the caller's threads;
// DequantizeReference() calls `decode_row`. SIMD decoders and kernels are
// tested against decode_row.
#ifndef QINS_KERNELS_FORMATS_CODEC_H_
#define QINS_KERNELS_FORMATS_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/formats/matrix_data.h"
#include "qins/format.h"
#include "qins/status.h"

namespace qins {

struct Codec {
  // Bytes of codes (and in-row block scales) for one row of `cols` weights.
  size_t (*row_payload_bytes)(size_t cols, int level);
  size_t params_per_row;
  size_t tensor_params;
  // Optional (may be null): checks W against what the format can represent
  // and computes tensor-wide parameters into d.tensor_params. W is finite
  // (validated); `stride` is in floats.
  Status (*prepare)(const float* w, size_t stride, QuantizedMatrix::Data& d);
  // Encodes rows [r0, r1) of W into d (storage allocated and zeroed, prepare
  // done). Called concurrently for disjoint row ranges. Null for formats
  // whose encoder is per target (dispatch/encode_kernels.h: qins8).
  void (*encode_rows)(const float* w, size_t stride, QuantizedMatrix::Data& d,
                      size_t r0, size_t r1);
  // Decodes row r into out[0, cols).
  void (*decode_row)(const QuantizedMatrix::Data& d, size_t r, float* out);
  // Optional (null: every byte and parameter decodes): checks stored row r
  // of bytes and parameters that did not come from encode_rows
  // (QuantizedMatrix::FromParts) for values the decoders do not accept.
  // Empty if row r is fine, else what is wrong, naming the row and column.
  // FromParts also refuses any weight that decodes to Inf or NaN.
  std::string (*check_row)(const QuantizedMatrix::Data& d, size_t r) = nullptr;
};

// check_row's shared part: row r's sign bytes (signs[0, cols)) hold -1, 0
// or +1.
std::string CheckSignBytes(const uint8_t* signs, size_t cols, size_t r);

const Codec& GetCodec(FormatKind kind);

// Per-kind codecs (one file each under kernels/formats/).
extern const Codec kF32Codec, kBF16Codec, kF16Codec;
extern const Codec kQ8_0Codec, kI8RowCodec;
extern const Codec kQ4_0Codec, kIQ4NLCodec;
extern const Codec kQ4_1Codec, kQ5_0Codec, kQ5_1Codec;
extern const Codec kQins8SeedCodec, kQins8SeedRowCodec;
extern const Codec kQins8Codec, kQins4Codec;
extern const Codec kFpinsSeedCodec, kFpinsNearestCodec;
extern const Codec kQ2_KCodec, kQ3_KCodec, kQ4_KCodec, kQ5_KCodec, kQ6_KCodec;
extern const Codec kIQ4XSCodec;

// The K-quants' and IQ4_XS's `prepare` (kquant_codecs.cc): refuses a weight
// beyond kKQuantMaxWeight, which no K-quant can represent and whose powers
// would overflow the f32 sums of ggml's scale searches (x^2 weights, x^3
// terms).
inline constexpr float kKQuantMaxWeight = 1e9f;
Status PrepareKQuant(const float* w, size_t stride, QuantizedMatrix::Data& d);

}  // namespace qins

#endif  // QINS_KERNELS_FORMATS_CODEC_H_
