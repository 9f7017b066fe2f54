// Next-token choice as llama2.c's run.c makes it: greedy at temperature 0,
// else softmax(logits / temperature) sampled with nucleus (top-p) cut-off
// when 0 < top_p < 1, from run.c's xorshift generator (same seed, same
// sequence).
#ifndef QINS_TOOLS_RUNNER_SAMPLER_H_
#define QINS_TOOLS_RUNNER_SAMPLER_H_

#include <cstdint>
#include <utility>
#include <vector>

namespace qins::runner {

// Index of the largest logit (the first on ties).
int Argmax(const float* logits, int n);

class Sampler {
 public:
  Sampler(int vocab_size, float temperature, float top_p, uint64_t seed);
  // The next token id, in [0, vocab_size), for finite logits; -1 when a
  // logit is NaN or +-Inf (the caller reports it: a greedy or sampled token
  // from such logits would be meaningless) or vocab_size < 1. Never fails
  // otherwise: a temperature that is not > 0 (0, negative, NaN) is greedy,
  // any positive one (1e-40 included) samples softmax(logits / T) without
  // overflow, top_p outside (0, 1) (NaN included) samples the whole
  // distribution, and the nucleus always holds the most probable token.
  // Modifies `logits` in place when sampling (scaled and softmaxed).
  int Sample(float* logits);

 private:
  float RandomF32();  // [0, 1), run.c's random_f32
  int vocab_size_;
  float temperature_, top_p_;
  uint64_t state_;
  std::vector<std::pair<float, int>> candidates_;
};

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_SAMPLER_H_
