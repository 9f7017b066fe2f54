#include "tools/runner/qins_model_file.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "qins/format.h"
#include "tools/runner/mapped_file.h"

namespace qins::runner {
namespace {

constexpr size_t kHeaderBytes = 128;
constexpr size_t kEntryBytes = 96;
constexpr size_t kNameBytes = 32;
constexpr uint64_t kPayloadAlign = 64;
constexpr int64_t kMaxSize = int64_t{1} << 24;

bool IsNorm(TensorClass t) {
  return t == TensorClass::kAttnNorm || t == TensorClass::kFfnNorm ||
         t == TensorClass::kFinalNorm;
}
bool IsGlobal(TensorClass t) {
  return t == TensorClass::kEmbedding || t == TensorClass::kOutput ||
         t == TensorClass::kFinalNorm;
}

// One tensor to write: a matrix or a norm vector.
struct Item {
  TensorClass cls;
  int layer;  // -1 for global tensors
  const QuantizedMatrix* m = nullptr;
  const std::vector<float>* norm = nullptr;
};

std::vector<Item> Items(const ModelWeights& w) {
  std::vector<Item> items;
  items.push_back({TensorClass::kEmbedding, -1, &w.token_embedding});
  if (!w.config.tied_classifier) {
    items.push_back({TensorClass::kOutput, -1, &w.output});
  }
  items.push_back({TensorClass::kFinalNorm, -1, nullptr, &w.final_norm});
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& L = w.layers[l];
    const int li = static_cast<int>(l);
    items.push_back({TensorClass::kAttnNorm, li, nullptr, &L.attn_norm});
    items.push_back({TensorClass::kAttnQ, li, &L.wq});
    items.push_back({TensorClass::kAttnK, li, &L.wk});
    items.push_back({TensorClass::kAttnV, li, &L.wv});
    items.push_back({TensorClass::kAttnO, li, &L.wo});
    items.push_back({TensorClass::kFfnNorm, li, nullptr, &L.ffn_norm});
    items.push_back({TensorClass::kFfnGate, li, &L.w_gate});
    items.push_back({TensorClass::kFfnUp, li, &L.w_up});
    items.push_back({TensorClass::kFfnDown, li, &L.w_down});
  }
  return items;
}

std::string ItemName(TensorClass t, int layer) {
  std::string s = TensorClassName(t);
  if (layer >= 0) s += " of layer " + std::to_string(layer);
  return s;
}

template <typename T>
void Put(std::vector<uint8_t>& b, size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof(T));
}
template <typename T>
T Get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
uint64_t AlignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

