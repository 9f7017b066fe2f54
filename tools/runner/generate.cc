#include "tools/runner/generate.h"

#include <vector>

namespace qins::runner {

StatusOr<std::vector<int>> Generate(Transformer& model,
                                    const std::vector<int>& prompt,
                                    Sampler& sampler,
                                    const GenerateOptions& opt) {
  if (prompt.empty()) return InvalidArgument("generate: empty prompt");
  const int vocab = model.config().vocab_size;
  const int bos = model.config().bos_id;
  std::vector<int> out;
  std::vector<float> scratch(vocab);
  int token = prompt[0];
  for (int pos = 0; pos < model.max_positions(); ++pos) {
    const bool in_prompt = pos + 1 < static_cast<int>(prompt.size());
    if (!in_prompt && static_cast<int>(out.size()) >= opt.max_new_tokens) break;
    auto logits = model.Forward(token, pos);
    if (!logits.ok()) return logits.status();
    if (opt.logits_out != nullptr)
      opt.logits_out->insert(opt.logits_out->end(), *logits, *logits + vocab);
    int next;
    if (in_prompt) {
      next = prompt[pos + 1];
    } else {
      scratch.assign(*logits, *logits + vocab);
      next = sampler.Sample(scratch.data());
      if (next == bos) break;
      out.push_back(next);
      if (opt.on_token) opt.on_token(token, next);
    }
    token = next;
  }
  return out;
}

}  // namespace qins::runner
