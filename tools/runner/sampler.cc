#include "tools/runner/sampler.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace qins::runner {

namespace {

// The plain definition: the first index whose logit no later one exceeds
// (a NaN at 0 stays; later NaNs never win).
int ArgmaxScalar(const float* logits, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (logits[i] > logits[best]) best = i;
  return best;
}

}  // namespace

// ArgmaxScalar's answer in two passes: per chunk of kChunk logits the
// running max in 4 x 4 independent lanes (GCC/Clang vector extensions, so
// maxps / fmax on any target: GCC 12 -O3 leaves the same loop over a
// float[16] as 16 scalar maxss), then the first chunk whose max equals the
// overall one, scanned from its start. ArgmaxScalar's chain of dependent
// compares took ~375 us per 262144 logits (Gemma 3's vocabulary, 2.7% of
// its decode time on the AMD EPYC Zen 4 host, 2026-12-07). NaN: `>` is
// false for it, as in ArgmaxScalar, so it never raises a lane; a NaN at
// index 0 is answered up front, a chunk starting with one is rescanned.
int Argmax(const float* logits, int n) {
  typedef float V4 __attribute__((vector_size(16)));
  constexpr int kChunk = 1024;
  if (n < 2 * kChunk || !(logits[0] == logits[0])) {
    return ArgmaxScalar(logits, n);
  }
  auto vmax = [](V4 x, V4 m) { return x > m ? x : m; };
  float best = logits[0];
  int best_chunk = 0;
  for (int c0 = 0; c0 < n; c0 += kChunk) {
    const int len = std::min(kChunk, n - c0);
    const float* p = logits + c0;
    V4 m0 = {p[0], p[0], p[0], p[0]}, m1 = m0, m2 = m0, m3 = m0;
    int i = 0;
    for (; i + 16 <= len; i += 16) {
      V4 x0, x1, x2, x3;
      std::memcpy(&x0, p + i, 16);
      std::memcpy(&x1, p + i + 4, 16);
      std::memcpy(&x2, p + i + 8, 16);
      std::memcpy(&x3, p + i + 12, 16);
      m0 = vmax(x0, m0);
      m1 = vmax(x1, m1);
      m2 = vmax(x2, m2);
      m3 = vmax(x3, m3);
    }
    const V4 m = vmax(vmax(m0, m1), vmax(m2, m3));
    float cm = m[0];
    for (int j = 1; j < 4; ++j) cm = m[j] > cm ? m[j] : cm;
    for (; i < len; ++i) cm = p[i] > cm ? p[i] : cm;
    if (!(cm == cm)) cm = p[ArgmaxScalar(p, len)];
    if (cm > best) {
      best = cm;
      best_chunk = c0;
    }
  }
  const int c0 = best_chunk, len = std::min(kChunk, n - c0);
  for (int i = 0; i < len; ++i)
    if (logits[c0 + i] == best) return c0 + i;
  return c0 + ArgmaxScalar(logits + c0, len);  // not reached
}

Sampler::Sampler(int vocab_size, float temperature, float top_p, uint64_t seed)
    : vocab_size_(vocab_size),
      temperature_(temperature),
      top_p_(top_p),
      state_(seed == 0 ? 1 : seed) {}

float Sampler::RandomF32() {
  // run.c's random_u32: xorshift64*, top 32 bits.
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  const uint32_t u =
      static_cast<uint32_t>((state_ * 0x2545F4914F6CDD1Dull) >> 32);
  return (u >> 8) / 16777216.0f;
}

int Sampler::Sample(float* logits) {
  const int n = vocab_size_;
  if (n <= 0) return -1;
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(logits[i])) return -1;
  }
  if (n == 1) return 0;
  // Greedy at temperature 0 (and for a temperature that is not a positive
  // number: NaN or negative).
  if (!(temperature_ > 0.0f)) return Argmax(logits, n);
  // softmax(logits / T) as exp((l - max) / T): the differences are <= 0, so
  // a tiny T gives exp(-inf) = 0 for the others and exp(0) = 1 for the
  // maximum instead of inf / inf = NaN, and a huge T gives the uniform
  // distribution. The sum is >= 1 (the maximum's term).
  float max_logit = logits[0];
  for (int i = 1; i < n; ++i) max_logit = std::max(max_logit, logits[i]);
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    // -FLT_MAX, not -inf, for differences that overflow: -inf / inf (an
    // infinite temperature) would be NaN.
    const float d = std::max(logits[i] - max_logit, -FLT_MAX);
    logits[i] = std::exp(d / temperature_);
    sum += logits[i];
  }
  float max_p = 0.0f;
  for (int i = 0; i < n; ++i) {
    logits[i] /= sum;
    max_p = std::max(max_p, logits[i]);
  }
  const float coin = RandomF32();
  if (!(top_p_ > 0.0f && top_p_ < 1.0f)) {
    float cdf = 0.0f;
    for (int i = 0; i < n; ++i) {
      cdf += logits[i];
      if (coin < cdf) return i;
    }
    return n - 1;  // rounding
  }
  // Nucleus: candidates above (1 - top_p) / (n - 1) as run.c, sorted by
  // probability (descending), cut where the cumulative mass exceeds top_p.
  // The most probable token always stays a candidate: run.c's cut-off can
  // exceed every probability (uniform logits with top_p < 1 / n), and an
  // empty list has no token to return.
  const float cutoff = std::min((1.0f - top_p_) / (n - 1), max_p);
  candidates_.clear();
  for (int i = 0; i < n; ++i)
    if (logits[i] >= cutoff) candidates_.push_back({logits[i], i});
  std::sort(candidates_.begin(), candidates_.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  float cum = 0.0f;
  size_t last = candidates_.size() - 1;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    cum += candidates_[i].first;
    if (cum > top_p_) {
      last = i;
      break;
    }
  }
  const float r = coin * cum;
  float cdf = 0.0f;
  for (size_t i = 0; i <= last; ++i) {
    cdf += candidates_[i].first;
    if (r < cdf) return candidates_[i].second;
  }
  return candidates_[last].second;
}

}  // namespace qins::runner
