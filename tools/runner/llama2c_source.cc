#include "tools/runner/llama2c_source.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tools/runner/mapped_file.h"

namespace qins::runner {
namespace {

constexpr size_t kHeaderBytes = 7 * sizeof(int32_t);

class Llama2cSource : public ModelSource {
 public:
  Llama2cSource(std::shared_ptr<const MappedFile> file, ModelConfig config)
      : file_(std::move(file)), config_(config) {}

  // Lays out the tensors after the header in the order of the file's
  // version; returns the total bytes the layout needs (all arithmetic in
  // uint64 on header values already bounded, so it cannot overflow).
  uint64_t Layout(int version, uint64_t header_bytes) {
    const ModelConfig& c = config_;
    uint64_t off = header_bytes;
    auto take = [&](TensorClass t, int count) {
      size_t rows, cols;
      TensorShape(c, t, &rows, &cols);
      const uint64_t bytes = uint64_t{rows} * cols * sizeof(float);
      std::vector<uint64_t>& v = offsets_[static_cast<int>(t)];
      for (int i = 0; i < count; ++i) {
        v.push_back(off);
        off += bytes;
      }
    };
    const int L = c.n_layers;
    if (version == 0) {  // export.py legacy_export
      take(TensorClass::kEmbedding, 1);
      take(TensorClass::kAttnNorm, L);
      take(TensorClass::kAttnQ, L);
      take(TensorClass::kAttnK, L);
      take(TensorClass::kAttnV, L);
      take(TensorClass::kAttnO, L);
      take(TensorClass::kFfnNorm, L);
      take(TensorClass::kFfnGate, L);  // w1
      take(TensorClass::kFfnDown, L);  // w2
      take(TensorClass::kFfnUp, L);    // w3
      take(TensorClass::kFinalNorm, 1);
      // freq_cis_real and freq_cis_imag: seq_len x head_dim / 2 each.
      off += 2 * uint64_t(c.seq_len) * uint64_t(c.head_dim() / 2) * 4;
    } else {  // export.py version1_export: norms first, no freq_cis
      take(TensorClass::kAttnNorm, L);
      take(TensorClass::kFfnNorm, L);
      take(TensorClass::kFinalNorm, 1);
      take(TensorClass::kEmbedding, 1);
      take(TensorClass::kAttnQ, L);
      take(TensorClass::kAttnK, L);
      take(TensorClass::kAttnV, L);
      take(TensorClass::kAttnO, L);
      take(TensorClass::kFfnGate, L);  // w1
      take(TensorClass::kFfnDown, L);  // w2
      take(TensorClass::kFfnUp, L);    // w3
    }
    if (!c.tied_classifier) take(TensorClass::kOutput, 1);
    return off;
  }

  const ModelConfig& config() const override { return config_; }

  Status ReadTensor(TensorClass t, int layer, float* out) const override {
    const std::vector<uint64_t>& v = offsets_[static_cast<int>(t)];
    const bool per_layer = t != TensorClass::kEmbedding &&
                           t != TensorClass::kOutput &&
                           t != TensorClass::kFinalNorm;
    const std::string name =
        (per_layer ? "layer " + std::to_string(layer) + " " : std::string()) +
        TensorClassName(t);
    if (v.empty()) {
      return InvalidArgument(
          file_->path() + ": no tensor " + name +
          (t == TensorClass::kOutput ? " (the classifier is tied)" : ""));
    }
    if (per_layer && (layer < 0 || layer >= config_.n_layers)) {
      return InvalidArgument(file_->path() + ": layer " +
                             std::to_string(layer) + " out of range [0, " +
                             std::to_string(config_.n_layers) + ")");
    }
    if (out == nullptr) return InvalidArgument("ReadTensor: out is null");
    size_t rows, cols;
    TensorShape(config_, t, &rows, &cols);
    const uint64_t off = v[per_layer ? layer : 0];
    std::memcpy(out, file_->data() + off, rows * cols * sizeof(float));
    for (size_t i = 0; i < rows * cols; ++i) {
      if (!std::isfinite(out[i])) {
        return DataLoss(file_->path() + ": tensor " + name + " has " +
                        (std::isnan(out[i]) ? "NaN" : "Inf") + " at row " +
                        std::to_string(i / cols) + ", column " +
                        std::to_string(i % cols));
      }
    }
    return Status::Ok();
  }

  std::string Describe() const override { return "llama2.c " + file_->path(); }

