#include "tools/runner/forward.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "dispatch/parallel.h"
#include "qins/gemv.h"

namespace qins::runner {
namespace {

using Clock = std::chrono::steady_clock;

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
  Transformer t(ctx, weights);
  t.max_positions_ =
      max_positions <= 0 ? c.seq_len : std::min(max_positions, c.seq_len);
  const int hs = c.head_dim();
  t.inv_freq_.resize(hs / 2);
  for (int i = 0; i < hs / 2; ++i) {
    // run.c: 1 / theta^(2i / head_size) in float.
    t.inv_freq_[i] = 1.0f / std::pow(c.rope_theta, (2 * i) / float(hs));
  }
  t.rope_cos_.resize(hs / 2);
  t.rope_sin_.resize(hs / 2);
  t.x_.resize(c.dim);
  t.xb_.resize(c.dim);
  t.xb2_.resize(c.dim);
  t.q_.resize(c.dim);
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

void Transformer::Attention(int layer, int pos) {
  const ModelConfig& c = w_->config;
  const int hs = c.head_dim(), kv_dim = c.kv_dim();
  const int group = c.n_heads / c.n_kv_heads;
  const size_t layer_off = size_t(layer) * max_positions_ * kv_dim;
  const float scale = 1.0f / std::sqrt(float(hs));
  auto heads = [&](size_t h0, size_t h1) {
    for (size_t h = h0; h < h1; ++h) {
      const float* q = q_.data() + h * hs;
      float* att = att_.data() + h * max_positions_;
      const size_t kv_off = layer_off + (h / group) * hs;
      // Scores: (pos + 1) dot products of head_dim.
      float max_score = -INFINITY;
      for (int t = 0; t <= pos; ++t) {
        att[t] =
            Dot(q, key_cache_.data() + kv_off + size_t(t) * kv_dim, hs) * scale;
        max_score = std::max(max_score, att[t]);
      }
      float sum = 0.0f;
      // exp(d) for d < -40 (< 4.3e-18 of the largest term, which
      // contributes 1 to the sum: below f32 resolution unless ~10^10 terms
      // add up) is taken as 0. Such values, and their products with V,
      // would otherwise reach the subnormal range, where x86 arithmetic
      // costs ~100 cycles per operation; peaked attention in small trained
      // models produces many of them.
      for (int t = 0; t <= pos; ++t) {
        const float d = att[t] - max_score;
        att[t] = d < -40.0f ? 0.0f : std::exp(d);
        sum += att[t];
      }
      const float inv = 1.0f / sum;
      // Weighted sum of V: (pos + 1) x head_dim multiply-adds.
      float* out = xb_.data() + h * hs;
      std::fill(out, out + hs, 0.0f);
      for (int t = 0; t <= pos; ++t) {
        const float a = att[t] * inv;
        if (a == 0.0f) continue;
        const float* v = value_cache_.data() + kv_off + size_t(t) * kv_dim;
        for (int i = 0; i < hs; ++i) out[i] += a * v[i];
      }
    }
  };
  // Each head is computed by one thread in a fixed order, so the result does
  // not depend on the thread count. Below ~64K multiply-adds (~10 us on one
  // core) a fork/join of a few us would cost more than it saves, so one
  // thread runs them; the threshold is an estimate, not yet tuned on a
  // quiet machine.
  const size_t work = size_t(c.n_heads) * (pos + 1) * hs * 2;
  const size_t grain = work < (size_t{1} << 16) ? c.n_heads : 1;
  ParallelFor(ctx_, c.n_heads, grain,
              [&](size_t h0, size_t h1) { heads(h0, h1); });
}

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
  const int hs = c.head_dim();
  Clock::time_point last;
  if (profiling_) last = Clock::now();
  auto lap = [&](double* bucket) {
    if (!profiling_) return;
    const Clock::time_point now = Clock::now();
    *bucket += std::chrono::duration<double>(now - last).count();
    last = now;
  };
  Status st = DequantizeRows(ctx_, w_->token_embedding, token, 1, x_.data());
  if (!st.ok()) return st;
  // The rotation of pair i at this position, shared by every layer and head.
  for (int i = 0; i < hs / 2; ++i) {
    const float angle = pos * inv_freq_[i];
    rope_cos_[i] = std::cos(angle);
    rope_sin_[i] = std::sin(angle);
  }
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = w_->layers[l];
    const size_t cache_off =
        (size_t(l) * max_positions_ + size_t(pos)) * kv_dim;
    float* k = key_cache_.data() + cache_off;
    float* v = value_cache_.data() + cache_off;
    RmsNorm(xb_.data(), x_.data(), w.attn_norm.data(), dim, c.norm_eps);
    lap(&profile_.other_s);
    if (!(st = Gemv(ctx_, w.wq, xb_.data(), q_.data())).ok()) return st;
    if (!(st = Gemv(ctx_, w.wk, xb_.data(), k)).ok()) return st;
    if (!(st = Gemv(ctx_, w.wv, xb_.data(), v)).ok()) return st;
    lap(&profile_.gemv_s);
    // RoPE: rotate each adjacent pair (2i, 2i+1) of every q and k head by
    // pos * inv_freq[i].
    for (int i = 0; i < hs / 2; ++i) {
      const float fcr = rope_cos_[i], fci = rope_sin_[i];
      for (int base = 0; base < dim; base += hs) {
        float* p = q_.data() + base + 2 * i;
        const float a = p[0], b = p[1];
        p[0] = a * fcr - b * fci;
        p[1] = a * fci + b * fcr;
        if (base < kv_dim) {
          float* r = k + base + 2 * i;
          const float ka = r[0], kb = r[1];
          r[0] = ka * fcr - kb * fci;
          r[1] = ka * fci + kb * fcr;
        }
      }
    }
    lap(&profile_.other_s);
    Attention(l, pos);
    lap(&profile_.attention_s);
    if (!(st = Gemv(ctx_, w.wo, xb_.data(), xb2_.data())).ok()) return st;
    lap(&profile_.gemv_s);
    for (int i = 0; i < dim; ++i) x_[i] += xb2_[i];
    RmsNorm(xb_.data(), x_.data(), w.ffn_norm.data(), dim, c.norm_eps);
    lap(&profile_.other_s);
    if (!(st = Gemv(ctx_, w.w_gate, xb_.data(), hb_.data())).ok()) return st;
    if (!(st = Gemv(ctx_, w.w_up, xb_.data(), hb2_.data())).ok()) return st;
    lap(&profile_.gemv_s);
    // SwiGLU: silu(gate) * up.
    for (int i = 0; i < hidden; ++i) {
      const float g = hb_[i];
      hb_[i] = g / (1.0f + std::exp(-g)) * hb2_[i];
    }
    lap(&profile_.other_s);
    if (!(st = Gemv(ctx_, w.w_down, hb_.data(), xb_.data())).ok()) return st;
    lap(&profile_.gemv_s);
    for (int i = 0; i < dim; ++i) x_[i] += xb_[i];
  }
  RmsNorm(x_.data(), x_.data(), w_->final_norm.data(), dim, c.norm_eps);
  lap(&profile_.other_s);
  if (!(st = Gemv(ctx_, w_->classifier(), x_.data(), logits_.data())).ok())
    return st;
  lap(&profile_.gemv_s);
  return static_cast<const float*>(logits_.data());
}

}  // namespace qins::runner
