#include "tools/runner/forward.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>

#include "qins/activation.h"
#include "qins/context.h"
#include "qins/gemm.h"
#include "qins/gemv.h"

namespace qins::runner {
namespace {

// out = w * x / sqrt(mean(x^2) + eps), as llama2.c's rmsnorm.
void RmsNorm(float* out, const float* x, const float* w, int n, float eps) {
  float ss = 0.0f;
  for (int i = 0; i < n; ++i) ss += x[i] * x[i];
  ss = 1.0f / std::sqrt(ss / n + eps);
  for (int i = 0; i < n; ++i) out[i] = w[i] * (ss * x[i]);
}

// Dot product with 8 independent partial sums (vectorisable without
// reassociation flags); n is a head dimension, so short.
float Dot(const float* a, const float* b, int n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) s[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) s[0] += a[i] * b[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// Rotates pair i of each of `heads` heads of v (heads x hs floats) by the
// angle whose cos/sin are given: Llama's pairs are adjacent (2i, 2i+1), as
// run.c and llama.cpp's LLAMA_ROPE_TYPE_NORM rotate them; Gemma 3's are
// (i, i + hs/2) (NeoX).
void Rope(float* v, int heads, int hs, bool neox, const float* cos_,
          const float* sin_) {
  const int half = hs / 2;
  for (int h = 0; h < heads; ++h) {
    float* head = v + size_t(h) * hs;
    for (int i = 0; i < half; ++i) {
      float* a = neox ? head + i : head + 2 * i;
      float* b = neox ? head + i + half : head + 2 * i + 1;
      const float x = *a, y = *b, fcr = cos_[i], fci = sin_[i];
      *a = x * fcr - y * fci;
      *b = x * fci + y * fcr;
    }
  }
}

// RMSNorm of each of `heads` heads of v (heads x hs floats) in place, with
// the hs weights w shared by the heads (Gemma 3's q and k norms).
void HeadNorm(float* v, int heads, int hs, const float* w, float eps) {
  for (int h = 0; h < heads; ++h) {
    float* p = v + size_t(h) * hs;
    RmsNorm(p, p, w, hs, eps);
  }
}

// The FFN's gate activation of the architecture in place, h = act(h) * h2:
// GELU(tanh) for Gemma 3 (ggml's tanh form), SiLU (SwiGLU) otherwise, with
// the library's vectorized kernel (qins/activation.h). It fails only on a
// null pointer or an unknown activation.
Status Gate(const Context& ctx, const ModelConfig& c, float* h, const float* h2,
            int n) {
  return ApplyGatedActivation(ctx,
                              c.arch == Arch::kGemma3
                                  ? GateActivation::kGeluTanh
                                  : GateActivation::kSilu,
                              h, h2, static_cast<size_t>(n));
}

// Gemma's embedding scale: rows x dim floats times sqrt(dim) (llama.cpp:
// ggml_scale by sqrtf(n_embd)).
void ScaleEmbedding(const ModelConfig& c, float* x, int rows) {
  const float s = std::sqrt(float(c.dim));
  for (size_t i = 0; i < size_t(rows) * c.dim; ++i) x[i] *= s;
}

// Gemma 2/3's soft cap of the logits, when the model has one.
void SoftCap(const ModelConfig& c, float* logits, size_t n) {
  if (!(c.final_logit_softcap > 0)) return;
  const float cap = c.final_logit_softcap;
  for (size_t i = 0; i < n; ++i) logits[i] = cap * std::tanh(logits[i] / cap);
}

void AddInPlace(float* x, const float* y, int n) {
  for (int i = 0; i < n; ++i) x[i] += y[i];
}

// The first of rows x n floats (row-major) that is NaN or +-Inf, as its row,
// or -1. One pass over the residual stream per layer: dim floats against the
// layer's ~12 dim^2 weight reads.
int FirstNonFiniteRow(const float* x, int rows, size_t n) {
  for (int r = 0; r < rows; ++r) {
    const float* p = x + size_t(r) * n;
    for (size_t i = 0; i < n; ++i)
      if (!std::isfinite(p[i])) return r;
  }
  return -1;
}

// The error for the first non-finite value, found at `pos` after `where`.
Status NonFinite(int pos, const std::string& where) {
  return OutOfRange("position " + std::to_string(pos) +
                    ": non-finite value (NaN or Inf) after " + where +
                    ", the first place it appears; the model's weights "
                    "overflow float32 on this input, so there are no "
                    "meaningful logits");
}

std::string LayerName(int l, int n_layers) {
  return "layer " + std::to_string(l) + " (of " + std::to_string(n_layers) +
         ")";
}

// Bytes of a matrix as the kernels read it (rows x row stride).
double MatrixBytes(const QuantizedMatrix& w) {
  return static_cast<double>(w.rows()) * w.row_stride();
}

}  // namespace

StatusOr<Transformer> Transformer::Create(const Context& ctx,
                                          const ModelWeights* weights,
                                          int max_positions) {
  if (weights == nullptr) return InvalidArgument("Transformer: null weights");
  const ModelConfig& c = weights->config;
  Status st = ValidateConfig(c);
  if (!st.ok()) return st;
  if (weights->layers.size() != static_cast<size_t>(c.n_layers) ||
      weights->token_embedding.empty() || weights->classifier().empty() ||
      weights->final_norm.size() != static_cast<size_t>(c.dim)) {
    return InvalidArgument("Transformer: weights do not match the config");
  }
  if (c.has_gemma_norms()) {
    for (const LayerWeights& l : weights->layers) {
      if (l.attn_q_norm.size() != size_t(c.head_dim()) ||
          l.attn_k_norm.size() != size_t(c.head_dim()) ||
          l.attn_post_norm.size() != size_t(c.dim) ||
          l.ffn_post_norm.size() != size_t(c.dim))
        return InvalidArgument(
            "Transformer: a gemma3 layer lacks its q/k or post norms");
    }
  }
  Transformer t(ctx, weights);
  t.max_positions_ =
      max_positions <= 0 ? c.seq_len : std::min(max_positions, c.seq_len);
  const int hs = c.head_dim();
  // Frequencies of the global layers (rope_theta) and of Gemma 3's local
  // ones (rope_theta_local), each hs / 2.
  t.inv_freq_.resize(hs);
  for (int i = 0; i < hs / 2; ++i) {
    // run.c: 1 / theta^(2i / head_size) in float.
    t.inv_freq_[i] = 1.0f / std::pow(c.rope_theta, (2 * i) / float(hs));
    t.inv_freq_[hs / 2 + i] =
        1.0f / std::pow(c.rope_theta_local, (2 * i) / float(hs));
  }
  t.rope_cos_.resize(hs);
  t.rope_sin_.resize(hs);
  t.x_.resize(c.dim);
  t.xb_.resize(c.dim);
  t.xb2_.resize(c.dim);
  t.q_.resize(c.q_dim());
  t.attn_out_.resize(c.q_dim());
  t.hb_.resize(c.hidden_dim);
  t.hb2_.resize(c.hidden_dim);
  t.att_.resize(size_t(c.n_heads) * t.max_positions_);
  t.logits_.resize(c.vocab_size);
  const size_t cache =
      size_t(c.n_layers) * t.max_positions_ * size_t(c.kv_dim());
  t.key_cache_.assign(cache, 0.0f);
  t.value_cache_.assign(cache, 0.0f);
  return t;
}

void Transformer::AttendHead(int layer, int pos, int h, const float* q,
                             float* out, float* att) const {
  const ModelConfig& c = w_->config;
  const int hs = c.head_dim(), kv_dim = c.kv_dim();
  const int group = c.n_heads / c.n_kv_heads;
  const size_t kv_off =
      size_t(layer) * max_positions_ * kv_dim + size_t(h / group) * hs;
  const float scale = 1.0f / std::sqrt(float(hs));
  q += size_t(h) * hs;
  out += size_t(h) * hs;
  // Gemma 3's local layers see the last sliding_window positions only
  // (llama.cpp masks p when pos - p >= n_swa).
  const int t0 =
      c.is_local(layer) ? std::max(0, pos - c.sliding_window + 1) : 0;
  // Scores: (pos + 1 - t0) dot products of head_dim.
  float max_score = -INFINITY;
  for (int t = t0; t <= pos; ++t) {
    att[t] =
        Dot(q, key_cache_.data() + kv_off + size_t(t) * kv_dim, hs) * scale;
    max_score = std::max(max_score, att[t]);
  }
  float sum = 0.0f;
  // exp(d) for d < -40 (< 4.3e-18 of the largest term, which contributes 1
  // to the sum: below f32 resolution unless ~10^10 terms add up) is taken as
  // 0. Such values, and their products with V, would otherwise reach the
  // subnormal range, where x86 arithmetic costs ~100 cycles per operation;
  // peaked attention in small trained models produces many of them.
  for (int t = t0; t <= pos; ++t) {
    const float d = att[t] - max_score;
    att[t] = d < -40.0f ? 0.0f : std::exp(d);
    sum += att[t];
  }
  const float inv = 1.0f / sum;
  // Weighted sum of V: (pos + 1) x head_dim multiply-adds.
  std::fill(out, out + hs, 0.0f);
  for (int t = t0; t <= pos; ++t) {
    const float a = att[t] * inv;
    if (a == 0.0f) continue;
    const float* v = value_cache_.data() + kv_off + size_t(t) * kv_dim;
    for (int i = 0; i < hs; ++i) out[i] += a * v[i];
  }
}

bool Transformer::PrefillMatchesGemvStrategy() const {
  if (gemv_strategy_ == GemvStrategy::kAuto) return true;
  if (gemv_strategy_ != GemvStrategy::kDot) return false;
  std::vector<const QuantizedMatrix*> ms = {&w_->classifier()};
  for (const LayerWeights& l : w_->layers)
    for (const auto& [t, m] : l.Linear()) ms.push_back(m);
  for (const QuantizedMatrix* m : ms) {
    if (HasGemvStrategy(m->format(), GemvStrategy::kDot) &&
        !HasGemmStrategy(m->format(), GemmStrategy::kDot))
      return false;
  }
  return true;
}

bool Transformer::UsesGemvStrategy() const {
  // The matrices a GEMV reads (an untied embedding is only read by row).
  std::vector<const QuantizedMatrix*> ms = {&w_->classifier()};
  for (const LayerWeights& l : w_->layers)
    for (const auto& [t, m] : l.Linear()) ms.push_back(m);
  for (const QuantizedMatrix* m : ms) {
    if (HasGemvStrategy(m->format(), gemv_strategy_)) return true;
  }
  return false;
}

Status Transformer::Matmul(TensorClass cls, const QuantizedMatrix& w,
                           const float* x, int m, float* y, size_t y_stride) {
  GemvOptions opt;
  if (m == 1 && gemv_strategy_ != GemvStrategy::kAuto &&
      HasGemvStrategy(w.format(), gemv_strategy_)) {
    opt.strategy = gemv_strategy_;
  } else if (m == 1 && (f32_activations_ || in_prefill_)) {
    // auto's GEMV may round x to int8 (`dot`); Prefill and
    // set_f32_activations keep it in f32.
    opt.strategy = GemvF32ActivationStrategy(w.format(), ctx_.target());
  }
  // An explicit kDot also runs the batched products as the integer-dot
  // GEMM where the format has it: row for row the same bits as Gemv(kDot),
  // so a prefill gives what token-by-token decoding gives.
  GemmOptions gopt;
  if (gemv_strategy_ == GemvStrategy::kDot &&
      HasGemmStrategy(w.format(), GemmStrategy::kDot))
    gopt.strategy = GemmStrategy::kDot;
  const Status st = m == 1 ? Gemv(ctx_, w, x, y, opt)
                           : Gemm(ctx_, w, x, m, w.cols(), y, y_stride, gopt);
  if (prof_ && st.ok()) {
    prof_->Lap(prof_->Matmul(m > 1, cls, w.format()),
               MatrixBytes(w) + 4.0 * m * (w.cols() + w.rows()),
               2.0 * m * w.rows() * w.cols());
  }
  return st;
}

namespace {

// Attention FLOPs and modelled bytes of one token at `pos`: scores and the
// weighted sum (2 x 2 x (pos + 1) x head_dim per head), K and V of positions
// 0..pos read once per KV head, q read and the output written.
double AttentionFlops(const ModelConfig& c, int pos) {
  return 4.0 * c.n_heads * (pos + 1.0) * c.head_dim();
}
double AttentionBytes(const ModelConfig& c, int pos) {
  return 4.0 * (2.0 * (pos + 1) * c.kv_dim() + 2.0 * c.q_dim());
}

}  // namespace

StatusOr<const float*> Transformer::Forward(int token, int pos) {
  const ModelConfig& c = w_->config;
  if (token < 0 || token >= c.vocab_size) {
    return InvalidArgument("token id " + std::to_string(token) +
                           " outside the vocabulary [0, " +
                           std::to_string(c.vocab_size) + ")");
  }
  if (pos < 0 || pos >= max_positions_) {
    return InvalidArgument("position " + std::to_string(pos) +
                           " outside the context [0, " +
                           std::to_string(max_positions_) + ")");
  }
  const int dim = c.dim, hidden = c.hidden_dim, kv_dim = c.kv_dim();
  const int hs = c.head_dim(), q_dim = c.q_dim();
  const bool gemma = c.has_gemma_norms();
  if (prof_) prof_->Mark();
  Status st = DequantizeRows(ctx_, w_->token_embedding, token, 1, x_.data());
  if (!st.ok()) return st;
  if (gemma) ScaleEmbedding(c, x_.data(), 1);
  // The rotation of pair i at this position (global, then local layers),
  // shared by every layer and head.
  for (int i = 0; i < hs; ++i) {
    const float angle = pos * inv_freq_[i];
    rope_cos_[i] = std::cos(angle);
    rope_sin_[i] = std::sin(angle);
  }
  Lap(RegionKind::kEmbedding, w_->token_embedding.row_stride() + 4.0 * dim);
  if (FirstNonFiniteRow(x_.data(), 1, dim) >= 0)
    return NonFinite(pos,
                     "the token embedding of token " + std::to_string(token));
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = w_->layers[l];
    const size_t cache_off =
        (size_t(l) * max_positions_ + size_t(pos)) * kv_dim;
    float* k = key_cache_.data() + cache_off;
    float* v = value_cache_.data() + cache_off;
    RmsNorm(xb_.data(), x_.data(), w.attn_norm.data(), dim, c.norm_eps);
    Lap(RegionKind::kRmsNorm, 12.0 * dim);
    if (!(st = Matmul(TensorClass::kAttnQ, w.wq, xb_.data(), 1, q_.data(), 0))
             .ok() ||
        !(st = Matmul(TensorClass::kAttnK, w.wk, xb_.data(), 1, k, 0)).ok() ||
        !(st = Matmul(TensorClass::kAttnV, w.wv, xb_.data(), 1, v, 0)).ok())
      return st;
    if (gemma) {
      HeadNorm(q_.data(), c.n_heads, hs, w.attn_q_norm.data(), c.norm_eps);
      HeadNorm(k, c.n_kv_heads, hs, w.attn_k_norm.data(), c.norm_eps);
      Lap(RegionKind::kRmsNorm, 12.0 * (q_dim + kv_dim));
    }
    const int ro = RopeOffset(l);
    Rope(q_.data(), c.n_heads, hs, gemma, rope_cos_.data() + ro,
         rope_sin_.data() + ro);
    Rope(k, c.n_kv_heads, hs, gemma, rope_cos_.data() + ro,
         rope_sin_.data() + ro);
    Lap(RegionKind::kRope, 8.0 * (q_dim + kv_dim));
    // Each head is computed by one thread in a fixed order, so the result
    // does not depend on the thread count. Below ~64K multiply-adds (~10 us
    // on one core) a fork/join of a few us would cost more than it saves,
    // so one thread runs them; the threshold is an estimate, not yet tuned
    // on a quiet machine.
    const size_t work = size_t(c.n_heads) * (pos + 1) * hs * 2;
    const size_t grain = work < (size_t{1} << 16) ? c.n_heads : 1;
    ParallelFor(ctx_, c.n_heads, grain, [&](size_t h0, size_t h1) {
      for (size_t h = h0; h < h1; ++h)
        AttendHead(l, pos, int(h), q_.data(), attn_out_.data(),
                   att_.data() + h * max_positions_);
    });
    Lap(RegionKind::kAttention, AttentionBytes(c, pos), AttentionFlops(c, pos));
    if (!(st = Matmul(TensorClass::kAttnO, w.wo, attn_out_.data(), 1,
                      xb2_.data(), 0))
             .ok())
      return st;
    if (gemma) {
      RmsNorm(xb2_.data(), xb2_.data(), w.attn_post_norm.data(), dim,
              c.norm_eps);
      Lap(RegionKind::kRmsNorm, 12.0 * dim);
    }
    AddInPlace(x_.data(), xb2_.data(), dim);
    Lap(RegionKind::kResidual, 12.0 * dim);
    RmsNorm(xb_.data(), x_.data(), w.ffn_norm.data(), dim, c.norm_eps);
    Lap(RegionKind::kRmsNorm, 12.0 * dim);
    if (!(st = Matmul(TensorClass::kFfnGate, w.w_gate, xb_.data(), 1,
                      hb_.data(), 0))
             .ok() ||
        !(st = Matmul(TensorClass::kFfnUp, w.w_up, xb_.data(), 1, hb2_.data(),
                      0))
             .ok())
      return st;
    if (!(st = Gate(ctx_, c, hb_.data(), hb2_.data(), hidden)).ok()) return st;
    Lap(RegionKind::kSwiGlu, 12.0 * hidden);
    if (!(st = Matmul(TensorClass::kFfnDown, w.w_down, hb_.data(), 1,
                      xb_.data(), 0))
             .ok())
      return st;
    if (gemma) {
      RmsNorm(xb_.data(), xb_.data(), w.ffn_post_norm.data(), dim, c.norm_eps);
      Lap(RegionKind::kRmsNorm, 12.0 * dim);
    }
    AddInPlace(x_.data(), xb_.data(), dim);
    Lap(RegionKind::kResidual, 12.0 * dim);
    if (FirstNonFiniteRow(x_.data(), 1, dim) >= 0)
      return NonFinite(pos, LayerName(l, c.n_layers));
  }
  RmsNorm(x_.data(), x_.data(), w_->final_norm.data(), dim, c.norm_eps);
  Lap(RegionKind::kRmsNorm, 12.0 * dim);
  if (!(st = Matmul(w_->config.tied_classifier ? TensorClass::kEmbedding
                                               : TensorClass::kOutput,
                    w_->classifier(), x_.data(), 1, logits_.data(), 0))
           .ok())
    return st;
  SoftCap(c, logits_.data(), c.vocab_size);
  if (FirstNonFiniteRow(logits_.data(), 1, c.vocab_size) >= 0)
    return NonFinite(pos, "the final norm and the classifier");
  return static_cast<const float*>(logits_.data());
}

StatusOr<const float*> Transformer::Prefill(const int* tokens, int n, int pos0,
                                            bool all_logits) {
  const ModelConfig& c = w_->config;
  if (tokens == nullptr || n < 1) {
    return InvalidArgument("Prefill: needs at least one token");
  }
  if (pos0 < 0 || pos0 > max_positions_ - n) {
    return InvalidArgument("Prefill: positions [" + std::to_string(pos0) +
                           ", " + std::to_string(int64_t{pos0} + n) +
                           ") outside the context [0, " +
                           std::to_string(max_positions_) + ")");
  }
  for (int i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= c.vocab_size) {
      return InvalidArgument("token id " + std::to_string(tokens[i]) +
                             " outside the vocabulary [0, " +
                             std::to_string(c.vocab_size) + ")");
    }
  }
  // Every one-row product of this call keeps x in f32 (Matmul).
  struct PrefillScope {
    bool* flag;
    explicit PrefillScope(bool* f) : flag(f) { *flag = true; }
    ~PrefillScope() { *flag = false; }
  } scope(&in_prefill_);
  if (n == 1) return Forward(tokens[0], pos0);
  const size_t vocab = c.vocab_size;
  if (all_logits) blogits_.resize(size_t(n) * vocab);
  if (bx_.empty()) {
    const size_t b = kMaxBatch;
    bx_.resize(b * c.dim);
    bxb_.resize(b * c.dim);
    bxb2_.resize(b * c.dim);
    bq_.resize(b * c.q_dim());
    battn_out_.resize(b * c.q_dim());
    bhb_.resize(b * c.hidden_dim);
    bhb2_.resize(b * c.hidden_dim);
    batt_.resize(b * c.n_heads * size_t(max_positions_));
    brope_cos_.resize(b * c.head_dim());
    brope_sin_.resize(b * c.head_dim());
  }
  const float* last = nullptr;
  for (int i = 0; i < n; i += kMaxBatch) {
    const int m = std::min(kMaxBatch, n - i);
    const bool last_batch = i + m == n;
    // Logits: every row's when asked for, else the last token's only.
    float* out = all_logits ? blogits_.data() + size_t(i) * vocab
                            : (last_batch ? logits_.data() : nullptr);
    StatusOr<const float*> r = PrefillBatch(tokens + i, m, pos0 + i, out);
    if (!r.ok()) return r.status();
    last = *r;
  }
  return all_logits ? static_cast<const float*>(blogits_.data()) : last;
}

