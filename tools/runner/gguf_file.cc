#include "tools/runner/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>

#include "qins/context.h"

namespace qins::runner {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian
constexpr int kMaxArrayDepth = 4;        // arrays of arrays of ... strings
constexpr uint32_t kMaxDims = 4;         // GGML_MAX_DIMS

// Block size (elements) and bytes per block of every ggml type the ggml
// headers define today; 0 = unknown. Values as in ggml's type_traits.
struct TypeTraits {
  const char* name;
  uint32_t block;
  uint32_t bytes;
};
TypeTraits Traits(uint32_t t) {
  switch (t) {
    case 0:
      return {"F32", 1, 4};
    case 1:
      return {"F16", 1, 2};
    case 2:
      return {"Q4_0", 32, 18};
    case 3:
      return {"Q4_1", 32, 20};
    case 6:
      return {"Q5_0", 32, 22};
    case 7:
      return {"Q5_1", 32, 24};
    case 8:
      return {"Q8_0", 32, 34};
    case 9:
      return {"Q8_1", 32, 40};
    case 10:
      return {"Q2_K", 256, 84};
    case 11:
      return {"Q3_K", 256, 110};
    case 12:
      return {"Q4_K", 256, 144};
    case 13:
      return {"Q5_K", 256, 176};
    case 14:
      return {"Q6_K", 256, 210};
    case 15:
      return {"Q8_K", 256, 292};
    case 16:
      return {"IQ2_XXS", 256, 66};
    case 17:
      return {"IQ2_XS", 256, 74};
    case 18:
      return {"IQ3_XXS", 256, 98};
    case 19:
      return {"IQ1_S", 256, 50};
    case 20:
      return {"IQ4_NL", 32, 18};
    case 21:
      return {"IQ3_S", 256, 110};
    case 22:
      return {"IQ2_S", 256, 82};
    case 23:
      return {"IQ4_XS", 256, 136};
    case 24:
      return {"I8", 1, 1};
    case 25:
      return {"I16", 1, 2};
    case 26:
      return {"I32", 1, 4};
    case 27:
      return {"I64", 1, 8};
    case 28:
      return {"F64", 1, 8};
    case 29:
      return {"IQ1_M", 256, 56};
    case 30:
      return {"BF16", 1, 2};
    case 34:
      return {"TQ1_0", 256, 54};
    case 35:
      return {"TQ2_0", 256, 66};
    case 39:
      return {"MXFP4", 32, 17};
    default:
      return {nullptr, 0, 0};
  }
}

// Bytes of one scalar of a metadata type; 0 for string/array/unknown.
uint64_t ScalarBytes(GgufType t) {
  switch (t) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool:
      return 1;
    case GgufType::kUint16:
    case GgufType::kInt16:
      return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32:
      return 4;
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64:
      return 8;
    default:
      return 0;
  }
}

bool KnownType(uint32_t t) { return t <= 12; }

template <typename T>
T LoadLe(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // the supported hosts are little-endian
  return v;
}

// A bounds-checked read position in the mapped bytes.
class Cursor {
 public:
  Cursor(const uint8_t* d, size_t n, const std::string& file)
      : d_(d), n_(n), file_(file) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return n_ - pos_; }
  const uint8_t* here() const { return d_ + pos_; }

  Status Error(uint64_t at, const std::string& msg) const {
    return DataLoss(file_ + ": byte " + std::to_string(at) + ": " + msg);
  }
  Status Need(uint64_t bytes, std::string_view what) const {
    if (bytes > remaining()) {
      return Error(pos_, "file truncated: " + std::string(what) + " needs " +
                             std::to_string(bytes) + " bytes, " +
                             std::to_string(remaining()) + " remain");
    }
    return Status::Ok();
  }
  template <typename T>
  Status Read(T* v, std::string_view what) {
    Status s = Need(sizeof(T), what);
    if (!s.ok()) return s;
    *v = LoadLe<T>(d_ + pos_);
    pos_ += sizeof(T);
    return Status::Ok();
  }
  void Skip(uint64_t bytes) { pos_ += bytes; }  // after Need
  Status ReadString(std::string_view* s, std::string_view what) {
    const size_t at = pos_;
    uint64_t len = 0;
    Status st = Read(&len, std::string(what) + " length");
    if (!st.ok()) return st;
    if (len > remaining()) {
      return Error(at, std::string(what) + " length " + std::to_string(len) +
                           " runs past the end of the file (" +
                           std::to_string(remaining()) + " bytes remain)");
    }
    *s = std::string_view(reinterpret_cast<const char*>(d_ + pos_), len);
    pos_ += len;
    return Status::Ok();
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t pos_ = 0;
  const std::string& file_;
};

