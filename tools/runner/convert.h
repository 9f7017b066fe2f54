// Converts a ModelSource into ModelWeights under a FormatPolicy, one tensor
// at a time: each tensor is read as f32 into one reused buffer and quantized,
// so peak memory is the converted model plus the largest tensor in f32.
#ifndef QINS_TOOLS_RUNNER_CONVERT_H_
#define QINS_TOOLS_RUNNER_CONVERT_H_

#include "qins/context.h"
#include "tools/runner/format_policy.h"
#include "tools/runner/model_source.h"
#include "tools/runner/model_weights.h"

namespace qins::runner {

struct ConvertOptions {
  // Progress lines on stderr once conversion has taken more than 1 s.
  bool progress = true;
  // qins::Repack every weight matrix read by GEMV whose format has the
  // interleaved copy (q4_0, q4_1, q5_0, q5_1, iq4_nl, q2_k .. q6_k, iq4_xs,
  // qins4): `dot` reads it on AVX3_DL, the same bits, faster, at the cost of
  // those matrices' size once more (qins-run --repack).
  bool repack = false;
};

// qins::Repack on every matrix of w that a GEMV reads (the linear layers
// and the classifier) whose format has it. Returns the bytes added.
StatusOr<size_t> RepackWeights(const Context& ctx, const ModelWeights& w);

// Errors name the tensor (class and layer) and the format.
StatusOr<ModelWeights> ConvertModel(const Context& ctx, const ModelSource& src,
                                    const FormatPolicy& policy,
                                    const ConvertOptions& opt = {});

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_CONVERT_H_
