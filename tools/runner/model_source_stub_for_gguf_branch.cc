// TEMPORARY (gguf branch only; the lead deletes it at merge): minimal
// ValidateConfig, TensorShape and TensorClassName so the GGUF, synthetic and
// model-file code compiles and tests here. The runner branch's
// tools/runner/model_source.cc replaces it.
#include <string>

#include "tools/runner/model_source.h"

namespace qins::runner {

Status ValidateConfig(const ModelConfig& c) {
  if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 ||
      c.n_kv_heads <= 0 || c.vocab_size <= 0 || c.seq_len <= 0) {
    return InvalidArgument("model config: every size must be positive");
  }
  if (c.dim % c.n_heads != 0) {
    return InvalidArgument("model config: n_heads " +
                           std::to_string(c.n_heads) + " does not divide dim " +
                           std::to_string(c.dim));
  }
  if (c.n_heads % c.n_kv_heads != 0) {
    return InvalidArgument(
        "model config: n_kv_heads " + std::to_string(c.n_kv_heads) +
        " does not divide n_heads " + std::to_string(c.n_heads));
  }
  if (c.head_dim() % 2 != 0) {
    return InvalidArgument("model config: head_dim must be even");
  }
  return Status::Ok();
}

void TensorShape(const ModelConfig& c, TensorClass t, size_t* rows,
                 size_t* cols) {
  const size_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim();
  switch (t) {
    case TensorClass::kEmbedding:
    case TensorClass::kOutput:
      *rows = c.vocab_size, *cols = dim;
      return;
    case TensorClass::kAttnQ:
    case TensorClass::kAttnO:
      *rows = dim, *cols = dim;
      return;
    case TensorClass::kAttnK:
    case TensorClass::kAttnV:
      *rows = kv, *cols = dim;
      return;
    case TensorClass::kFfnGate:
    case TensorClass::kFfnUp:
      *rows = hidden, *cols = dim;
      return;
    case TensorClass::kFfnDown:
      *rows = dim, *cols = hidden;
      return;
    default:
      *rows = 1, *cols = dim;
      return;
  }
}

const char* TensorClassName(TensorClass t) {
  static const char* const kNames[] = {
      "embedding", "attn_q",   "attn_k", "attn_v",    "attn_o",   "ffn_gate",
      "ffn_up",    "ffn_down", "output", "attn_norm", "ffn_norm", "final_norm"};
  return kNames[static_cast<int>(t)];
}

}  // namespace qins::runner