// The fewest bytes one array element of type t occupies in the file.
uint64_t MinElementBytes(GgufType t) {
  if (t == GgufType::kString) return 8;
  if (t == GgufType::kArray) return 12;
  return ScalarBytes(t);
}

Status ReadValue(Cursor& c, GgufType type, int depth, const std::string& key,
                 GgufValue* v) {
  v->type = type;
  v->file_offset = c.pos();
  const std::string what = "value of '" + key + "'";
  switch (type) {
    case GgufType::kUint8: {
      uint8_t x = 0;
      if (Status s = c.Read(&x, what); !s.ok()) return s;
      v->u = x;
      return Status::Ok();
    }
    case GgufType::kBool: {
      uint8_t x = 0;
      if (Status s = c.Read(&x, what); !s.ok()) return s;
      if (x > 1) {
        return c.Error(v->file_offset, "bool " + what + " is " +
                                           std::to_string(x) + ", not 0 or 1");
      }
      v->u = x;
      return Status::Ok();
    }
    case GgufType::kUint16: {
      uint16_t x = 0;
      if (Status s = c.Read(&x, what); !s.ok()) return s;
      v->u = x;
      return Status::Ok();
    }
    case GgufType::kUint32: {
      uint32_t x = 0;
      if (Status s = c.Read(&x, what); !s.ok()) return s;
      v->u = x;
      return Status::Ok();
    }
    case GgufType::kUint64: {
      if (Status s = c.Read(&v->u, what); !s.ok()) return s;
      return Status::Ok();
    }
    case GgufType::kInt8: {
      int8_t x = 0;
      if (Status s = c.Read(&x, what); !s.ok()) return s;
      v->i = x;
      return Status::Ok();
    }
    case GgufType::kInt16: {
      int16_t x = 0;
      if (Status s = c.Read(&x, what); !s.ok()) return s;
      v->i = x;
      return Status::Ok();
    }
    case GgufType::kInt32: {
      int32_t x = 0;
      if (Status s = c.Read(&x, what); !s.ok()) return s;
      v->i = x;
      return Status::Ok();
    }
    case GgufType::kInt64: {
      if (Status s = c.Read(&v->i, what); !s.ok()) return s;
      return Status::Ok();
    }
    case GgufType::kFloat32: {
      float x = 0;
      if (Status s = c.Read(&x, what); !s.ok()) return s;
      v->f = x;
      return Status::Ok();
    }
    case GgufType::kFloat64: {
      if (Status s = c.Read(&v->f, what); !s.ok()) return s;
      return Status::Ok();
    }
    case GgufType::kString:
      return c.ReadString(&v->str, what);
    case GgufType::kArray:
      break;
  }
  // Array: uint32 element type, uint64 count, elements.
  if (depth >= kMaxArrayDepth) {
    return c.Error(v->file_offset, what + ": arrays nested deeper than " +
                                       std::to_string(kMaxArrayDepth));
  }
  uint32_t et = 0;
  const size_t et_at = c.pos();
  if (Status s = c.Read(&et, what + " array element type"); !s.ok()) return s;
  if (!KnownType(et)) {
    return c.Error(et_at,
                   what + ": unknown array element type " + std::to_string(et));
  }
  v->elem_type = static_cast<GgufType>(et);
  const size_t count_at = c.pos();
  if (Status s = c.Read(&v->count, what + " array count"); !s.ok()) return s;
  // Check the count against the bytes left before reserving anything.
  const uint64_t min_bytes = MinElementBytes(v->elem_type);
  if (v->count > c.remaining() / min_bytes) {
    return c.Error(count_at,
                   what + ": array count " + std::to_string(v->count) + " of " +
                       GgufTypeName(v->elem_type) + " cannot fit in the " +
                       std::to_string(c.remaining()) + " bytes that remain");
  }
  if (v->elem_type == GgufType::kString) {
    v->strings.resize(v->count);
    for (uint64_t k = 0; k < v->count; ++k) {
      if (Status s = c.ReadString(&v->strings[k],
                                  what + " element " + std::to_string(k));
          !s.ok()) {
        return s;
      }
    }
  } else if (v->elem_type == GgufType::kArray) {
    v->arrays.resize(v->count);
    for (uint64_t k = 0; k < v->count; ++k) {
      if (Status s =
              ReadValue(c, GgufType::kArray, depth + 1,
                        key + "[" + std::to_string(k) + "]", &v->arrays[k]);
          !s.ok()) {
        return s;
      }
    }
  } else {
    v->numeric = c.here();
    const uint64_t bytes = v->count * min_bytes;  // fits: checked above
    if (v->elem_type == GgufType::kBool) {
      for (uint64_t k = 0; k < v->count; ++k) {
        if (v->numeric[k] > 1) {
          return c.Error(c.pos() + k, what + ": bool element " +
                                          std::to_string(k) + " is " +
                                          std::to_string(v->numeric[k]));
        }
      }
    }
    c.Skip(bytes);
  }
  return Status::Ok();
}

