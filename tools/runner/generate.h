// Autoregressive generation as llama2.c's run.c does it, except that the
// prompt runs as one prefill (Transformer::Prefill, GEMM) instead of token by
// token: then each sampled token is fed back, until the BOS token is
// produced (run.c's stop rule: BOS delimits sequences), the budget is spent
// or the context is full. A prompt longer than the context is an error.
#ifndef QINS_TOOLS_RUNNER_GENERATE_H_
#define QINS_TOOLS_RUNNER_GENERATE_H_

#include <functional>
#include <vector>

#include "tools/runner/forward.h"
#include "tools/runner/sampler.h"

namespace qins::runner {

struct GenerateOptions {
  int max_new_tokens = 256;
  // Called with (previous token, new token) for each generated token.
  std::function<void(int, int)> on_token;
  // If non-null, receives the logits of every position run (positions x
  // vocab, appended): the prompt's, then one per token fed back.
  std::vector<float>* logits_out = nullptr;
  // Tokens that end the generation like BOS does (not returned): a GGUF
  // chat model's EOS and end-of-turn tokens.
  std::vector<int> stop_ids;
};

// Returns the generated tokens (without the prompt). The prompt must be
// non-empty; every id is checked by the forward pass.
StatusOr<std::vector<int>> Generate(Transformer& model,
                                    const std::vector<int>& prompt,
                                    Sampler& sampler,
                                    const GenerateOptions& opt);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_GENERATE_H_
