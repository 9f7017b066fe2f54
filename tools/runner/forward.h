// The Llama forward pass, one token at a time: RMSNorm, rotary embeddings
// on adjacent pairs (2i, 2i+1), grouped-query attention over an FP32 KV
// cache, SwiGLU FFN, final norm and classifier. Every weight-matrix product
// is a qins::Gemv on the converted weights; norms, softmax and attention stay
// FP32 (the documents' "Pattern C").
#ifndef QINS_TOOLS_RUNNER_FORWARD_H_
#define QINS_TOOLS_RUNNER_FORWARD_H_

#include <vector>

#include "qins/context.h"
#include "tools/runner/model_weights.h"

namespace qins::runner {

// Seconds spent per region when profiling is on (steady_clock around each
// region, ~20 ns per boundary, ~15 boundaries per layer).
struct ForwardProfile {
  double gemv_s = 0;       // every Gemv (projections, FFN, classifier)
  double attention_s = 0;  // scores, softmax, weighted sum of V
  double other_s = 0;      // embedding row, norms, RoPE, SwiGLU, residuals
};

class Transformer {
 public:
  // `weights` must outlive the Transformer. The KV cache holds
  // `max_positions` positions (0: the model's seq_len; larger is clamped to
  // it): n_layers x max_positions x kv_dim x 2 floats.
  static StatusOr<Transformer> Create(const Context& ctx,
                                      const ModelWeights* weights,
                                      int max_positions = 0);

  // Runs token `token` at position `pos` (0 <= pos < max_positions; the
  // cache entries of positions < pos must come from earlier calls of this
  // sequence) and returns the vocab_size logits (valid until the next call).
  StatusOr<const float*> Forward(int token, int pos);

  int max_positions() const { return max_positions_; }
  const ModelConfig& config() const { return w_->config; }
  void set_profiling(bool on) { profiling_ = on; }
  ForwardProfile& profile() { return profile_; }

 private:
  Transformer(const Context& ctx, const ModelWeights* w) : ctx_(ctx), w_(w) {}
  void Attention(int layer, int pos);

  Context ctx_;
  const ModelWeights* w_;
  int max_positions_ = 0;
  bool profiling_ = false;
  ForwardProfile profile_;
  std::vector<float> inv_freq_;             // head_dim / 2 rotary frequencies
  std::vector<float> rope_cos_, rope_sin_;  // at the current position
  // Activations: x residual stream, xb/xb2 dim scratch, q dim, hb/hb2
  // hidden, att n_heads x max_positions scores, logits vocab.
  std::vector<float> x_, xb_, xb2_, q_, hb_, hb2_, att_, logits_;
  std::vector<float> key_cache_, value_cache_;  // [layer][pos][kv_dim]
};

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_FORWARD_H_
