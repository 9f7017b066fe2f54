// A checked reader of GGUF files (versions 2 and 3, little-endian), the
// format llama.cpp writes. The file is mapped read-only; parsing checks every
// count, length, offset, size and type against the bytes that are actually
// there before using it (overflow-safe), so a malformed or hostile file gives
// a Status naming the problem and its byte offset, never a crash or a large
// allocation: each container is sized only after the remaining bytes are
// shown to hold that many elements.
//
// Layout (all little-endian): magic "GGUF", uint32 version, uint64
// n_tensors, uint64 n_kv; n_kv metadata entries (string key, uint32 value
// type, value); n_tensors tensor infos (string name, uint32 n_dims, n_dims x
// uint64 ne, uint32 ggml type, uint64 offset); padding to the alignment
// (metadata `general.alignment`, default 32); the data section, where each
// tensor starts at its offset (a multiple of the alignment). A string is a
// uint64 length and that many bytes. ne[0] is the fastest-varying dimension:
// a matrix of `rows` x `cols` has ne = {cols, rows}.
#ifndef QINS_TOOLS_RUNNER_GGUF_FILE_H_
#define QINS_TOOLS_RUNNER_GGUF_FILE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qins/quantize.h"
#include "qins/status.h"

namespace qins::runner {

// Metadata value types (gguf_type).
enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
// "uint8", ..., "float64"; "type <n>" for values outside the enum.
std::string GgufTypeName(GgufType t);

// ggml tensor types this reader knows the block size of. Only F32, F16, BF16
// and Q8_0 can be read as f32; the others are recognised so that their
// sizes can be checked and the error can name them.
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ8_0 = 8,
  kBF16 = 30,
};
// "F32", "F16", "Q4_K", ... ; "ggml type <n>" for unknown values.
std::string GgmlTypeName(uint32_t type);

// One metadata value. Scalars are widened: unsigned integers and bool in
// `u`, signed integers in `i`, floats in `f`. Arrays keep their elements in
// the mapped file (numeric arrays) or as views into it (strings), so a value
// costs memory proportional to its bytes in the file, not more.
struct GgufValue {
  GgufType type = GgufType::kUint8;
  uint64_t file_offset = 0;  // where the value starts, for messages
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0.0;
  std::string_view str;  // kString (a view into the mapping)
  // kArray:
  GgufType elem_type = GgufType::kUint8;
  uint64_t count = 0;
  const uint8_t* numeric = nullptr;       // numeric/bool elements, raw LE
  std::vector<std::string_view> strings;  // elem_type == kString
  std::vector<GgufValue> arrays;          // elem_type == kArray
};

struct GgufTensorInfo {
  std::string name;
  uint32_t n_dims = 0;
  uint64_t ne[4] = {1, 1, 1, 1};  // ne[0] fastest
  uint32_t type = 0;              // GgmlType value
  uint64_t offset = 0;            // from the start of the data section
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  uint64_t info_offset = 0;  // where its tensor info starts in the file
  // ne[0] (elements per row) and the product of the others.
  uint64_t row_length() const { return ne[0]; }
  uint64_t n_rows() const { return n_elements / ne[0]; }
};

class GgufFile {
 public:
  // Maps and parses `path`. Errors name the file, the byte offset and what
  // is wrong (kDataLoss for malformed content, kUnsupported for a valid
  // feature this reader does not handle, e.g. big-endian files).
  static StatusOr<std::unique_ptr<GgufFile>> Open(const std::string& path);
  // Parses bytes the caller keeps alive for the object's lifetime (fuzzing,
  // tests). `name` is used in messages.
  static StatusOr<std::unique_ptr<GgufFile>> Parse(const uint8_t* data,
                                                   size_t size,
                                                   std::string name);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& name() const { return name_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  size_t size() const { return size_; }

  // Metadata in file order; Find returns null when the key is absent.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const {
    return kv_;
  }
  const GgufValue* Find(std::string_view key) const;
  // Typed getters: the key must exist and hold a compatible type, else the
  // error names the key, the expected and the actual type.
  // GetUint: any integer type with a non-negative value.
  StatusOr<uint64_t> GetUint(std::string_view key) const;
  // GetFloat: float32 or float64.
  StatusOr<double> GetFloat(std::string_view key) const;
  StatusOr<std::string> GetString(std::string_view key) const;
  StatusOr<bool> GetBool(std::string_view key) const;
  // An array of strings, copied out.
  StatusOr<std::vector<std::string>> GetStringArray(std::string_view key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* FindTensor(std::string_view name) const;

  // Tensor `t` as a library matrix in the format that holds its ggml type's
  // bytes (FormatForGgmlType), used in place: a View of the mapping that
  // keeps `owner` alive (pass what keeps this file alive, or null when the
  // matrix does not outlive the file). A tensor that ends within the
  // decoders' read slack of the end of the file is copied. A type without a
  // library format: kUnsupported "unsupported tensor type <name>".
  StatusOr<QuantizedMatrix> Matrix(const GgufTensorInfo& t,
                                   std::shared_ptr<const void> owner) const;
  // Writes rows [row_begin, row_begin + n_rows) of `t` as f32 (row_length()
  // floats each) to `out`, decoded by the library (Matrix, DequantizeRows).
  // Values are converted as stored: NaN/Inf are passed through (callers
  // that need finite weights check; GgufSource does).
  Status ReadRowsF32(const GgufTensorInfo& t, uint64_t row_begin,
                     uint64_t n_rows, float* out) const;

 private:
  GgufFile() = default;
  Status ParseAll();

  std::string name_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool owns_mapping_ = false;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::map<std::string, size_t, std::less<>> kv_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

// IEEE binary16 and bfloat16 bit patterns to float (exact).
float HalfToFloat(uint16_t h);
inline float Bf16ToFloat(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_GGUF_FILE_H_
