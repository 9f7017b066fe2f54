// The Llama forward pass: RMSNorm, rotary embeddings on adjacent pairs
// (2i, 2i+1), grouped-query attention over an FP32 KV cache, SwiGLU FFN,
// final norm and classifier. Every weight-matrix product goes through the
// library on the converted weights: qins::Gemv for one token (Forward),
// qins::Gemm for several (Prefill); norms, softmax and attention stay FP32
// (the documents' "Pattern C"). Forward's GEMV runs auto's strategy, which
// rounds x to int8 (`dot`) for the formats where that qualified on quality
// (docs/gemv.md); Prefill keeps every product's x in f32.
#ifndef QINS_TOOLS_RUNNER_FORWARD_H_
#define QINS_TOOLS_RUNNER_FORWARD_H_

#include <vector>

#include "qins/context.h"
#include "qins/gemv.h"
#include "tools/runner/forward_profiler.h"
#include "tools/runner/model_weights.h"

namespace qins::runner {

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
  // Non-finite values are never returned as logits: the residual stream is
  // checked after the embedding and after every layer, and the logits after
  // the classifier (one pass of dim or vocab floats each); the first NaN or
  // Inf is an OutOfRange error naming the position and the layer
  // ("position 3: non-finite value (NaN or Inf) after layer 1 (of 5) ...").
  // The KV cache of that position is then unspecified.
  StatusOr<const float*> Forward(int token, int pos);

  // Runs tokens[0..n) at positions pos0 .. pos0 + n - 1 (n >= 1, within
  // max_positions; the cache must hold positions < pos0 of this sequence)
  // in batches of up to kMaxBatch tokens, each weight product one qins::Gemm
  // per batch (n == 1: Forward). Returns the logits of the last token, or
  // with `all_logits` those of every token (n x vocab_size, row-major);
  // valid until the next call. Every product keeps x in f32: the GEMMs, and
  // the one-row products (n == 1, a last batch of one token, the last
  // token's classifier) through GemvF32ActivationStrategy unless
  // set_gemv_strategy names another. So the logits equal Forward's run
  // token by token with set_f32_activations(true) up to summation order
  // (Gemm and Gemv add in different orders; tested to ~1e-5 relative on the
  // bundled models), and Forward's with auto's GEMV also up to x's int8
  // rounding where auto is `dot`. They do not depend on the thread count.
  // Non-finite values stop it as they stop Forward (the error names the
  // first position of the batch that has one).
  StatusOr<const float*> Prefill(const int* tokens, int n, int pos0,
                                 bool all_logits = false);
  static constexpr int kMaxBatch = 64;

  // The GEMV strategy of every following one-token product (Forward, and
  // Prefill's classifier of a last token) whose weight format has it; the
  // other formats keep kAuto (GemvF32ActivationStrategy in Prefill and with
  // set_f32_activations). Prefill's GEMMs keep f32 activations, except
  // under kDot for the formats with GemmStrategy::kDot, which equals
  // Gemv(kDot) row for row.
  void set_gemv_strategy(GemvStrategy s) { gemv_strategy_ = s; }
  GemvStrategy gemv_strategy() const { return gemv_strategy_; }
  // true: Forward's one-token products whose strategy is kAuto run
  // GemvF32ActivationStrategy (x stays f32, never `dot`), as Prefill's do;
  // for comparisons against an FP32-activation reference. Default false.
  void set_f32_activations(bool on) { f32_activations_ = on; }
  bool f32_activations() const { return f32_activations_; }
  // Whether Prefill's products compute what token-by-token Forward's do
  // under the strategy set: kAuto, or kDot when every matrix with the dot
  // GEMV also has the dot GEMM (not qins8).
  bool PrefillMatchesGemvStrategy() const;
  // Whether some weight matrix of the model has the strategy set (kAuto:
  // true), i.e. whether it changes anything.
  bool UsesGemvStrategy() const;

  int max_positions() const { return max_positions_; }
  const ModelConfig& config() const { return w_->config; }
  // Regions of every following Forward/Prefill are charged to `p` (null:
  // off); `p` must outlive its use.
  void set_profiler(ForwardProfiler* p) { prof_ = p; }
  ForwardProfiler* profiler() const { return prof_; }

 private:
  Transformer(const Context& ctx, const ModelWeights* w) : ctx_(ctx), w_(w) {}
  StatusOr<const float*> PrefillBatch(const int* tokens, int n, int pos0,
                                      float* logits);
  // Attention of head `h` for the token at `pos` of layer `layer`: q is the
  // token's dim-float query, out its dim-float output, att max_positions
  // floats of scratch.
  void AttendHead(int layer, int pos, int h, const float* q, float* out,
                  float* att) const;
  // Times (and counts) the region since the last lap, when profiling.
  void Lap(RegionKind kind, double bytes, double flops = 0) {
    if (prof_) prof_->Lap(prof_->Region(kind), bytes, flops);
  }
  Status Matmul(TensorClass cls, const QuantizedMatrix& w, const float* x,
                int m, float* y, size_t y_stride);

  Context ctx_;
  const ModelWeights* w_;
  int max_positions_ = 0;
  ForwardProfiler* prof_ = nullptr;
  GemvStrategy gemv_strategy_ = GemvStrategy::kAuto;
  bool f32_activations_ = false;
  bool in_prefill_ = false;  // set by Prefill for its duration
  // Rotary frequencies: head_dim / 2 of the global layers, then head_dim / 2
  // of the local ones (Gemma 3); rope_cos_/rope_sin_ the same layout at the
  // current position.
  std::vector<float> inv_freq_;
  std::vector<float> rope_cos_, rope_sin_;
  // The angles' cos/sin for layer `l` (global or local) from a table of
  // head_dim entries laid out as rope_cos_.
  int RopeOffset(int l) const {
    return w_->config.is_local(l) ? w_->config.head_dim() / 2 : 0;
  }
  // Activations: x residual stream, xb/xb2 dim scratch, q and attn_out
  // q_dim (= dim but for Gemma 3), hb/hb2 hidden, att n_heads x
  // max_positions scores, logits vocab.
  std::vector<float> x_, xb_, xb2_, q_, attn_out_, hb_, hb2_, att_, logits_;
  // Prefill's kMaxBatch-row versions (allocated on the first Prefill):
  // rows x dim (bq_, battn_out_: rows x q_dim), rows x hidden, rows x
  // n_heads x max_positions.
  std::vector<float> bx_, bxb_, bxb2_, bq_, battn_out_, bhb_, bhb2_, batt_,
      blogits_;
  std::vector<float> brope_cos_, brope_sin_;    // rows x head_dim
  std::vector<float> key_cache_, value_cache_;  // [layer][pos][kv_dim]
};

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_FORWARD_H_