Status WriteModelFile(const ModelWeights& w, const std::string& path) {
  const ModelConfig& c = w.config;
  if (Status s = ValidateConfig(c); !s.ok()) return s;
  // The file's header holds the Llama hyperparameters only: a Gemma 3 model
  // written there would come back without its extra norms and windows.
  if (c.arch != Arch::kLlama || c.head_size != 0 || c.sliding_window != 0 ||
      c.final_logit_softcap != 0) {
    return Unsupported(std::string("WriteModelFile: converted-model files "
                                   "hold llama models only, not ") +
                       ArchName(c.arch) +
                       " (convert the GGUF on load instead)");
  }
  if (w.layers.size() != static_cast<size_t>(c.n_layers)) {
    return InvalidArgument(
        "WriteModelFile: " + std::to_string(w.layers.size()) +
        " layers, config says " + std::to_string(c.n_layers));
  }
  if (!w.vocab.empty() && w.vocab.size() != static_cast<size_t>(c.vocab_size)) {
    return InvalidArgument("WriteModelFile: " + std::to_string(w.vocab.size()) +
                           " vocab pieces, config says " +
                           std::to_string(c.vocab_size));
  }
  const std::vector<Item> items = Items(w);
  // Check shapes, lay out the file.
  uint64_t pos = kHeaderBytes + w.source.size();
  for (const std::string& p : w.vocab) pos += 4 + p.size();
  pos = AlignUp(pos, 8);
  const uint64_t dir_offset = pos;
  pos += kEntryBytes * items.size();
  struct Place {
    uint64_t params_offset, payload_offset, payload_bytes, row_payload;
    uint32_t params_per_row, n_tensor_params;
    std::string format;
  };
  std::vector<Place> places(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    size_t rows = 0, cols = 0;
    TensorShape(c, it.cls, &rows, &cols);
    Place& p = places[i];
    if (it.norm != nullptr) {
      if (it.norm->size() != cols) {
        return InvalidArgument("WriteModelFile: " + ItemName(it.cls, it.layer) +
                               " has " + std::to_string(it.norm->size()) +
                               " values, expected " + std::to_string(cols));
      }
      p.format = "f32";
      p.row_payload = 4 * cols;
      p.params_per_row = p.n_tensor_params = 0;
    } else {
      const QuantizedMatrix& m = *it.m;
      if (m.empty() || m.rows() != rows || m.cols() != cols) {
        return InvalidArgument("WriteModelFile: " + ItemName(it.cls, it.layer) +
                               " is " +
                               (m.empty() ? std::string("missing")
                                          : std::to_string(m.rows()) + " x " +
                                                std::to_string(m.cols())) +
                               ", expected " + std::to_string(rows) + " x " +
                               std::to_string(cols));
      }
      p.format = FormatName(m.format());
      if (p.format.size() >= kNameBytes) {
        return InvalidArgument("WriteModelFile: format name '" + p.format +
                               "' longer than 31 bytes");
      }
      p.row_payload = m.row_payload_bytes();
      p.params_per_row = static_cast<uint32_t>(m.params_per_row());
      p.n_tensor_params = static_cast<uint32_t>(m.tensor_params().size());
    }
    p.params_offset = pos;
    pos += 4 * (uint64_t{p.params_per_row} * rows + p.n_tensor_params);
    pos = AlignUp(pos, kPayloadAlign);
    p.payload_offset = pos;
    p.payload_bytes = p.row_payload * rows;
    pos += p.payload_bytes;
  }
  const uint64_t file_size = pos;

  // Header, source, vocab and directory in one buffer; then the blocks.
  std::vector<uint8_t> head(dir_offset + kEntryBytes * items.size(), 0);
  std::memcpy(head.data(), kModelFileMagic, 8);
  Put<uint32_t>(head, 8, kModelFileVersion);
  Put<uint32_t>(head, 12, kHeaderBytes);
  Put<uint64_t>(head, 16, file_size);
  const int32_t ints[7] = {c.dim,        c.hidden_dim, c.n_layers, c.n_heads,
                           c.n_kv_heads, c.vocab_size, c.seq_len};
  for (int k = 0; k < 7; ++k) Put<int32_t>(head, 24 + 4 * k, ints[k]);
  Put<float>(head, 52, c.rope_theta);
  Put<float>(head, 56, c.norm_eps);
  Put<uint32_t>(head, 60, c.tied_classifier ? 1 : 0);
  Put<int32_t>(head, 64, c.bos_id);
  Put<int32_t>(head, 68, c.eos_id);
  Put<uint32_t>(head, 72, static_cast<uint32_t>(items.size()));
  Put<uint32_t>(head, 76, static_cast<uint32_t>(w.vocab.size()));
  Put<uint32_t>(head, 80, static_cast<uint32_t>(w.source.size()));
  size_t at = kHeaderBytes;
  std::memcpy(head.data() + at, w.source.data(), w.source.size());
  at += w.source.size();
  for (const std::string& p : w.vocab) {
    Put<uint32_t>(head, at, static_cast<uint32_t>(p.size()));
    std::memcpy(head.data() + at + 4, p.data(), p.size());
    at += 4 + p.size();
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const size_t e = dir_offset + kEntryBytes * i;
    size_t rows = 0, cols = 0;
    TensorShape(c, items[i].cls, &rows, &cols);
    Put<uint32_t>(head, e, static_cast<uint32_t>(items[i].cls));
    Put<int32_t>(head, e + 4, items[i].layer);
    std::memcpy(head.data() + e + 8, places[i].format.data(),
                places[i].format.size());
    Put<uint64_t>(head, e + 40, rows);
    Put<uint64_t>(head, e + 48, cols);
    Put<uint64_t>(head, e + 56, places[i].row_payload);
    Put<uint32_t>(head, e + 64, places[i].params_per_row);
    Put<uint32_t>(head, e + 68, places[i].n_tensor_params);
    Put<uint64_t>(head, e + 72, places[i].params_offset);
    Put<uint64_t>(head, e + 80, places[i].payload_offset);
  }

  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return InvalidArgument(path + ": cannot create: " + std::strerror(errno));
  }
  bool ok = std::fwrite(head.data(), 1, head.size(), f) == head.size();
  uint64_t written = head.size();
  static const uint8_t kZeros[kPayloadAlign] = {};
  auto pad_to = [&](uint64_t target) {
    while (ok && written < target) {
      const size_t n = static_cast<size_t>(
          std::min<uint64_t>(target - written, kPayloadAlign));
      ok = std::fwrite(kZeros, 1, n, f) == n;
      written += n;
    }
  };
  for (size_t i = 0; i < items.size() && ok; ++i) {
    const Item& it = items[i];
    const Place& p = places[i];
    pad_to(p.params_offset);
    if (it.m != nullptr) {
      const QuantizedMatrix& m = *it.m;
      for (size_t r = 0; r < m.rows() && ok && p.params_per_row; ++r) {
        ok = std::fwrite(m.row_params(r), 4, p.params_per_row, f) ==
             p.params_per_row;
      }
      written += 4ull * p.params_per_row * m.rows();
      if (ok && p.n_tensor_params) {
        ok = std::fwrite(m.tensor_params().data(), 4, p.n_tensor_params, f) ==
             p.n_tensor_params;
      }
      written += 4ull * p.n_tensor_params;
      pad_to(p.payload_offset);
      for (size_t r = 0; r < m.rows() && ok; ++r) {
        ok = std::fwrite(m.row(r), 1, p.row_payload, f) == p.row_payload;
      }
      written += p.payload_bytes;
    } else {
      pad_to(p.payload_offset);
      ok = ok && std::fwrite(it.norm->data(), 4, it.norm->size(), f) ==
                     it.norm->size();
      written += p.payload_bytes;
    }
  }
  ok = std::fclose(f) == 0 && ok;
  if (!ok || written != file_size) {
    return Status(StatusCode::kInternal,
                  path + ": write failed: " + std::strerror(errno));
  }
  return Status::Ok();
}

