#include "tools/runner/gguf_source.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

#include "tools/runner/gguf_file.h"
#include "tools/runner/gguf_tokenizer.h"

namespace qins::runner {
namespace {

constexpr TensorClass kLayerClasses[] = {
    TensorClass::kAttnNorm, TensorClass::kAttnQ, TensorClass::kAttnK,
    TensorClass::kAttnV,    TensorClass::kAttnO, TensorClass::kFfnNorm,
    TensorClass::kFfnGate,  TensorClass::kFfnUp, TensorClass::kFfnDown};

// llama.cpp's tensor names.
std::string TensorName(TensorClass t, int layer) {
  const std::string blk = "blk." + std::to_string(layer) + ".";
  switch (t) {
    case TensorClass::kEmbedding:
      return "token_embd.weight";
    case TensorClass::kOutput:
      return "output.weight";
    case TensorClass::kFinalNorm:
      return "output_norm.weight";
    case TensorClass::kAttnNorm:
      return blk + "attn_norm.weight";
    case TensorClass::kAttnQ:
      return blk + "attn_q.weight";
    case TensorClass::kAttnK:
      return blk + "attn_k.weight";
    case TensorClass::kAttnV:
      return blk + "attn_v.weight";
    case TensorClass::kAttnO:
      return blk + "attn_output.weight";
    case TensorClass::kFfnNorm:
      return blk + "ffn_norm.weight";
    case TensorClass::kFfnGate:
      return blk + "ffn_gate.weight";
    case TensorClass::kFfnUp:
      return blk + "ffn_up.weight";
    case TensorClass::kFfnDown:
      return blk + "ffn_down.weight";
  }
  return "?";
}

// Whether `name` is one of the tensors a llama model of `n_layers` layers
// reads.
bool IsModelTensor(const std::string& name, int n_layers, bool tied) {
  if (name == TensorName(TensorClass::kEmbedding, 0) ||
      name == TensorName(TensorClass::kFinalNorm, 0))
    return true;
  if (!tied && name == TensorName(TensorClass::kOutput, 0)) return true;
  int layer = -1, consumed = 0;
  if (std::sscanf(name.c_str(), "blk.%d.%n", &layer, &consumed) != 1 ||
      consumed == 0 || layer < 0 || layer >= n_layers)
    return false;
  for (TensorClass t : kLayerClasses)
    if (name == TensorName(t, layer)) return true;
  return false;
}

bool PerLayer(TensorClass t) {
  return t != TensorClass::kEmbedding && t != TensorClass::kOutput &&
         t != TensorClass::kFinalNorm;
}

bool Readable(uint32_t type) {
  return type == static_cast<uint32_t>(GgmlType::kF32) ||
         type == static_cast<uint32_t>(GgmlType::kF16) ||
         type == static_cast<uint32_t>(GgmlType::kBF16) ||
         type == static_cast<uint32_t>(GgmlType::kQ8_0);
}

std::string DimsString(const GgufTensorInfo& t) {
  std::string s = "[";
  for (uint32_t d = 0; d < t.n_dims; ++d) {
    s += (d ? ", " : "") + std::to_string(t.ne[d]);
  }
  return s + "]";
}

class GgufSource : public ModelSource {
 public:
  explicit GgufSource(std::unique_ptr<GgufFile> f) : file_(std::move(f)) {}

  Status Init();
  const ModelConfig& config() const override { return config_; }
  Status ReadTensor(TensorClass t, int layer, float* out) const override;
  std::vector<std::string> Vocab() const override { return vocab_; }
  const GgufTokenizer* FileTokenizer() const override {
    return tokenizer_.get();
  }
  std::string Describe() const override { return "gguf " + file_->name(); }

 private:
  StatusOr<int> IntKey(const char* key, int64_t max_value) const;
  Status CheckTensor(TensorClass t, int layer, const GgufTensorInfo** out);
  const GgufTensorInfo* Lookup(TensorClass t, int layer) const;

