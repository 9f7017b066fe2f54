#include "tools/runner/model_source.h"

#include <string>

namespace qins::runner {

const char* ArchName(Arch a) {
  switch (a) {
    case Arch::kLlama:
      return "llama";
    case Arch::kGemma3:
      return "gemma3";
  }
  return "unknown";
}

Status ValidateConfig(const ModelConfig& c) {
  auto bad = [](const std::string& m) {
    return DataLoss("invalid model config: " + m);
  };
  if (c.dim <= 0 || c.hidden_dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 ||
      c.n_kv_heads <= 0 || c.vocab_size <= 0 || c.seq_len <= 0) {
    return bad(
        "dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size and "
        "seq_len must be positive (got dim " +
        std::to_string(c.dim) + ", hidden_dim " + std::to_string(c.hidden_dim) +
        ", n_layers " + std::to_string(c.n_layers) + ", n_heads " +
        std::to_string(c.n_heads) + ", n_kv_heads " +
        std::to_string(c.n_kv_heads) + ", vocab_size " +
        std::to_string(c.vocab_size) + ", seq_len " +
        std::to_string(c.seq_len) + ")");
  }
  if (c.head_size < 0 || c.head_size > (1 << 16) || c.sliding_window < 0 ||
      c.swa_pattern < 0 || !(c.rope_theta_local > 0) ||
      !(c.final_logit_softcap >= 0)) {
    return bad(
        "head_size, sliding_window, swa_pattern must be >= 0, "
        "rope_theta_local > 0 and final_logit_softcap >= 0");
  }
  if (c.head_size == 0 && c.dim % c.n_heads != 0) {
    return bad("n_heads " + std::to_string(c.n_heads) +
               " does not divide dim " + std::to_string(c.dim));
  }
  if (c.n_heads % c.n_kv_heads != 0) {
    return bad("n_kv_heads " + std::to_string(c.n_kv_heads) +
               " does not divide n_heads " + std::to_string(c.n_heads));
  }
  if (c.head_dim() % 2 != 0) {
    return bad("head_dim " + std::to_string(c.head_dim()) +
               " is odd; rotary embeddings rotate pairs");
  }
  if (!(c.rope_theta > 0) || !(c.norm_eps > 0)) {
    return bad("rope_theta and norm_eps must be positive and finite");
  }
  if (c.bos_id < 0 || c.bos_id >= c.vocab_size || c.eos_id < -1 ||
      c.eos_id >= c.vocab_size) {
    return bad("bos_id/eos_id outside the vocabulary");
  }
  return Status::Ok();
}

void TensorShape(const ModelConfig& c, TensorClass t, size_t* rows,
                 size_t* cols) {
  const size_t dim = static_cast<size_t>(c.dim);
  const size_t hidden = static_cast<size_t>(c.hidden_dim);
  const size_t kv = static_cast<size_t>(c.kv_dim());
  const size_t q = static_cast<size_t>(c.q_dim());
  const size_t vocab = static_cast<size_t>(c.vocab_size);
  size_t r = 1, k = dim;
  switch (t) {
    case TensorClass::kEmbedding:
    case TensorClass::kOutput:
      r = vocab;
      break;
    case TensorClass::kAttnQ:
      r = q;
      break;
    case TensorClass::kAttnO:
      r = dim;
      k = q;
      break;
    case TensorClass::kAttnK:
    case TensorClass::kAttnV:
      r = kv;
      break;
    case TensorClass::kFfnGate:
    case TensorClass::kFfnUp:
      r = hidden;
      break;
    case TensorClass::kFfnDown:
      r = dim;
      k = hidden;
      break;
    case TensorClass::kAttnNorm:
    case TensorClass::kFfnNorm:
    case TensorClass::kFinalNorm:
    case TensorClass::kAttnPostNorm:
    case TensorClass::kFfnPostNorm:
      r = 1;
      break;
    case TensorClass::kAttnQNorm:
    case TensorClass::kAttnKNorm:
      r = 1;
      k = static_cast<size_t>(c.head_dim());
      break;
  }
  *rows = r;
  *cols = k;
}

const char* TensorClassName(TensorClass t) {
  switch (t) {
    case TensorClass::kEmbedding:
      return "embedding";
    case TensorClass::kAttnQ:
      return "attn_q";
    case TensorClass::kAttnK:
      return "attn_k";
    case TensorClass::kAttnV:
      return "attn_v";
    case TensorClass::kAttnO:
      return "attn_o";
    case TensorClass::kFfnGate:
      return "ffn_gate";
    case TensorClass::kFfnUp:
      return "ffn_up";
    case TensorClass::kFfnDown:
      return "ffn_down";
    case TensorClass::kOutput:
      return "output";
    case TensorClass::kAttnNorm:
      return "attn_norm";
    case TensorClass::kFfnNorm:
      return "ffn_norm";
    case TensorClass::kFinalNorm:
      return "final_norm";
    case TensorClass::kAttnQNorm:
      return "attn_q_norm";
    case TensorClass::kAttnKNorm:
      return "attn_k_norm";
    case TensorClass::kAttnPostNorm:
      return "attn_post_norm";
    case TensorClass::kFfnPostNorm:
      return "ffn_post_norm";
  }
  return "unknown";
}

}  // namespace qins::runner