std::string Dims(const GgufTensorInfo& t) {
  std::string s = "[";
  for (uint32_t d = 0; d < t.n_dims; ++d) {
    s += (d ? ", " : "") + std::to_string(t.ne[d]);
  }
  return s + "]";
}

}  // namespace

std::string GgufTypeName(GgufType t) {
  static const char* const kNames[] = {
      "uint8", "int8",   "uint16", "int16",  "uint32", "int32",  "float32",
      "bool",  "string", "array",  "uint64", "int64",  "float64"};
  const uint32_t v = static_cast<uint32_t>(t);
  return v <= 12 ? kNames[v] : "type " + std::to_string(v);
}

std::string GgmlTypeName(uint32_t type) {
  const TypeTraits tr = Traits(type);
  return tr.name ? tr.name : "ggml type " + std::to_string(type);
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // Inf / NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    int e = 113;
    while ((mant & 0x400) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

StatusOr<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  // O_NONBLOCK: a FIFO is refused below instead of waiting for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return InvalidArgument(path + ": cannot open: " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgument(path + ": not a regular file");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return DataLoss(path + ": file is empty (0 bytes), not a GGUF file");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);
  if (map == MAP_FAILED) {
    return Status(StatusCode::kResourceExhausted,
                  path + ": mmap failed: " + std::strerror(map_errno));
  }
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->name_ = path;
  f->data_ = static_cast<const uint8_t*>(map);
  f->size_ = size;
  f->owns_mapping_ = true;
  if (Status s = f->ParseAll(); !s.ok()) return s;
  return f;
}

StatusOr<std::unique_ptr<GgufFile>> GgufFile::Parse(const uint8_t* data,
                                                    size_t size,
                                                    std::string name) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->name_ = std::move(name);
  f->data_ = data;
  f->size_ = size;
  if (Status s = f->ParseAll(); !s.ok()) return s;
  return f;
}

GgufFile::~GgufFile() {
  if (owns_mapping_ && data_ != nullptr) {
    ::munmap(const_cast<uint8_t*>(data_), size_);
  }
}