StatusOr<ModelWeights> ParseModelFile(const uint8_t* d, size_t size,
                                      const std::string& name) {
  auto err = [&](uint64_t at, const std::string& m) {
    return DataLoss(name + ": byte " + std::to_string(at) + ": " + m);
  };
  if (size < kHeaderBytes) {
    return err(size, "file truncated: the header needs " +
                         std::to_string(kHeaderBytes) +
                         " bytes, the file has " + std::to_string(size));
  }
  if (std::memcmp(d, kModelFileMagic, 8) != 0) {
    return err(0, "bad magic: not a qins model file (expected \"QINSMDL\")");
  }
  const uint32_t version = Get<uint32_t>(d + 8);
  if (version != kModelFileVersion) {
    return Unsupported(name + ": byte 8: model file version " +
                       std::to_string(version) + " (this reader handles " +
                       std::to_string(kModelFileVersion) + ")");
  }
  if (Get<uint32_t>(d + 12) != kHeaderBytes) {
    return err(12, "header size " + std::to_string(Get<uint32_t>(d + 12)) +
                       ", expected 128");
  }
  const uint64_t recorded = Get<uint64_t>(d + 16);
  if (recorded != size) {
    return err(16, "the header records " + std::to_string(recorded) +
                       " bytes but the file has " + std::to_string(size) +
                       (recorded > size ? " (truncated)" : ""));
  }
  for (size_t k = 84; k < kHeaderBytes; ++k) {
    if (d[k] != 0) return err(k, "reserved header byte is not zero");
  }
  ModelWeights w;
  ModelConfig& c = w.config;
  int32_t ints[7];
  for (int k = 0; k < 7; ++k) {
    ints[k] = Get<int32_t>(d + 24 + 4 * k);
    if (ints[k] > kMaxSize) {
      return err(24 + 4 * k, "config field " + std::to_string(k) + " = " +
                                 std::to_string(ints[k]) + " exceeds 2^24");
    }
  }
  c.dim = ints[0], c.hidden_dim = ints[1], c.n_layers = ints[2];
  c.n_heads = ints[3], c.n_kv_heads = ints[4], c.vocab_size = ints[5];
  c.seq_len = ints[6];
  c.rope_theta = Get<float>(d + 52);
  c.norm_eps = Get<float>(d + 56);
  const uint32_t tied = Get<uint32_t>(d + 60);
  if (tied > 1) return err(60, "tied_classifier is " + std::to_string(tied));
  c.tied_classifier = tied == 1;
  c.bos_id = Get<int32_t>(d + 64);
  c.eos_id = Get<int32_t>(d + 68);
  if (Status s = ValidateConfig(c); !s.ok()) {
    return err(24, "config: " + s.message());
  }
  if (!(std::isfinite(c.rope_theta) && c.rope_theta > 1.0f) ||
      !(std::isfinite(c.norm_eps) && c.norm_eps > 0.0f && c.norm_eps < 1.0f)) {
    return err(52, "rope_theta or norm_eps is not usable");
  }
  if (c.bos_id < 0 || c.bos_id >= c.vocab_size || c.eos_id < -1 ||
      c.eos_id >= c.vocab_size) {
    return err(64, "bos_id or eos_id outside the vocabulary");
  }
  const uint32_t n_tensors = Get<uint32_t>(d + 72);
  const uint32_t n_vocab = Get<uint32_t>(d + 76);
  const uint32_t source_len = Get<uint32_t>(d + 80);
  const uint64_t expected_tensors =
      2 + (c.tied_classifier ? 0 : 1) + 9 * uint64_t(c.n_layers);
  if (n_tensors != expected_tensors) {
    return err(72, "tensor count " + std::to_string(n_tensors) +
                       ", the config implies " +
                       std::to_string(expected_tensors));
  }
  uint64_t pos = kHeaderBytes;
  if (source_len > size - pos) {
    return err(80, "source length " + std::to_string(source_len) +
                       " runs past the end of the file");
  }
  w.source.assign(reinterpret_cast<const char*>(d + pos), source_len);
  pos += source_len;
  if (n_vocab != 0 && n_vocab != static_cast<uint32_t>(c.vocab_size)) {
    return err(76, "vocab has " + std::to_string(n_vocab) +
                       " pieces, the config " + std::to_string(c.vocab_size));
  }
  if (n_vocab > (size - pos) / 4) {
    return err(76, "vocab count " + std::to_string(n_vocab) +
                       " cannot fit in the remaining bytes");
  }
  w.vocab.reserve(n_vocab);  // each piece takes >= 4 bytes of the file
  for (uint32_t k = 0; k < n_vocab; ++k) {
    if (size - pos < 4)
      return err(pos, "file truncated in vocab piece " + std::to_string(k));
    const uint32_t len = Get<uint32_t>(d + pos);
    if (len > size - pos - 4) {
      return err(pos, "vocab piece " + std::to_string(k) + " length " +
                          std::to_string(len) + " runs past the end");
    }
    w.vocab.emplace_back(reinterpret_cast<const char*>(d + pos + 4), len);
    pos += 4 + len;
  }
  const uint64_t dir = AlignUp(pos, 8);
  if (dir > size || uint64_t{n_tensors} * kEntryBytes > size - dir) {
    return err(pos, "tensor directory (" + std::to_string(n_tensors) +
                        " entries) runs past the end of the file");
  }
  w.layers.resize(c.n_layers);
  std::set<std::pair<int, int>> seen;
  // Every parameter block and payload must lie after the directory and share
  // no byte with another: [begin, end) and what it is, checked at the end.
  const uint64_t dir_end = dir + uint64_t{n_tensors} * kEntryBytes;
  struct Range {
    uint64_t begin, end;
    std::string what;
    uint64_t field;  // where its offset is recorded
  };
  std::vector<Range> ranges;
  for (uint32_t i = 0; i < n_tensors; ++i) {
    const uint8_t* e = d + dir + kEntryBytes * i;
    const uint64_t eo = dir + kEntryBytes * i;
    const uint32_t cls_raw = Get<uint32_t>(e);
    if (cls_raw > static_cast<uint32_t>(TensorClass::kFinalNorm)) {
      return err(eo, "unknown tensor class " + std::to_string(cls_raw));
    }
    const TensorClass cls = static_cast<TensorClass>(cls_raw);
    const int32_t layer = Get<int32_t>(e + 4);
    if (IsGlobal(cls) ? layer != -1 : (layer < 0 || layer >= c.n_layers)) {
      return err(eo + 4, std::string(TensorClassName(cls)) + " has layer " +
                             std::to_string(layer));
    }
    if (cls == TensorClass::kOutput && c.tied_classifier) {
      return err(eo, "output tensor in a model with a tied classifier");
    }
    if (!seen.insert({static_cast<int>(cls), layer}).second) {
      return err(eo, "duplicate " + ItemName(cls, layer));
    }
    const std::string what = ItemName(cls, layer);
    const char* fname = reinterpret_cast<const char*>(e + 8);
    const size_t fname_len = strnlen(fname, kNameBytes);
    if (fname_len == kNameBytes) {
      return err(eo + 8, what + ": format name is not NUL-terminated");
    }
    for (size_t k = fname_len; k < kNameBytes; ++k) {
      if (fname[k] != 0) {
        return err(eo + 8 + k, what +
                                   ": format name has non-zero bytes after "
                                   "its NUL terminator");
      }
    }
    for (size_t k = 88; k < kEntryBytes; ++k) {
      if (e[k] != 0) {
        return err(eo + k, what + ": reserved directory byte is not zero");
      }
    }
    const std::string format_name(fname, fname_len);
    const uint64_t rows = Get<uint64_t>(e + 40), cols = Get<uint64_t>(e + 48);
    const uint64_t row_payload = Get<uint64_t>(e + 56);
    const uint32_t ppr = Get<uint32_t>(e + 64), ntp = Get<uint32_t>(e + 68);
    const uint64_t params_off = Get<uint64_t>(e + 72);
    const uint64_t payload_off = Get<uint64_t>(e + 80);
    size_t want_rows = 0, want_cols = 0;
    TensorShape(c, cls, &want_rows, &want_cols);
    if (rows != want_rows || cols != want_cols) {
      return err(eo + 40, what + " is " + std::to_string(rows) + " x " +
                              std::to_string(cols) + ", the config says " +
                              std::to_string(want_rows) + " x " +
                              std::to_string(want_cols));
    }
    // rows, cols < 2^24 here, so these products cannot overflow.
    const uint64_t n_params = uint64_t{ppr} * rows + ntp;
    uint64_t payload_bytes = 0;
    if (__builtin_mul_overflow(row_payload, rows, &payload_bytes)) {
      return err(eo + 56, what + ": payload size overflows");
    }
    if (params_off > size || n_params > (size - params_off) / 4) {
      return err(eo + 72, what + ": parameters (" + std::to_string(n_params) +
                              " floats at byte " + std::to_string(params_off) +
                              ") run past the end of the file");
    }
    if (payload_off % kPayloadAlign != 0) {
      return err(eo + 80, what + ": payload offset " +
                              std::to_string(payload_off) +
                              " is not a multiple of 64");
    }
    if (payload_off > size || payload_bytes > size - payload_off) {
      return err(eo + 80, what + ": payload (" + std::to_string(payload_bytes) +
                              " bytes at byte " + std::to_string(payload_off) +
                              ") runs past the end of the file");
    }
    if (n_params > 0) {
      if (params_off < dir_end) {
        return err(eo + 72, what + ": parameters at byte " +
                                std::to_string(params_off) +
                                " lie inside the header or the directory "
                                "(which ends at byte " +
                                std::to_string(dir_end) + ")");
      }
      ranges.push_back({params_off, params_off + 4 * n_params,
                        "parameters of " + what, eo + 72});
    }
    if (payload_bytes > 0) {
      if (payload_off < dir_end) {
        return err(eo + 80, what + ": payload at byte " +
                                std::to_string(payload_off) +
                                " lies inside the header or the directory "
                                "(which ends at byte " +
                                std::to_string(dir_end) + ")");
      }
      ranges.push_back({payload_off, payload_off + payload_bytes,
                        "payload of " + what, eo + 80});
    }
    const uint8_t* payload = d + payload_off;
    if (IsNorm(cls)) {
      if (format_name != "f32" || row_payload != 4 * cols || n_params != 0) {
        return err(eo + 8, what + ": a norm must be format f32 with " +
                               std::to_string(4 * cols) +
                               " payload bytes and no parameters");
      }
      std::vector<float> v(cols);
      std::memcpy(v.data(), payload, 4 * cols);
      for (size_t k = 0; k < cols; ++k) {
        if (!std::isfinite(v[k])) {
          return err(payload_off + 4 * k,
                     what + " value " + std::to_string(k) + " is not finite");
        }
      }
      if (cls == TensorClass::kFinalNorm) {
        w.final_norm = std::move(v);
      } else if (cls == TensorClass::kAttnNorm) {
        w.layers[layer].attn_norm = std::move(v);
      } else {
        w.layers[layer].ffn_norm = std::move(v);
      }
      continue;
    }
    StatusOr<Format> format = ParseFormat(format_name);
    if (!format.ok()) {
      return err(eo + 8, what + ": " + format.status().message());
    }
    std::vector<float> row_params(uint64_t{ppr} * rows), tensor_params(ntp);
    if (!row_params.empty()) {  // memcpy from/to null is undefined even for 0
      std::memcpy(row_params.data(), d + params_off, 4 * row_params.size());
    }
    if (!tensor_params.empty()) {
      std::memcpy(tensor_params.data(), d + params_off + 4 * row_params.size(),
                  4 * tensor_params.size());
    }
    StatusOr<QuantizedMatrix> m = QuantizedMatrix::FromParts(
        *format, rows, cols, payload, payload_bytes, row_params, tensor_params);
    if (!m.ok()) {
      return Status(m.status().code(), name + ": " + what + " (" + format_name +
                                           "): " + m.status().message());
    }
    if (m->row_payload_bytes() != row_payload) {
      return err(eo + 56, what + ": row payload " +
                              std::to_string(row_payload) + " bytes, " +
                              format_name + " uses " +
                              std::to_string(m->row_payload_bytes()));
    }
    QuantizedMatrix* slot = nullptr;
    LayerWeights* L = layer >= 0 ? &w.layers[layer] : nullptr;
    switch (cls) {
      case TensorClass::kEmbedding:
        slot = &w.token_embedding;
        break;
      case TensorClass::kOutput:
        slot = &w.output;
        break;
      case TensorClass::kAttnQ:
        slot = &L->wq;
        break;
      case TensorClass::kAttnK:
        slot = &L->wk;
        break;
      case TensorClass::kAttnV:
        slot = &L->wv;
        break;
      case TensorClass::kAttnO:
        slot = &L->wo;
        break;
      case TensorClass::kFfnGate:
        slot = &L->w_gate;
        break;
      case TensorClass::kFfnUp:
        slot = &L->w_up;
        break;
      case TensorClass::kFfnDown:
        slot = &L->w_down;
        break;
      default:
        break;
    }
    *slot = std::move(*m);
  }
  std::stable_sort(
      ranges.begin(), ranges.end(),
      [](const Range& a, const Range& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].begin < ranges[i - 1].end) {
      return err(ranges[i].field,
                 ranges[i].what + " (bytes [" +
                     std::to_string(ranges[i].begin) + ", " +
                     std::to_string(ranges[i].end) + ")) overlaps the " +
                     ranges[i - 1].what + " (bytes [" +
                     std::to_string(ranges[i - 1].begin) + ", " +
                     std::to_string(ranges[i - 1].end) + "))");
    }
  }
  // n_tensors equals the expected count and there are no duplicates, but
  // e.g. an output entry could stand in for a missing layer tensor only if
  // counts were off; check completeness explicitly anyway.
  if (w.token_embedding.empty() || w.final_norm.empty() ||
      (!c.tied_classifier && w.output.empty())) {
    return DataLoss(name + ": missing embedding, final_norm or output");
  }
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& L = w.layers[l];
    if (L.attn_norm.empty() || L.ffn_norm.empty() || L.wq.empty() ||
        L.wk.empty() || L.wv.empty() || L.wo.empty() || L.w_gate.empty() ||
        L.w_up.empty() || L.w_down.empty()) {
      return DataLoss(name + ": layer " + std::to_string(l) +
                      " is missing a tensor");
    }
  }
  return w;
}

