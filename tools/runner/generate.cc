#include "tools/runner/generate.h"

#include <algorithm>
#include <string>
#include <vector>

namespace qins::runner {

StatusOr<std::vector<int>> Generate(Transformer& model,
                                    const std::vector<int>& prompt,
                                    Sampler& sampler,
                                    const GenerateOptions& opt) {
  if (prompt.empty()) return InvalidArgument("generate: empty prompt");
  const int n_prompt = static_cast<int>(prompt.size());
  if (n_prompt > model.max_positions()) {
    return InvalidArgument(
        "generate: the prompt has " + std::to_string(n_prompt) +
        " tokens, more than the context of " +
        std::to_string(model.max_positions()) + " positions");
  }
  const int vocab = model.config().vocab_size;
  const int bos = model.config().bos_id;
  ForwardProfiler* prof = model.profiler();
  // The prompt in one prefill (GEMM over batches); its last position's
  // logits give the first sampled token.
  auto logits = model.Prefill(prompt.data(), n_prompt, 0,
                              /*all_logits=*/opt.logits_out != nullptr);
  if (!logits.ok()) return logits.status();
  const float* last = *logits;
  if (opt.logits_out != nullptr) {
    opt.logits_out->insert(opt.logits_out->end(), last,
                           last + size_t(n_prompt) * vocab);
    last += size_t(n_prompt - 1) * vocab;
  }
  std::vector<int> out;
  std::vector<float> scratch(vocab);
  int token = prompt.back();
  for (int pos = n_prompt; static_cast<int>(out.size()) < opt.max_new_tokens;
       ++pos) {
    scratch.assign(last, last + vocab);
    const int next = sampler.Sample(scratch.data());
    if (prof) prof->Lap(prof->Region(RegionKind::kSampling), 8.0 * vocab);
    if (next < 0) {
      // Transformer's per-layer check normally stops first; this catches
      // what it cannot see (a sampler given logits from elsewhere).
      return OutOfRange("generate: the logits of position " +
                        std::to_string(pos - 1) +
                        " are not finite (NaN or Inf); no token to sample");
    }
    if (next == bos || std::find(opt.stop_ids.begin(), opt.stop_ids.end(),
                                 next) != opt.stop_ids.end())
      break;
    out.push_back(next);
    if (opt.on_token) opt.on_token(token, next);
    token = next;
    // The last token sampled is never fed back: the budget is spent, or the
    // context has no position left for it.
    if (static_cast<int>(out.size()) >= opt.max_new_tokens ||
        pos >= model.max_positions())
      break;
    auto l = model.Forward(token, pos);
    if (!l.ok()) return l.status();
    last = *l;
    if (opt.logits_out != nullptr)
      opt.logits_out->insert(opt.logits_out->end(), last, last + vocab);
  }
  return out;
}

}  // namespace qins::runner
