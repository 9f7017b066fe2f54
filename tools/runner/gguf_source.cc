#include "tools/runner/gguf_source.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

#include "qins/format.h"
#include "qins/quantize.h"
#include "tools/runner/gguf_file.h"
#include "tools/runner/gguf_tokenizer.h"
#include "tools/runner/model_weights.h"

namespace qins::runner {
namespace {

constexpr TensorClass kLlamaLayerClasses[] = {
    TensorClass::kAttnNorm, TensorClass::kAttnQ, TensorClass::kAttnK,
    TensorClass::kAttnV,    TensorClass::kAttnO, TensorClass::kFfnNorm,
    TensorClass::kFfnGate,  TensorClass::kFfnUp, TensorClass::kFfnDown};
constexpr TensorClass kGemma3LayerClasses[] = {
    TensorClass::kAttnNorm,   TensorClass::kAttnQ,
    TensorClass::kAttnK,      TensorClass::kAttnV,
    TensorClass::kAttnO,      TensorClass::kFfnNorm,
    TensorClass::kFfnGate,    TensorClass::kFfnUp,
    TensorClass::kFfnDown,    TensorClass::kAttnQNorm,
    TensorClass::kAttnKNorm,  TensorClass::kAttnPostNorm,
    TensorClass::kFfnPostNorm};

// The tensors of one layer of an architecture.
std::vector<TensorClass> LayerClasses(Arch a) {
  if (a == Arch::kGemma3)
    return {std::begin(kGemma3LayerClasses), std::end(kGemma3LayerClasses)};
  return {std::begin(kLlamaLayerClasses), std::end(kLlamaLayerClasses)};
}

bool IsVector(TensorClass t) {
  return t == TensorClass::kAttnNorm || t == TensorClass::kFfnNorm ||
         t == TensorClass::kFinalNorm || t == TensorClass::kAttnQNorm ||
         t == TensorClass::kAttnKNorm || t == TensorClass::kAttnPostNorm ||
         t == TensorClass::kFfnPostNorm;
}

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
    case TensorClass::kAttnQNorm:
      return blk + "attn_q_norm.weight";
    case TensorClass::kAttnKNorm:
      return blk + "attn_k_norm.weight";
    case TensorClass::kAttnPostNorm:
      return blk + "post_attention_norm.weight";
    case TensorClass::kFfnPostNorm:
      return blk + "post_ffw_norm.weight";
  }
  return "?";
}

// Whether `name` is one of the tensors a model of `n_layers` layers reads.
bool IsModelTensor(const std::string& name, Arch arch, int n_layers,
                   bool tied) {
  if (name == TensorName(TensorClass::kEmbedding, 0) ||
      name == TensorName(TensorClass::kFinalNorm, 0))
    return true;
  if (!tied && name == TensorName(TensorClass::kOutput, 0)) return true;
  int layer = -1, consumed = 0;
  if (std::sscanf(name.c_str(), "blk.%d.%n", &layer, &consumed) != 1 ||
      consumed == 0 || layer < 0 || layer >= n_layers)
    return false;
  for (TensorClass t : LayerClasses(arch))
    if (name == TensorName(t, layer)) return true;
  return false;
}

