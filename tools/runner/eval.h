// eval mode: the quality of several format policies against FP32 on the
// same model in one run. All models run in lockstep over the same windows,
// so FP32's distributions are computed once and never stored.
#ifndef QINS_TOOLS_RUNNER_EVAL_H_
#define QINS_TOOLS_RUNNER_EVAL_H_

#include <string>
#include <vector>

#include "qins/context.h"
#include "tools/runner/format_policy.h"
#include "tools/runner/model_source.h"

namespace qins::runner {

struct EvalOptions {
  std::vector<FormatPolicy> policies;  // FP32 is always the reference
  // Scored text as token ids (no BOS): cut into non-overlapping windows of
  // ctx - 1 tokens, each run after a BOS; every token after the BOS is
  // scored (the last window may be shorter).
  std::vector<int> tokens;
  int ctx = 256;
  // Greedy-match test: FP32's greedy continuation of `prompt` for
  // `greedy_tokens` tokens; each format's length of identical prefix.
  std::vector<int> prompt;
  int greedy_tokens = 64;
  bool progress = true;  // conversion and window progress on stderr
};

struct EvalRow {
  std::string name;
  size_t weight_bytes = 0, weights = 0;
  double nll = 0, perplexity = 0;  // mean nats per scored token, exp(nll)
  double kl_mean = 0, kl_p99 = 0;  // KL(FP32 || format) in nats
  double top1_agreement = 0;       // argmax equal to FP32's
  int greedy_match = 0;            // of greedy_tokens
};

struct EvalResult {
  std::string model;
  int windows = 0;
  size_t scored_tokens = 0;
  int ctx = 0, greedy_tokens = 0;
  EvalRow reference;  // FP32 (KL 0 by definition)
  std::vector<EvalRow> rows;
};

StatusOr<EvalResult> RunEval(const Context& ctx, const ModelSource& src,
                             const EvalOptions& opt);

std::string EvalMarkdown(const EvalResult& r);
std::string EvalJson(const EvalResult& r);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_EVAL_H_
