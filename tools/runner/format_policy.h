// Which weight format each tensor class gets when a model is converted:
// one format for all linear weights (--format), per-class overrides
// (--format-map class=fmt,...), or the design documents' adaptive depth rule
// (--policy seed-adaptive, docs/runner.md).
#ifndef QINS_TOOLS_RUNNER_FORMAT_POLICY_H_
#define QINS_TOOLS_RUNNER_FORMAT_POLICY_H_

#include <map>
#include <string>
#include <string_view>

#include "qins/format.h"
#include "qins/gemv.h"
#include "tools/runner/model_source.h"

namespace qins::runner {

struct FormatPolicy {
  Format default_format;                    // f32 unless chosen
  std::map<TensorClass, Format> per_class;  // overrides
  std::string name;                         // for tables: "qins8", ...
  // "stored": the formats a converted-model file already holds, used as
  // they are (ConvertModel copies no weights and encodes nothing).
  bool stored = false;
  // The GEMV strategy (qins/gemv.h) of every one-token product whose
  // weight format has it; the others, and every GEMM, keep auto. A
  // non-auto strategy shows in `name` as a suffix: "q8_0@dot".
  GemvStrategy gemv_strategy = GemvStrategy::kAuto;

  Format For(TensorClass t) const {
    auto it = per_class.find(t);
    return it == per_class.end() ? default_format : it->second;
  }
  // A tied embedding/classifier is one matrix; it takes the output's format
  // (the classifier GEMV reads it every token; the embedding reads one row).
  Format ForTiedEmbedding() const { return For(TensorClass::kOutput); }
};

// The linear-weight classes, in model order.
inline constexpr TensorClass kLinearClasses[] = {
    TensorClass::kEmbedding, TensorClass::kAttnQ,   TensorClass::kAttnK,
    TensorClass::kAttnV,     TensorClass::kAttnO,   TensorClass::kFfnGate,
    TensorClass::kFfnUp,     TensorClass::kFfnDown, TensorClass::kOutput};

// The documents' adaptive depth (chapter 9 of 001_*.txt): output
// fpins3-seed, attention q/k/v fpins2-seed, embedding fpins1-seed, every
// other linear weight (attn_o, ffn gate/up/down) fpins0-seed.
FormatPolicy SeedAdaptivePolicy();

// The format a tensor of `cols` weights per row gets when `f` cannot hold
// such rows (GetFormatInfo(f).col_multiple does not divide `cols`): as
// llama.cpp's quantizer does (tensor_type_fallback in llama-quant.cpp),
// iq4_xs -> iq4_nl, q2_k and q3_k -> q4_0, q4_k -> q5_0, q5_k -> q5_1,
// q6_k -> q8_0. Those fallbacks take any row length. `f` itself when it
// fits.
Format FallbackFormat(Format f, size_t cols);

// Builds a policy from the command-line options: `format` (may be empty:
// f32; "stored": the converted-model file's own formats), `format_map`
// "class=fmt,..." (may be empty) and `policy` ("" or "seed-adaptive", which
// excludes the other two). Unknown class or format
// names are errors listing the valid ones.
StatusOr<FormatPolicy> ParseFormatPolicy(std::string_view format,
                                         std::string_view format_map,
                                         std::string_view policy);

// Whether some linear weight of `p` has GEMV strategy `s` (always true for
// kAuto and kDecode, and for a "stored" policy, whose formats are known
// only once the model is open).
bool PolicyHasGemvStrategy(const FormatPolicy& p, GemvStrategy s);

// Sets p's GEMV strategy and appends "@name" to its name (nothing for
// kAuto). InvalidArgument when no format of the policy has the strategy,
// naming the strategies its formats have.
Status SetGemvStrategy(FormatPolicy* p, GemvStrategy s);

// One entry of an eval/bench --formats list: a format name, "stored" or
// "seed-adaptive", optionally followed by "@strategy" (a GEMV strategy,
// qins/gemv.h: "q8_0@dot"). Unknown names are errors listing the valid
// ones. `format_map` (eval and bench --format-map): per-class overrides,
// as ParseFormatPolicy's, applied to a format entry before its strategy is
// checked ("f32@dot" with "ffn_down=q6_k": dot on the q6_k matrices only);
// an error with "stored" or "seed-adaptive".
StatusOr<FormatPolicy> ParsePolicyListItem(std::string_view item,
                                           std::string_view format_map = {});

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_FORMAT_POLICY_H_
