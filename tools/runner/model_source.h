// Where a model's weights come from before they are converted into the
// chosen formats: a llama2.c checkpoint, a GGUF file or a synthetic preset.
// Loaders check every size against the file before they hand out a source;
// the runner then reads one tensor at a time as f32 and quantizes it, so a
// model is never held in FP32 as a whole.
#ifndef QINS_TOOLS_RUNNER_MODEL_SOURCE_H_
#define QINS_TOOLS_RUNNER_MODEL_SOURCE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "qins/status.h"

namespace qins::runner {

struct ModelWeights;

// The transformer variants the forward pass runs.
enum class Arch {
  kLlama,   // llama2.c / GGUF `llama`: RMSNorm, SwiGLU, RoPE on adjacent pairs
  kGemma3,  // GGUF `gemma3` (llama.cpp's src/models/gemma3.cpp): embedding
            // times sqrt(dim), RMSNorm on each head's q and k, norms after
            // attention and after the FFN, GELU(tanh)-gated FFN, RoPE on
            // (i, i + head_dim / 2) pairs (NeoX), local sliding-window
            // layers with their own RoPE base between global ones
};
const char* ArchName(Arch a);  // "llama", "gemma3"

// Hyperparameters (Llama unless `arch` says otherwise).
struct ModelConfig {
  Arch arch = Arch::kLlama;
  int dim = 0;         // embedding width
  int hidden_dim = 0;  // FFN inner width
  int n_layers = 0;
  int n_heads = 0;
  int n_kv_heads = 0;  // grouped-query attention: n_heads % n_kv_heads == 0
  int vocab_size = 0;
  int seq_len = 0;  // maximum context
  float rope_theta = 10000.0f;
  float norm_eps = 1e-5f;
  bool tied_classifier = true;  // output projection = token embedding
  int bos_id = 1;
  int eos_id = 2;  // -1: none
  // Width of one attention head; 0: dim / n_heads (Gemma 3 270M: 256, with
  // dim 640 and 4 heads, so q is 1024 wide).
  int head_size = 0;
  // Gemma 3: local layers attend to the last `sliding_window` positions
  // (0: every layer is global) and rotate with `rope_theta_local`; layer l
  // is local unless (l + 1) % swa_pattern == 0 (llama.cpp's pattern 6: five
  // local layers, then one global).
  int sliding_window = 0;
  int swa_pattern = 0;
  float rope_theta_local = 10000.0f;
  // Logits = cap * tanh(logits / cap) when > 0 (Gemma 2 style soft cap).
  float final_logit_softcap = 0.0f;
  int head_dim() const {
    return head_size > 0 ? head_size : (n_heads > 0 ? dim / n_heads : 0);
  }
  int q_dim() const { return head_dim() * n_heads; }  // = dim for Llama
  int kv_dim() const { return head_dim() * n_kv_heads; }
  bool is_local(int layer) const {
    return sliding_window > 0 && swa_pattern > 0 &&
           (layer + 1) % swa_pattern != 0;
  }
  // Gemma 3's extra norms (per-head q/k, post-attention, post-FFN).
  bool has_gemma_norms() const { return arch == Arch::kGemma3; }
};

// Checks the relations the forward pass relies on (positive sizes, heads
// dividing dim, kv heads dividing heads, even head_dim for the rotary pairs).
Status ValidateConfig(const ModelConfig& c);

// The weight tensors of a model. Matrices are row-major, rows = outputs:
// kEmbedding vocab x dim, kAttnQ q_dim x dim, kAttnK/kAttnV kv_dim x dim,
// kAttnO dim x q_dim, kFfnGate/kFfnUp hidden x dim, kFfnDown dim x hidden,
// kOutput vocab x dim (absent when tied). Norm vectors are dim floats, but
// Gemma 3's per-head kAttnQNorm/kAttnKNorm (head_dim floats).
enum class TensorClass {
  kEmbedding,
  kAttnQ,
  kAttnK,
  kAttnV,
  kAttnO,
  kFfnGate,
  kFfnUp,
  kFfnDown,
  kOutput,
  kAttnNorm,
  kFfnNorm,
  kFinalNorm,
  kAttnQNorm,  // Gemma 3 only, from here on
  kAttnKNorm,
  kAttnPostNorm,
  kFfnPostNorm,  // the last: kTensorClassCount follows from it
};
inline constexpr int kTensorClassCount =
    static_cast<int>(TensorClass::kFfnPostNorm) + 1;

// Rows x cols of a tensor class under a config (norms: 1 x dim).
void TensorShape(const ModelConfig& c, TensorClass t, size_t* rows,
                 size_t* cols);
// "embedding", "attn_q", ..., "output", "attn_norm", "ffn_norm",
// "final_norm", "attn_q_norm", "attn_k_norm", "attn_post_norm",
// "ffn_post_norm".
const char* TensorClassName(TensorClass t);

class GgufTokenizer;

class ModelSource {
 public:
  virtual ~ModelSource() = default;
  virtual const ModelConfig& config() const = 0;
  // Writes the whole tensor (class, layer) as f32, row-major, rows x cols of
  // TensorShape. `layer` is ignored for kEmbedding, kOutput and kFinalNorm.
  // `out` holds rows * cols floats. Errors name the tensor and the problem.
  virtual Status ReadTensor(TensorClass t, int layer, float* out) const = 0;
  // Token pieces (may be empty when the model ships without a tokenizer).
  virtual std::vector<std::string> Vocab() const { return {}; }
  // The tokenizer the model file carries, encoding and decoding as
  // llama.cpp does (GGUF files with tokenizer.ggml.model); null otherwise.
  virtual const GgufTokenizer* FileTokenizer() const { return nullptr; }
  // One line for logs: "llama2.c stories260K.bin", "gguf ...", "synthetic".
  virtual std::string Describe() const = 0;
  // A converted-model file (qins-convert) holds weights already in their
  // formats: ConvertModel with the "stored" policy returns them without
  // re-encoding. Other sources: null.
  virtual const ModelWeights* Stored() const { return nullptr; }
};

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_MODEL_SOURCE_H_