  std::unique_ptr<GgufFile> file_;
  ModelConfig config_;
  std::vector<std::string> vocab_;
  std::unique_ptr<GgufTokenizer> tokenizer_;
  const GgufTensorInfo* embedding_ = nullptr;
  const GgufTensorInfo* output_ = nullptr;
  const GgufTensorInfo* final_norm_ = nullptr;
  std::vector<std::vector<const GgufTensorInfo*>> layers_;  // [layer][class]
};

StatusOr<int> GgufSource::IntKey(const char* key, int64_t max_value) const {
  StatusOr<uint64_t> v = file_->GetUint(key);
  if (!v.ok()) return v.status();
  if (*v > static_cast<uint64_t>(max_value)) {
    return DataLoss(file_->name() + ": metadata '" + key +
                    "' = " + std::to_string(*v) + " exceeds " +
                    std::to_string(max_value));
  }
  return static_cast<int>(*v);
}

Status GgufSource::CheckTensor(TensorClass t, int layer,
                               const GgufTensorInfo** out) {
  const std::string name = TensorName(t, layer);
  const GgufTensorInfo* info = file_->FindTensor(name);
  if (info == nullptr) {
    return DataLoss(file_->name() + ": missing tensor '" + name + "'");
  }
  if (!Readable(info->type)) {
    return Unsupported(
        file_->name() + ": tensor '" + name + "': unsupported tensor type " +
        GgmlTypeName(info->type) + " (supported: F32, F16, BF16, Q8_0)");
  }
  size_t rows = 0, cols = 0;
  TensorShape(config_, t, &rows, &cols);
  const bool is_vector = t == TensorClass::kAttnNorm ||
                         t == TensorClass::kFfnNorm ||
                         t == TensorClass::kFinalNorm;
  bool ok = info->ne[0] == cols && info->ne[1] == (is_vector ? 1 : rows);
  for (uint32_t d = 2; d < info->n_dims; ++d) ok = ok && info->ne[d] == 1;
  if (!ok) {
    std::string expected = "[";
    expected += std::to_string(cols);
    if (!is_vector) {
      expected += ", ";
      expected += std::to_string(rows);
      expected += "] (ne[0] = cols, ne[1] = rows)";
    } else {
      expected += "]";
    }
    return DataLoss(file_->name() + ": tensor '" + name + "' (" +
                    TensorClassName(t) + ") has dims " + DimsString(*info) +
                    ", expected " + expected +
                    " for the config in its metadata");
  }
  *out = info;
  return Status::Ok();
}

Status GgufSource::Init() {
  const std::string& fn = file_->name();
  StatusOr<std::string> arch = file_->GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  if (*arch != "llama") {
    return Unsupported(fn + ": architecture '" + *arch +
                       "' is not supported (only 'llama')");
  }
  if (file_->Find("llama.expert_count") != nullptr) {
    StatusOr<uint64_t> experts = file_->GetUint("llama.expert_count");
    if (!experts.ok()) return experts.status();
    if (*experts > 0) {
      return Unsupported(fn +
                         ": mixture-of-experts models (llama.expert_count "
                         "= " +
                         std::to_string(*experts) + ") are not supported");
    }
  }
  constexpr int64_t kMaxSize = int64_t{1} << 24;  // any real width or count
  ModelConfig c;
  struct {
    const char* key;
    int* field;
  } ints[] = {{"llama.embedding_length", &c.dim},
              {"llama.feed_forward_length", &c.hidden_dim},
              {"llama.block_count", &c.n_layers},
              {"llama.attention.head_count", &c.n_heads},
              {"llama.context_length", &c.seq_len}};
  for (const auto& k : ints) {
    StatusOr<int> v = IntKey(k.key, kMaxSize);
    if (!v.ok()) return v.status();
    *k.field = *v;
  }
  c.n_kv_heads = c.n_heads;
  if (file_->Find("llama.attention.head_count_kv") != nullptr) {
    StatusOr<int> v = IntKey("llama.attention.head_count_kv", kMaxSize);
    if (!v.ok()) return v.status();
    c.n_kv_heads = *v;
  }
  if (file_->Find("llama.rope.freq_base") != nullptr) {
    StatusOr<double> v = file_->GetFloat("llama.rope.freq_base");
    if (!v.ok()) return v.status();
    if (!(std::isfinite(*v) && *v > 1.0 && *v < 1e12)) {
      return DataLoss(fn + ": llama.rope.freq_base " + std::to_string(*v) +
                      " is not a usable RoPE base");
    }
    c.rope_theta = static_cast<float>(*v);
  }
  if (file_->Find("llama.attention.layer_norm_rms_epsilon") != nullptr) {
    StatusOr<double> v =
        file_->GetFloat("llama.attention.layer_norm_rms_epsilon");
    if (!v.ok()) return v.status();
    if (!(std::isfinite(*v) && *v > 0.0 && *v < 1.0)) {
      return DataLoss(fn + ": llama.attention.layer_norm_rms_epsilon " +
                      std::to_string(*v) + " is not in (0, 1)");
    }
    c.norm_eps = static_cast<float>(*v);
  }
  if (file_->Find("llama.rope.scaling.type") != nullptr) {
    StatusOr<std::string> v = file_->GetString("llama.rope.scaling.type");
    if (!v.ok()) return v.status();
    if (*v != "none") {
      return Unsupported(fn + ": RoPE scaling '" + *v + "' is not supported");
    }
  }

  // Vocabulary: the tokenizer's pieces, else the embedding's row count.
  const GgufTensorInfo* embd = file_->FindTensor("token_embd.weight");
  if (embd == nullptr) {
    return DataLoss(fn + ": missing tensor 'token_embd.weight'");
  }
  if (file_->Find("tokenizer.ggml.tokens") != nullptr) {
    StatusOr<std::vector<std::string>> tokens =
        file_->GetStringArray("tokenizer.ggml.tokens");
    if (!tokens.ok()) return tokens.status();
    if (tokens->size() > static_cast<size_t>(kMaxSize)) {
      return DataLoss(fn + ": tokenizer.ggml.tokens has " +
                      std::to_string(tokens->size()) + " entries");
    }
    vocab_ = std::move(*tokens);
    c.vocab_size = static_cast<int>(vocab_.size());
    // The tokenizer (tokenizer.ggml.model llama or gpt2; checked here, so
    // that malformed tokenizer metadata fails the load with its key).
    if (GgufTokenizer::HasTokenizer(*file_)) {
      StatusOr<std::unique_ptr<GgufTokenizer>> t =
          GgufTokenizer::FromGguf(*file_);
      if (!t.ok()) return t.status();
      tokenizer_ = std::move(*t);
    }
    // Vocab() serves run.c's decoder (tokenizer.h), which wants each
    // piece's text: SentencePiece marks a space with U+2581 (llama2.c
    // tokenizer files hold the space itself; "<0xXX>" pieces stay, run.c
    // decodes them); byte-level BPE pieces are unmapped to their bytes.
    if (tokenizer_ != nullptr &&
        tokenizer_->kind() == GgufTokenizer::Kind::kBpe) {
      for (size_t i = 0; i < vocab_.size(); ++i)
        vocab_[i] = tokenizer_->TokenToPiece(static_cast<int>(i), true);
    } else if (tokenizer_ != nullptr) {
      for (std::string& piece : vocab_) {
        std::string spaced;
        spaced.reserve(piece.size());
        for (size_t p = 0; p < piece.size(); ++p) {
          if (piece.compare(p, 3, "\xe2\x96\x81") == 0) {
            spaced += ' ';
            p += 2;
          } else {
            spaced += piece[p];
          }
        }
        piece = std::move(spaced);
      }
    }
  } else {
    if (embd->ne[1] > static_cast<uint64_t>(kMaxSize)) {
      return DataLoss(fn + ": token_embd.weight has " +
                      std::to_string(embd->ne[1]) + " rows");
    }
    c.vocab_size = static_cast<int>(embd->ne[1]);
  }
  if (file_->Find("tokenizer.ggml.bos_token_id") != nullptr) {
    StatusOr<int> v = IntKey("tokenizer.ggml.bos_token_id", kMaxSize);
    if (!v.ok()) return v.status();
    c.bos_id = *v;
  }
  if (file_->Find("tokenizer.ggml.eos_token_id") != nullptr) {
    StatusOr<int> v = IntKey("tokenizer.ggml.eos_token_id", kMaxSize);
    if (!v.ok()) return v.status();
    c.eos_id = *v;
  }
  if (c.bos_id >= c.vocab_size) {
    return DataLoss(fn + ": tokenizer.ggml.bos_token_id " +
                    std::to_string(c.bos_id) + " is outside the vocabulary (" +
                    std::to_string(c.vocab_size) + " tokens)");
  }
  if (c.eos_id >= c.vocab_size) {
    return DataLoss(fn + ": tokenizer.ggml.eos_token_id " +
                    std::to_string(c.eos_id) + " is outside the vocabulary (" +
                    std::to_string(c.vocab_size) + " tokens)");
  }
  if (file_->Find("llama.rope.dimension_count") != nullptr) {
    StatusOr<uint64_t> v = file_->GetUint("llama.rope.dimension_count");
    if (!v.ok()) return v.status();
    if (c.n_heads > 0 && c.dim % c.n_heads == 0 &&
        *v != static_cast<uint64_t>(c.head_dim())) {
      return Unsupported(fn + ": llama.rope.dimension_count " +
                         std::to_string(*v) + " differs from head_dim " +
                         std::to_string(c.head_dim()) +
                         " (partial rotary embeddings are not supported)");
    }
  }
  c.tied_classifier = file_->FindTensor("output.weight") == nullptr;
  if (Status s = ValidateConfig(c); !s.ok()) {
    return Status(s.code(),
                  fn + ": hyperparameters in the metadata: " + s.message());
  }
  config_ = c;

  if (Status s = CheckTensor(TensorClass::kEmbedding, 0, &embedding_);
      !s.ok()) {
    return s;
  }
  if (Status s = CheckTensor(TensorClass::kFinalNorm, 0, &final_norm_);
      !s.ok()) {
    return s;
  }
  if (!c.tied_classifier) {
    if (Status s = CheckTensor(TensorClass::kOutput, 0, &output_); !s.ok()) {
      return s;
    }
  }
  // Each layer has 9 tensors in the file, so a block count the file cannot
  // hold is found before anything is sized by it: the first missing tensor
  // then lies within the first tensors().size() / 9 + 1 layers.
  const uint64_t needed = 9 * uint64_t(c.n_layers);
  if (needed > file_->tensors().size()) {
    for (int l = 0; l < c.n_layers; ++l) {
      for (TensorClass t : kLayerClasses) {
        if (file_->FindTensor(TensorName(t, l)) == nullptr) {
          return DataLoss(fn + ": missing tensor '" + TensorName(t, l) +
                          "' (llama.block_count is " +
                          std::to_string(c.n_layers) + ", the file has " +
                          std::to_string(file_->tensors().size()) +
                          " tensors)");
        }
      }
    }
  }
  layers_.assign(c.n_layers, std::vector<const GgufTensorInfo*>(12, nullptr));
  for (int l = 0; l < c.n_layers; ++l) {
    for (TensorClass t : kLayerClasses) {
      if (Status s = CheckTensor(t, l, &layers_[l][static_cast<int>(t)]);
          !s.ok()) {
        return s;
      }
    }
  }
  // Every tensor of the file must be one the model uses: 9 per layer of
  // llama.block_count, the embedding, the final norm and the optional
  // output. A block count below the number of blk.N layers ran the first
  // layers only (llama.cpp refuses such a file), and any other tensor
  // (rope_freqs.weight, an MoE gate, a bias) would be silently ignored.
  const size_t used = 9 * size_t(c.n_layers) + 2 + (c.tied_classifier ? 0 : 1);
  if (file_->tensors().size() != used) {
    for (const GgufTensorInfo& t : file_->tensors()) {
      if (IsModelTensor(t.name, c.n_layers, c.tied_classifier)) continue;
      int layer = -1;
      if (std::sscanf(t.name.c_str(), "blk.%d.", &layer) == 1 && layer >= 0 &&
          layer >= c.n_layers) {
        return DataLoss(fn + ": tensor '" + t.name + "' belongs to layer " +
                        std::to_string(layer) + ", but llama.block_count is " +
                        std::to_string(c.n_layers) +
                        " (the metadata and the tensors disagree)");
      }
      return DataLoss(fn + ": tensor '" + t.name +
                      "' is not part of a llama model (unknown tensors are "
                      "refused, not ignored)");
    }
  }
  return Status::Ok();
}

const GgufTensorInfo* GgufSource::Lookup(TensorClass t, int layer) const {
  switch (t) {
    case TensorClass::kEmbedding:
      return embedding_;
    case TensorClass::kOutput:
      return output_;
    case TensorClass::kFinalNorm:
      return final_norm_;
    default:
      if (layer < 0 || layer >= config_.n_layers) return nullptr;
      return layers_[layer][static_cast<int>(t)];
  }
}

Status GgufSource::ReadTensor(TensorClass t, int layer, float* out) const {
  const GgufTensorInfo* info = Lookup(t, layer);
  if (info == nullptr) {
    return InvalidArgument(
        file_->name() + ": no tensor " + TensorClassName(t) +
        (PerLayer(t) ? " for layer " + std::to_string(layer) : std::string()) +
        (t == TensorClass::kOutput ? " (the classifier is tied)" : ""));
  }
  if (Status s = file_->ReadRowsF32(*info, 0, info->n_rows(), out); !s.ok()) {
    return s;
  }
  // Quantize rejects NaN/Inf too; naming the tensor here is clearer.
  const uint64_t n = info->n_elements;
  for (uint64_t k = 0; k < n; ++k) {
    if (!std::isfinite(out[k])) {
      return DataLoss(file_->name() + ": tensor '" + info->name + "' element " +
                      "(row " + std::to_string(k / info->ne[0]) + ", col " +
                      std::to_string(k % info->ne[0]) + ") is " +
                      (std::isnan(out[k]) ? "NaN" : "Inf") +
                      "; weights must be finite");
    }
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<ModelSource>> Finish(
    StatusOr<std::unique_ptr<GgufFile>> f) {
  if (!f.ok()) return f.status();
  auto src = std::make_unique<GgufSource>(std::move(*f));
  if (Status s = src->Init(); !s.ok()) return s;
  return std::unique_ptr<ModelSource>(std::move(src));
}

}  // namespace

StatusOr<std::unique_ptr<ModelSource>> OpenGgufSource(const std::string& path) {
  return Finish(GgufFile::Open(path));
}

StatusOr<std::unique_ptr<ModelSource>> OpenGgufSourceFromMemory(
    const uint8_t* data, size_t size, const std::string& name) {
  return Finish(GgufFile::Parse(data, size, name));
}

}  // namespace qins::runner