StatusOr<ModelWeights> ReadModelFile(const std::string& path) {
  StatusOr<std::shared_ptr<const MappedFile>> f = MappedFile::Open(path);
  if (!f.ok()) return f.status();
  if ((*f)->size() == 0) return DataLoss(path + ": file is empty (0 bytes)");
  // The weights are rebuilt (copied) by FromParts; the mapping ends here.
  return ParseModelFile((*f)->data(), (*f)->size(), path);
}

namespace {

class ModelFileSource : public ModelSource {
 public:
  ModelFileSource(ModelWeights w, std::string path)
      : w_(std::move(w)), path_(std::move(path)) {}
  const ModelConfig& config() const override { return w_.config; }
  Status ReadTensor(TensorClass t, int layer, float* out) const override {
    const ModelConfig& c = w_.config;
    const bool per_layer = t != TensorClass::kEmbedding &&
                           t != TensorClass::kOutput &&
                           t != TensorClass::kFinalNorm;
    if (per_layer && (layer < 0 || layer >= c.n_layers)) {
      return InvalidArgument(path_ + ": no layer " + std::to_string(layer));
    }
    const LayerWeights* l = per_layer ? &w_.layers[layer] : nullptr;
    const std::vector<float>* norm = nullptr;
    const QuantizedMatrix* m = nullptr;
    switch (t) {
      case TensorClass::kEmbedding:
        m = &w_.token_embedding;
        break;
      case TensorClass::kOutput:
        m = &w_.classifier();
        break;
      case TensorClass::kAttnQ:
        m = &l->wq;
        break;
      case TensorClass::kAttnK:
        m = &l->wk;
        break;
      case TensorClass::kAttnV:
        m = &l->wv;
        break;
      case TensorClass::kAttnO:
        m = &l->wo;
        break;
      case TensorClass::kFfnGate:
        m = &l->w_gate;
        break;
      case TensorClass::kFfnUp:
        m = &l->w_up;
        break;
      case TensorClass::kFfnDown:
        m = &l->w_down;
        break;
      case TensorClass::kAttnNorm:
        norm = &l->attn_norm;
        break;
      case TensorClass::kFfnNorm:
        norm = &l->ffn_norm;
        break;
      case TensorClass::kFinalNorm:
        norm = &w_.final_norm;
        break;
      case TensorClass::kAttnQNorm:
      case TensorClass::kAttnKNorm:
      case TensorClass::kAttnPostNorm:
      case TensorClass::kFfnPostNorm:
        // Gemma 3's norms: converted-model files hold llama models only.
        return InvalidArgument(path_ + ": a llama model has no " +
                               TensorClassName(t) + " tensor");
    }
    if (norm != nullptr) {
      std::copy(norm->begin(), norm->end(), out);
      return Status::Ok();
    }
    return DequantizeReference(*m, out);
  }
  std::vector<std::string> Vocab() const override { return w_.vocab; }
  std::string Describe() const override {
    return "converted " + path_ + " (from " + w_.source + ")";
  }
  const ModelWeights* Stored() const override { return &w_; }

 private:
  ModelWeights w_;
  std::string path_;
};

}  // namespace

StatusOr<std::unique_ptr<ModelSource>> OpenModelFileSource(
    const std::string& path) {
  StatusOr<ModelWeights> w = ReadModelFile(path);
  if (!w.ok()) return w.status();
  return std::unique_ptr<ModelSource>(
      std::make_unique<ModelFileSource>(std::move(*w), path));
}

}  // namespace qins::runner
