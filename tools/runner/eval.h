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

// Which positions of which windows are scored.
enum class EvalScoring {
  // The text (ids without BOS) is cut into non-overlapping windows of
  // ctx - 1 tokens, each run after a BOS; every token after the BOS is
  // scored (the last window may be shorter).
  kWindows,
  // llama.cpp's llama-perplexity (tools/perplexity/perplexity.cpp): the
  // text tokenized as llama.cpp does (BOS first when the model adds one) is
  // cut into floor(n / ctx) chunks of ctx tokens (the rest is dropped); a
  // chunk's first token is replaced by BOS when the model adds one, and only
  // the second half is scored: the tokens at chunk positions ctx/2 + 1 ..
  // ctx - 1, each predicted from all the chunk's earlier tokens. Needs at
  // least 2 * ctx tokens, as llama-perplexity does.
  kLlamaPerplexity,
};

struct EvalOptions {
  std::vector<FormatPolicy> policies;  // FP32 is always the reference
  EvalScoring scoring = EvalScoring::kWindows;
  // kWindows: the scored text as ids, without BOS. kLlamaPerplexity: the
  // whole token stream as llama.cpp tokenizes it (with its BOS if any).
  std::vector<int> tokens;
  int ctx = 256;
  // kLlamaPerplexity: replace each chunk's first token by BOS (the model's
  // add_bos_token), and score at most `chunks` chunks (-1: all).
  bool add_bos = true;
  int chunks = -1;
  // Greedy-match test: FP32's greedy continuation of `prompt` for
  // `greedy_tokens` tokens; each format's length of identical prefix.
  std::vector<int> prompt;
  int greedy_tokens = 64;
  // Run every policy's windows token by token (Transformer::Forward: one
  // GEMV per weight per token) instead of as one prefill (GEMM). Policies
  // with a non-auto GEMV strategy (FormatPolicy::gemv_strategy, which only
  // GEMVs use) always run token by token. FP32, the reference, always runs
  // as a prefill.
  bool token_by_token = false;
  bool progress = true;  // conversion and window progress on stderr
  bool repack = false;   // ConvertOptions::repack for every policy
};

struct EvalRow {
  std::string name;
  size_t weight_bytes = 0, weights = 0;
  double nll = 0, perplexity = 0;  // mean nats per scored token, exp(nll)
  double kl_mean = 0, kl_p99 = 0;  // KL(FP32 || format) in nats
  double top1_agreement = 0;       // argmax equal to FP32's
  int greedy_match = 0;            // of greedy_tokens
  bool token_by_token = false;     // run through Forward (GEMV), not Prefill
};

struct EvalResult {
  std::string model;
  EvalScoring scoring = EvalScoring::kWindows;
  int windows = 0;
  size_t scored_tokens = 0;
  int ctx = 0, greedy_tokens = 0;
  EvalRow reference;  // FP32 (KL 0 by definition)
  std::vector<EvalRow> rows;
};

// "windows" or "llama-perplexity" (the --scoring values).
const char* EvalScoringName(EvalScoring s);

StatusOr<EvalResult> RunEval(const Context& ctx, const ModelSource& src,
                             const EvalOptions& opt);

std::string EvalMarkdown(const EvalResult& r);
std::string EvalJson(const EvalResult& r);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_EVAL_H_