Status GgufFile::ParseAll() {
  Cursor c(data_, size_, name_);
  uint32_t magic = 0;
  if (Status s = c.Read(&magic, "magic"); !s.ok()) return s;
  if (magic != kMagic) {
    return c.Error(0, "bad magic: not a GGUF file (expected \"GGUF\")");
  }
  if (Status s = c.Read(&version_, "version"); !s.ok()) return s;
  if (version_ == 1) {
    return Unsupported(name_ +
                       ": byte 4: GGUF version 1 is not supported "
                       "(32-bit counts); convert the file to v3");
  }
  if (version_ != 2 && version_ != 3) {
    // A big-endian v2/v3 file reads as 0x02000000 / 0x03000000 here.
    if (version_ == 0x02000000u || version_ == 0x03000000u) {
      return Unsupported(name_ + ": byte 4: big-endian GGUF is not supported");
    }
    return c.Error(4, "unsupported GGUF version " + std::to_string(version_) +
                          " (this reader handles 2 and 3)");
  }
  uint64_t n_tensors = 0, n_kv = 0;
  if (Status s = c.Read(&n_tensors, "tensor count"); !s.ok()) return s;
  if (Status s = c.Read(&n_kv, "metadata count"); !s.ok()) return s;
  // Smallest entries: a key-value is a key length, a type and one byte; a
  // tensor info is a name length, n_dims, one dim, a type and an offset.
  if (n_kv > c.remaining() / 13) {
    return c.Error(
        16, "metadata count " + std::to_string(n_kv) + " cannot fit in the " +
                std::to_string(c.remaining()) + " bytes that remain");
  }
  if (n_tensors > c.remaining() / 32) {
    return c.Error(8, "tensor count " + std::to_string(n_tensors) +
                          " cannot fit in the " +
                          std::to_string(c.remaining()) + " bytes that remain");
  }

  kv_.reserve(n_kv);
  for (uint64_t k = 0; k < n_kv; ++k) {
    const size_t at = c.pos();
    std::string_view key;
    if (Status s = c.ReadString(&key, "metadata key " + std::to_string(k));
        !s.ok()) {
      return s;
    }
    if (key.empty())
      return c.Error(at, "metadata key " + std::to_string(k) + " is empty");
    const std::string skey(key);
    if (kv_index_.count(skey)) {
      return c.Error(at, "duplicate metadata key '" + skey + "'");
    }
    uint32_t type = 0;
    const size_t type_at = c.pos();
    if (Status s = c.Read(&type, "type of '" + skey + "'"); !s.ok()) return s;
    if (!KnownType(type)) {
      return c.Error(type_at, "metadata '" + skey + "' has unknown type " +
                                  std::to_string(type));
    }
    GgufValue v;
    if (Status s = ReadValue(c, static_cast<GgufType>(type), 0, skey, &v);
        !s.ok()) {
      return s;
    }
    kv_index_.emplace(skey, kv_.size());
    kv_.emplace_back(skey, std::move(v));
  }

  if (const GgufValue* a = Find("general.alignment")) {
    if (a->type != GgufType::kUint32) {
      return c.Error(a->file_offset, "general.alignment has type " +
                                         GgufTypeName(a->type) +
                                         ", expected uint32");
    }
    if (a->u == 0 || (a->u & (a->u - 1)) != 0) {
      return c.Error(a->file_offset, "general.alignment " +
                                         std::to_string(a->u) +
                                         " is not a power of two");
    }
    alignment_ = a->u;
  }

  tensors_.reserve(n_tensors);
  for (uint64_t k = 0; k < n_tensors; ++k) {
    GgufTensorInfo t;
    t.info_offset = c.pos();
    std::string_view name;
    if (Status s = c.ReadString(&name, "tensor " + std::to_string(k) + " name");
        !s.ok()) {
      return s;
    }
    t.name = std::string(name);
    const std::string what = "tensor '" + t.name + "'";
    if (tensor_index_.count(t.name)) {
      return c.Error(t.info_offset, "duplicate " + what);
    }
    const size_t dims_at = c.pos();
    if (Status s = c.Read(&t.n_dims, what + " n_dims"); !s.ok()) return s;
    if (t.n_dims == 0 || t.n_dims > kMaxDims) {
      return c.Error(dims_at, what + " has n_dims " + std::to_string(t.n_dims) +
                                  " (must be 1.." + std::to_string(kMaxDims) +
                                  ")");
    }
    t.n_elements = 1;
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      const size_t at = c.pos();
      if (Status s = c.Read(&t.ne[d], what + " dimension " + std::to_string(d));
          !s.ok()) {
        return s;
      }
      if (t.ne[d] == 0 || t.ne[d] > static_cast<uint64_t>(
                                        std::numeric_limits<int64_t>::max())) {
        return c.Error(at, what + " dimension " + std::to_string(d) + " is " +
                               std::to_string(t.ne[d]));
      }
      if (__builtin_mul_overflow(t.n_elements, t.ne[d], &t.n_elements) ||
          t.n_elements >
              static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return c.Error(
            at, what + ": element count of dims " + Dims(t) + " overflows");
      }
    }
    const size_t type_at = c.pos();
    if (Status s = c.Read(&t.type, what + " type"); !s.ok()) return s;
    const TypeTraits tr = Traits(t.type);
    if (tr.name == nullptr) {
      return c.Error(type_at,
                     what + " has unknown ggml type " + std::to_string(t.type));
    }
    if (t.ne[0] % tr.block != 0) {
      return c.Error(dims_at, what + " row length " + std::to_string(t.ne[0]) +
                                  " is not a multiple of the " + tr.name +
                                  " block size " + std::to_string(tr.block));
    }
    // n_elements < 2^63 and bytes/block <= 292 < 2^9 keeps this in range
    // only when divided first.
    if (__builtin_mul_overflow(t.n_elements / tr.block, uint64_t{tr.bytes},
                               &t.n_bytes)) {
      return c.Error(dims_at,
                     what + ": byte size of dims " + Dims(t) + " overflows");
    }
    const size_t off_at = c.pos();
    if (Status s = c.Read(&t.offset, what + " offset"); !s.ok()) return s;
    if (t.offset % alignment_ != 0) {
      return c.Error(off_at, what + " offset " + std::to_string(t.offset) +
                                 " is not a multiple of the alignment " +
                                 std::to_string(alignment_));
    }
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t end_of_infos = c.pos();
  const uint64_t pad = (alignment_ - end_of_infos % alignment_) % alignment_;
  data_offset_ = end_of_infos + pad;  // no overflow: both < 2^63
  if (tensors_.empty()) return Status::Ok();
  if (data_offset_ > size_) {
    return c.Error(end_of_infos, "data section would start at byte " +
                                     std::to_string(data_offset_) +
                                     ", past the end of the file (" +
                                     std::to_string(size_) + " bytes)");
  }
  const uint64_t data_size = size_ - data_offset_;
  for (const GgufTensorInfo& t : tensors_) {
    uint64_t end = 0;
    if (__builtin_add_overflow(t.offset, t.n_bytes, &end) || end > data_size) {
      return c.Error(t.info_offset,
                     "tensor '" + t.name + "' (" + GgmlTypeName(t.type) + " " +
                         Dims(t) + ", " + std::to_string(t.n_bytes) +
                         " bytes at data offset " + std::to_string(t.offset) +
                         ") runs past the end of the data section (" +
                         std::to_string(data_size) + " bytes)");
    }
  }
  // No two tensors may share bytes: overlapping data ranges make one
  // tensor's weights another's (llama.cpp's writer never produces them).
  std::vector<size_t> order(tensors_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensors_[a].offset < tensors_[b].offset;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const GgufTensorInfo& a = tensors_[order[i - 1]];
    const GgufTensorInfo& b = tensors_[order[i]];
    if (b.offset < a.offset + a.n_bytes) {
      return c.Error(b.info_offset,
                     "tensor '" + b.name + "' (data bytes [" +
                         std::to_string(b.offset) + ", " +
                         std::to_string(b.offset + b.n_bytes) +
                         ")) overlaps tensor '" + a.name + "' (data bytes [" +
                         std::to_string(a.offset) + ", " +
                         std::to_string(a.offset + a.n_bytes) + "))");
    }
  }
  return Status::Ok();
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

namespace {
Status Missing(const std::string& file, std::string_view key) {
  return DataLoss(file + ": missing metadata key '" + std::string(key) + "'");
}
Status WrongType(const std::string& file, std::string_view key,
                 const GgufValue& v, const char* expected) {
  return DataLoss(file + ": byte " + std::to_string(v.file_offset) +
                  ": metadata '" + std::string(key) + "' has type " +
                  GgufTypeName(v.type) + ", expected " + expected);
}
}  // namespace

StatusOr<uint64_t> GgufFile::GetUint(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(name_, key);
  switch (v->type) {
    case GgufType::kUint8:
    case GgufType::kUint16:
    case GgufType::kUint32:
    case GgufType::kUint64:
      return v->u;
    case GgufType::kInt8:
    case GgufType::kInt16:
    case GgufType::kInt32:
    case GgufType::kInt64:
      if (v->i < 0) {
        return DataLoss(name_ + ": byte " + std::to_string(v->file_offset) +
                        ": metadata '" + std::string(key) + "' is negative (" +
                        std::to_string(v->i) + ")");
      }
      return static_cast<uint64_t>(v->i);
    default:
      return WrongType(name_, key, *v, "an integer");
  }
}

StatusOr<double> GgufFile::GetFloat(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(name_, key);
  if (v->type != GgufType::kFloat32 && v->type != GgufType::kFloat64) {
    return WrongType(name_, key, *v, "float32 or float64");
  }
  return v->f;
}

StatusOr<std::string> GgufFile::GetString(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(name_, key);
  if (v->type != GgufType::kString) return WrongType(name_, key, *v, "string");
  return std::string(v->str);
}

StatusOr<bool> GgufFile::GetBool(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(name_, key);
  if (v->type != GgufType::kBool) return WrongType(name_, key, *v, "bool");
  return v->u != 0;
}

StatusOr<std::vector<std::string>> GgufFile::GetStringArray(
    std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(name_, key);
  if (v->type != GgufType::kArray || v->elem_type != GgufType::kString) {
    return DataLoss(name_ + ": byte " + std::to_string(v->file_offset) +
                    ": metadata '" + std::string(key) +
                    "' is not an array "
                    "of strings");
  }
  return std::vector<std::string>(v->strings.begin(), v->strings.end());
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

StatusOr<QuantizedMatrix> GgufFile::Matrix(
    const GgufTensorInfo& t, std::shared_ptr<const void> owner) const {
  StatusOr<Format> format = FormatForGgmlType(t.type);
  if (!format.ok()) {
    return Unsupported(name_ + ": tensor '" + t.name +
                       "': unsupported tensor type " + GgmlTypeName(t.type) +
                       " (" + format.status().message() + ")");
  }
  const uint64_t rows = t.n_rows(), cols = t.row_length();
  const uint64_t row_bytes = t.n_bytes / rows;
  const uint64_t start = data_offset_ + t.offset;  // checked by ParseAll
  StatusOr<QuantizedMatrix> m =
      QuantizedMatrix::View(*format, rows, cols, data_ + start, row_bytes,
                            size_ - start, std::move(owner));
  if (m.ok()) return m;
  if (m.status().code() != StatusCode::kOutOfRange) {
    return Status(m.status().code(),
                  name_ + ": tensor '" + t.name + "': " + m.status().message());
  }
  // Too close to the end of the file for the decoders' read slack: a view
  // of a copy with the slack (the last tensor of a file; usually a norm).
  auto copy = std::make_shared<std::vector<uint8_t>>(
      t.n_bytes + QuantizedMatrix::kReadSlack, uint8_t{0});
  std::memcpy(copy->data(), data_ + start, t.n_bytes);
  const uint8_t* bytes = copy->data();
  const size_t size = copy->size();  // before the move below
  return QuantizedMatrix::View(*format, rows, cols, bytes, row_bytes, size,
                               std::move(copy));
}

Status GgufFile::ReadRowsF32(const GgufTensorInfo& t, uint64_t row_begin,
                             uint64_t n_rows, float* out) const {
  uint64_t row_end = 0;
  if (__builtin_add_overflow(row_begin, n_rows, &row_end) ||
      row_end > t.n_rows()) {
    return OutOfRange(name_ + ": tensor '" + t.name + "': rows [" +
                      std::to_string(row_begin) + ", +" +
                      std::to_string(n_rows) + ") outside its " +
                      std::to_string(t.n_rows()) + " rows");
  }
  if (n_rows == 0) return Status::Ok();
  // The library's decoder of the format holding the type's bytes: one
  // decoder per format (bit-identical to gguf-py's dequantize, tested).
  StatusOr<QuantizedMatrix> m = Matrix(t, nullptr);
  if (!m.ok()) return m.status();
  static const Context* const ctx = [] {
    ContextOptions o;
    o.num_threads = 1;
    StatusOr<Context> c = Context::Create(o);
    return c.ok() ? new Context(*c) : nullptr;
  }();
  if (ctx == nullptr)
    return Status(StatusCode::kInternal, name_ + ": no decoding context");
  return DequantizeRows(*ctx, *m, row_begin, n_rows, out);
}

}  // namespace qins::runner