 private:
  std::shared_ptr<const MappedFile> file_;
  ModelConfig config_;
  std::vector<uint64_t> offsets_[kTensorClassCount];  // by TensorClass
};

}  // namespace

StatusOr<std::unique_ptr<ModelSource>> OpenLlama2cSource(
    const std::string& path) {
  auto file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  const MappedFile& f = **file;
  if (f.size() < kHeaderBytes) {
    return DataLoss(path + ": " + std::to_string(f.size()) +
                    " bytes, too small for a llama2.c header (28 bytes)");
  }
  // Version 1 (export.py version1_export): uint32 magic "ak42", int32
  // version, the 7 int32 parameters, uint8 shared_classifier, zero padding
  // to 256 bytes. Version 0 (legacy): the 7 int32 parameters alone (its
  // first value, dim, can never equal the magic within the bounds below).
  constexpr uint32_t kMagic = 0x616b3432;
  uint32_t magic;
  std::memcpy(&magic, f.data(), 4);
  int version = 0;
  uint64_t header_bytes = kHeaderBytes;
  int32_t h[7];
  bool shared_flag = false;
  if (magic == kMagic) {
    int32_t v;
    std::memcpy(&v, f.data() + 4, 4);
    if (v != 1) {
      return Unsupported(path + ": llama2.c checkpoint version " +
                         std::to_string(v) +
                         " (only version 0, legacy, and version 1, float32, "
                         "are read)");
    }
    if (f.size() < 256) {
      return DataLoss(path + ": " + std::to_string(f.size()) +
                      " bytes, too small for a version-1 header (256 bytes)");
    }
    version = 1;
    header_bytes = 256;
    std::memcpy(h, f.data() + 8, sizeof(h));
    // export.py writes 0 or 1; any other byte is a corrupt header, not
    // "shared".
    if (f.data()[36] > 1) {
      return DataLoss(path +
                      ": bad llama2.c version-1 header: "
                      "shared_classifier is " +
                      std::to_string(f.data()[36]) + " (must be 0 or 1)");
    }
    shared_flag = f.data()[36] != 0;
    if (h[5] <= 0) {
      return DataLoss(path + ": bad llama2.c version-1 header: vocab_size " +
                      std::to_string(h[5]) + " must be positive");
    }
  } else {
    std::memcpy(h, f.data(), sizeof(h));
  }
  auto bad = [&](const std::string& what) {
    return DataLoss(path + ": bad llama2.c header: " + what);
  };
  // Bounds far above any llama2.c model yet small enough that every size
  // product below fits in uint64 (2^16 * 2^20 * 2^10 * 4 < 2^64).
  if (h[0] <= 0 || h[0] > (1 << 16) || h[1] <= 0 || h[1] > (1 << 20) ||
      h[2] <= 0 || h[2] > 1024 || h[3] <= 0 || h[3] > 4096 || h[4] <= 0 ||
      h[4] > 4096 || h[5] == 0 || h[5] == INT32_MIN ||
      std::abs(h[5]) > (1 << 22) || h[6] <= 0 || h[6] > (1 << 22)) {
    return bad("dim " + std::to_string(h[0]) + ", hidden_dim " +
               std::to_string(h[1]) + ", n_layers " + std::to_string(h[2]) +
               ", n_heads " + std::to_string(h[3]) + ", n_kv_heads " +
               std::to_string(h[4]) + ", vocab_size " + std::to_string(h[5]) +
               ", seq_len " + std::to_string(h[6]) +
               " (each must be positive and plausible; vocab_size may be "
               "negative for an untied classifier)");
  }
  ModelConfig c;
  c.dim = h[0];
  c.hidden_dim = h[1];
  c.n_layers = h[2];
  c.n_heads = h[3];
  c.n_kv_heads = h[4];
  c.vocab_size = std::abs(h[5]);
  c.tied_classifier = version == 1 ? shared_flag : h[5] > 0;
  c.seq_len = h[6];
  c.bos_id = 1;
  c.eos_id = c.vocab_size > 2 ? 2 : -1;
  Status st = ValidateConfig(c);
  if (!st.ok()) return bad(st.message());
  auto src = std::make_unique<Llama2cSource>(*file, c);
  const uint64_t need = src->Layout(version, header_bytes);
  if (f.size() < need) {
    return DataLoss(path + ": truncated: the header (dim " +
                    std::to_string(c.dim) + ", " + std::to_string(c.n_layers) +
                    " layers, vocab " + std::to_string(c.vocab_size) +
                    ") needs " + std::to_string(need) +
                    " bytes, the file has " + std::to_string(f.size()));
  }
  if (f.size() > need) {
    return DataLoss(path + ": " + std::to_string(f.size() - need) +
                    " unexpected trailing bytes after the " +
                    std::to_string(need) +
                    " the header describes (not a llama2.c version-" +
                    std::to_string(version) + " checkpoint?)");
  }
  return std::unique_ptr<ModelSource>(std::move(src));
}

}  // namespace qins::runner