bool PerLayer(TensorClass t) {
  return t != TensorClass::kEmbedding && t != TensorClass::kOutput &&
         t != TensorClass::kFinalNorm;
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
  // The file's own types, used in place from the mapping.
  const ModelWeights* Stored() const override { return &stored_; }

 private:
  StatusOr<int> IntKey(const char* key, int64_t max_value) const;
  Status CheckTensor(TensorClass t, int layer, const GgufTensorInfo** out);
  const GgufTensorInfo* Lookup(TensorClass t, int layer) const;
  Status BuildStored();

  std::shared_ptr<const GgufFile> file_;
  ModelWeights stored_;
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
  if (StatusOr<Format> f = FormatForGgmlType(info->type); !f.ok()) {
    return Unsupported(
        file_->name() + ": tensor '" + name + "': unsupported tensor type " +
        GgmlTypeName(info->type) + " (" + f.status().message() + ")");
  }
  size_t rows = 0, cols = 0;
  TensorShape(config_, t, &rows, &cols);
  const bool is_vector = IsVector(t);
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
  ModelConfig c;
  if (*arch == "llama") {
    c.arch = Arch::kLlama;
  } else if (*arch == "gemma3") {
    c.arch = Arch::kGemma3;
  } else {
    return Unsupported(fn + ": architecture '" + *arch +
                       "' is not supported (only 'llama' and 'gemma3')");
  }
  // Hyperparameter keys are "<architecture>.<name>".
  const std::string pre = *arch + ".";
  const auto key = [&](const char* name) { return pre + name; };
  if (file_->Find(key("expert_count")) != nullptr) {
    StatusOr<uint64_t> experts = file_->GetUint(key("expert_count"));
    if (!experts.ok()) return experts.status();
    if (*experts > 0) {
      return Unsupported(fn + ": mixture-of-experts models (" +
                         key("expert_count") + " = " +
                         std::to_string(*experts) + ") are not supported");
    }
  }
  constexpr int64_t kMaxSize = int64_t{1} << 24;  // any real width or count
  struct {
    std::string key;
    int* field;
  } ints[] = {{key("embedding_length"), &c.dim},
              {key("feed_forward_length"), &c.hidden_dim},
              {key("block_count"), &c.n_layers},
              {key("attention.head_count"), &c.n_heads},
              {key("context_length"), &c.seq_len}};
  for (const auto& k : ints) {
    StatusOr<int> v = IntKey(k.key.c_str(), kMaxSize);
    if (!v.ok()) return v.status();
    *k.field = *v;
  }
  auto optional_int = [&](const char* name, int* field) -> Status {
    if (file_->Find(key(name)) == nullptr) return Status::Ok();
    StatusOr<int> v = IntKey(key(name).c_str(), kMaxSize);
    if (!v.ok()) return v.status();
    *field = *v;
    return Status::Ok();
  };
  // A float key within (lo, hi), if present.
  auto optional_float = [&](const char* name, double lo, double hi,
                            float* field, const char* what) -> Status {
    if (file_->Find(key(name)) == nullptr) return Status::Ok();
    StatusOr<double> v = file_->GetFloat(key(name));
    if (!v.ok()) return v.status();
    if (!(std::isfinite(*v) && *v > lo && *v < hi)) {
      return DataLoss(fn + ": " + key(name) + " " + std::to_string(*v) + " " +
                      what);
    }
    *field = static_cast<float>(*v);
    return Status::Ok();
  };
  c.n_kv_heads = c.n_heads;
  if (Status s = optional_int("attention.head_count_kv", &c.n_kv_heads);
      !s.ok())
    return s;
  if (Status s = optional_float("rope.freq_base", 1.0, 1e12, &c.rope_theta,
                                "is not a usable RoPE base");
      !s.ok())
    return s;
  if (Status s = optional_float("attention.layer_norm_rms_epsilon", 0.0, 1.0,
                                &c.norm_eps, "is not in (0, 1)");
      !s.ok())
    return s;
  if (file_->Find(key("rope.scaling.type")) != nullptr) {
    StatusOr<std::string> v = file_->GetString(key("rope.scaling.type"));
    if (!v.ok()) return v.status();
    if (*v != "none") {
      return Unsupported(fn + ": RoPE scaling '" + *v + "' is not supported");
    }
  }
  // Head width: attention.key_length when given (Gemma 3: 256, not
  // dim / heads); values must be as wide as keys.
  int key_length = 0, value_length = 0;
  if (Status s = optional_int("attention.key_length", &key_length); !s.ok())
    return s;
  if (Status s = optional_int("attention.value_length", &value_length); !s.ok())
    return s;
  if (value_length != 0 && value_length != key_length) {
    return Unsupported(fn + ": " + key("attention.value_length") + " " +
                       std::to_string(value_length) + " differs from " +
                       key("attention.key_length") + " " +
                       std::to_string(key_length));
  }
  if (key_length != 0 && (c.n_heads == 0 || c.dim % c.n_heads != 0 ||
                          key_length != c.dim / c.n_heads)) {
    c.head_size = key_length;
  }
  if (c.arch == Arch::kGemma3) {
    // llama.cpp: sliding-window layers when attention.sliding_window > 0,
    // pattern 6 unless attention.sliding_window_pattern says otherwise,
    // local RoPE base rope.freq_base_swa (default 10000).
    if (Status s = optional_int("attention.sliding_window", &c.sliding_window);
        !s.ok())
      return s;
    c.swa_pattern = 6;
    if (const GgufValue* p =
            file_->Find(key("attention.sliding_window_pattern"));
        p != nullptr && p->type == GgufType::kArray) {
      return Unsupported(fn + ": " + key("attention.sliding_window_pattern") +
                         " as a per-layer array is not supported");
    }
    if (Status s =
            optional_int("attention.sliding_window_pattern", &c.swa_pattern);
        !s.ok())
      return s;
    if (Status s =
            optional_float("rope.freq_base_swa", 1.0, 1e12, &c.rope_theta_local,
                           "is not a usable RoPE base");
        !s.ok())
      return s;
    if (Status s = optional_float("final_logit_softcapping", 0.0, 1e6,
                                  &c.final_logit_softcap, "is not in (0, 1e6)");
        !s.ok())
      return s;
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
  if (file_->Find(key("rope.dimension_count")) != nullptr) {
    StatusOr<uint64_t> v = file_->GetUint(key("rope.dimension_count"));
    if (!v.ok()) return v.status();
    if (c.n_heads > 0 && (c.head_size > 0 || c.dim % c.n_heads == 0) &&
        *v != static_cast<uint64_t>(c.head_dim())) {
      return Unsupported(fn + ": " + key("rope.dimension_count") + " " +
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
  // Each layer has 9 (Gemma 3: 13) tensors in the file, so a block count
  // the file cannot hold is found before anything is sized by it: the first
  // missing tensor then lies within the first tensors().size() / 9 + 1
  // layers.
  const std::vector<TensorClass> layer_classes = LayerClasses(c.arch);
  const uint64_t per_layer = layer_classes.size();
  const uint64_t needed = per_layer * uint64_t(c.n_layers);
  if (needed > file_->tensors().size()) {
    for (int l = 0; l < c.n_layers; ++l) {
      for (TensorClass t : layer_classes) {
        if (file_->FindTensor(TensorName(t, l)) == nullptr) {
          return DataLoss(fn + ": missing tensor '" + TensorName(t, l) + "' (" +
                          key("block_count") + " is " +
                          std::to_string(c.n_layers) + ", the file has " +
                          std::to_string(file_->tensors().size()) +
                          " tensors)");
        }
      }
    }
  }
  layers_.assign(c.n_layers, std::vector<const GgufTensorInfo*>(
                                 kTensorClassCount, nullptr));
  for (int l = 0; l < c.n_layers; ++l) {
    for (TensorClass t : layer_classes) {
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
  const size_t used =
      per_layer * size_t(c.n_layers) + 2 + (c.tied_classifier ? 0 : 1);
  if (file_->tensors().size() != used) {
    for (const GgufTensorInfo& t : file_->tensors()) {
      if (IsModelTensor(t.name, c.arch, c.n_layers, c.tied_classifier))
        continue;
      int layer = -1;
      if (std::sscanf(t.name.c_str(), "blk.%d.", &layer) == 1 && layer >= 0 &&
          layer >= c.n_layers) {
        return DataLoss(fn + ": tensor '" + t.name + "' belongs to layer " +
                        std::to_string(layer) + ", but " + key("block_count") +
                        " is " + std::to_string(c.n_layers) +
                        " (the metadata and the tensors disagree)");
      }
      return DataLoss(fn + ": tensor '" + t.name + "' is not part of a " +
                      *arch +
                      " model (unknown tensors are refused, not ignored)");
    }
  }
  return BuildStored();
}

// Every matrix a view of the mapping in its own type (no copy, nothing
// decoded: CheckFinite runs when the weights are used, ConvertModel), the
// norm vectors decoded to f32.
Status GgufSource::BuildStored() {
  ModelWeights& w = stored_;
  w.config = config_;
  w.vocab = vocab_;
  w.source = Describe();
  auto matrix = [&](TensorClass t, int layer, QuantizedMatrix* m) -> Status {
    StatusOr<QuantizedMatrix> v = file_->Matrix(*Lookup(t, layer), file_);
    if (!v.ok()) return v.status();
    *m = std::move(*v);
    return Status::Ok();
  };
  auto norm = [&](TensorClass t, int layer, std::vector<float>* v) {
    size_t rows = 0, cols = 0;
    TensorShape(config_, t, &rows, &cols);
    v->resize(cols);
    return ReadTensor(t, layer, v->data());
  };
  if (Status s = matrix(TensorClass::kEmbedding, 0, &w.token_embedding);
      !s.ok())
    return s;
  if (!config_.tied_classifier) {
    if (Status s = matrix(TensorClass::kOutput, 0, &w.output); !s.ok())
      return s;
  }
  if (Status s = norm(TensorClass::kFinalNorm, 0, &w.final_norm); !s.ok())
    return s;
  w.layers.resize(config_.n_layers);
  for (int l = 0; l < config_.n_layers; ++l) {
    LayerWeights& lw = w.layers[l];
    for (const auto& [t, m] : lw.Linear()) {
      if (Status s = matrix(t, l, m); !s.ok()) return s;
    }
    if (Status s = norm(TensorClass::kAttnNorm, l, &lw.attn_norm); !s.ok())
      return s;
    if (Status s = norm(TensorClass::kFfnNorm, l, &lw.ffn_norm); !s.ok())
      return s;
    if (config_.has_gemma_norms()) {
      for (const auto& [t, v] : lw.GemmaNorms()) {
        if (Status s = norm(t, l, v); !s.ok()) return s;
      }
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