// One batch of m <= kMaxBatch tokens. `logits`: m x vocab rows to fill, or
// logits_ (the last row only), or null (an earlier batch: no classifier).
StatusOr<const float*> Transformer::PrefillBatch(const int* tokens, int m,
                                                 int pos0, float* logits) {
  const ModelConfig& c = w_->config;
  const int dim = c.dim, hidden = c.hidden_dim, kv_dim = c.kv_dim();
  const int hs = c.head_dim(), q_dim = c.q_dim();
  const bool gemma = c.has_gemma_norms();
  if (prof_) prof_->Mark();
  Status st;
  for (int r = 0; r < m; ++r) {
    st = DequantizeRows(ctx_, w_->token_embedding, tokens[r], 1,
                        bx_.data() + size_t(r) * dim);
    if (!st.ok()) return st;
  }
  if (gemma) ScaleEmbedding(c, bx_.data(), m);
  // Each row's rotations at its position (global, then local layers),
  // shared by every layer and head.
  for (int r = 0; r < m; ++r) {
    for (int i = 0; i < hs; ++i) {
      const float angle = (pos0 + r) * inv_freq_[i];
      brope_cos_[size_t(r) * hs + i] = std::cos(angle);
      brope_sin_[size_t(r) * hs + i] = std::sin(angle);
    }
  }
  Lap(RegionKind::kEmbedding,
      m * (w_->token_embedding.row_stride() + 4.0 * dim));
  if (const int r = FirstNonFiniteRow(bx_.data(), m, dim); r >= 0)
    return NonFinite(
        pos0 + r, "the token embedding of token " + std::to_string(tokens[r]));
  // Rows split over threads for the per-row work (norms, RoPE, SwiGLU,
  // residuals): each row is computed by one thread as Forward computes it.
  auto rows = [&](auto&& f) {
    ParallelFor(ctx_, m, 1, [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; ++r) f(int(r));
    });
  };
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = w_->layers[l];
    const size_t cache_off =
        (size_t(l) * max_positions_ + size_t(pos0)) * kv_dim;
    float* k = key_cache_.data() + cache_off;  // m rows of kv_dim
    float* v = value_cache_.data() + cache_off;
    rows([&](int r) {
      RmsNorm(bxb_.data() + size_t(r) * dim, bx_.data() + size_t(r) * dim,
              w.attn_norm.data(), dim, c.norm_eps);
    });
    Lap(RegionKind::kRmsNorm, 12.0 * dim * m);
    if (!(st = Matmul(TensorClass::kAttnQ, w.wq, bxb_.data(), m, bq_.data(),
                      q_dim))
             .ok() ||
        !(st = Matmul(TensorClass::kAttnK, w.wk, bxb_.data(), m, k, kv_dim))
             .ok() ||
        !(st = Matmul(TensorClass::kAttnV, w.wv, bxb_.data(), m, v, kv_dim))
             .ok())
      return st;
    if (gemma) {
      rows([&](int r) {
        HeadNorm(bq_.data() + size_t(r) * q_dim, c.n_heads, hs,
                 w.attn_q_norm.data(), c.norm_eps);
        HeadNorm(k + size_t(r) * kv_dim, c.n_kv_heads, hs, w.attn_k_norm.data(),
                 c.norm_eps);
      });
      Lap(RegionKind::kRmsNorm, 12.0 * (q_dim + kv_dim) * m);
    }
    const int ro = RopeOffset(l);
    rows([&](int r) {
      const float* cs = brope_cos_.data() + size_t(r) * hs + ro;
      const float* sn = brope_sin_.data() + size_t(r) * hs + ro;
      Rope(bq_.data() + size_t(r) * q_dim, c.n_heads, hs, gemma, cs, sn);
      Rope(k + size_t(r) * kv_dim, c.n_kv_heads, hs, gemma, cs, sn);
    });
    Lap(RegionKind::kRope, 8.0 * (q_dim + kv_dim) * m);
    // Attention: every (token, head) pair by one thread, in a fixed order.
    // Token r attends to positions 0 .. pos0 + r (the batch's own keys are
    // already in the cache).
    double att_bytes = 0, att_flops = 0;
    for (int r = 0; r < m; ++r) {
      att_bytes += AttentionBytes(c, pos0 + r);
      att_flops += AttentionFlops(c, pos0 + r);
    }
    const size_t pairs = size_t(m) * c.n_heads;
    ParallelFor(ctx_, pairs, 1, [&](size_t p0, size_t p1) {
      for (size_t p = p0; p < p1; ++p) {
        const int r = int(p / c.n_heads), h = int(p % c.n_heads);
        AttendHead(l, pos0 + r, h, bq_.data() + size_t(r) * q_dim,
                   battn_out_.data() + size_t(r) * q_dim,
                   batt_.data() + p * max_positions_);
      }
    });
    Lap(RegionKind::kAttention, att_bytes, att_flops);
    if (!(st = Matmul(TensorClass::kAttnO, w.wo, battn_out_.data(), m,
                      bxb2_.data(), dim))
             .ok())
      return st;
    rows([&](int r) {
      float* o = bxb2_.data() + size_t(r) * dim;
      if (gemma) RmsNorm(o, o, w.attn_post_norm.data(), dim, c.norm_eps);
      AddInPlace(bx_.data() + size_t(r) * dim, o, dim);
    });
    Lap(RegionKind::kResidual, 12.0 * dim * m);
    rows([&](int r) {
      RmsNorm(bxb_.data() + size_t(r) * dim, bx_.data() + size_t(r) * dim,
              w.ffn_norm.data(), dim, c.norm_eps);
    });
    Lap(RegionKind::kRmsNorm, 12.0 * dim * m);
    if (!(st = Matmul(TensorClass::kFfnGate, w.w_gate, bxb_.data(), m,
                      bhb_.data(), hidden))
             .ok() ||
        !(st = Matmul(TensorClass::kFfnUp, w.w_up, bxb_.data(), m, bhb2_.data(),
                      hidden))
             .ok())
      return st;
    std::atomic<bool> gate_failed{false};
    rows([&](int r) {
      if (!Gate(ctx_, c, bhb_.data() + size_t(r) * hidden,
                bhb2_.data() + size_t(r) * hidden, hidden)
               .ok())
        gate_failed = true;
    });
    if (gate_failed) {
      return Status(StatusCode::kInternal,
                    "forward: the gate activation failed");
    }
    Lap(RegionKind::kSwiGlu, 12.0 * hidden * m);
    if (!(st = Matmul(TensorClass::kFfnDown, w.w_down, bhb_.data(), m,
                      bxb_.data(), dim))
             .ok())
      return st;
    rows([&](int r) {
      float* o = bxb_.data() + size_t(r) * dim;
      if (gemma) RmsNorm(o, o, w.ffn_post_norm.data(), dim, c.norm_eps);
      AddInPlace(bx_.data() + size_t(r) * dim, o, dim);
    });
    Lap(RegionKind::kResidual, 12.0 * dim * m);
    if (const int r = FirstNonFiniteRow(bx_.data(), m, dim); r >= 0)
      return NonFinite(pos0 + r, LayerName(l, c.n_layers));
  }
  if (logits == nullptr) return static_cast<const float*>(nullptr);
  const TensorClass cls = w_->config.tied_classifier ? TensorClass::kEmbedding
                                                     : TensorClass::kOutput;
  if (logits == logits_.data()) {
    // The last token only: one GEMV.
    float* x = bx_.data() + size_t(m - 1) * dim;
    RmsNorm(x, x, w_->final_norm.data(), dim, c.norm_eps);
    Lap(RegionKind::kRmsNorm, 12.0 * dim);
    if (!(st = Matmul(cls, w_->classifier(), x, 1, logits, 0)).ok()) return st;
    SoftCap(c, logits, c.vocab_size);
    if (FirstNonFiniteRow(logits, 1, c.vocab_size) >= 0)
      return NonFinite(pos0 + m - 1, "the final norm and the classifier");
    return static_cast<const float*>(logits);
  }
  rows([&](int r) {
    float* x = bx_.data() + size_t(r) * dim;
    RmsNorm(x, x, w_->final_norm.data(), dim, c.norm_eps);
  });
  Lap(RegionKind::kRmsNorm, 12.0 * dim * m);
  if (!(st = Matmul(cls, w_->classifier(), bx_.data(), m, logits, c.vocab_size))
           .ok())
    return st;
  SoftCap(c, logits, size_t(m) * c.vocab_size);
  if (const int r = FirstNonFiniteRow(logits, m, c.vocab_size); r >= 0)
    return NonFinite(pos0 + r, "the final norm and the classifier");
  return static_cast<const float*>(logits);
}

}  // namespace qins::runner
