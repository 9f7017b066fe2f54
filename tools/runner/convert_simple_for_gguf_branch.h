// TEMPORARY (gguf branch only): converts every linear weight of a source into
// one format, so that qins-convert works before the runner's ConvertModel
// (format map, seed-adaptive policy) is merged. At merge the lead replaces
// the call in tools/qins_convert.cc with ConvertModel from
// tools/runner/convert.h and deletes this file and its .cc.
#ifndef QINS_TOOLS_RUNNER_CONVERT_SIMPLE_FOR_GGUF_BRANCH_H_
#define QINS_TOOLS_RUNNER_CONVERT_SIMPLE_FOR_GGUF_BRANCH_H_

#include "qins/context.h"
#include "qins/format.h"
#include "qins/status.h"
#include "tools/runner/model_source.h"
#include "tools/runner/model_weights.h"

namespace qins::runner {

// Reads each tensor as f32 and quantizes it into `format` on ctx's threads;
// norms stay f32. `progress`: a progress line on stderr once converting
// has taken a second.
StatusOr<ModelWeights> ConvertSimpleForGgufBranch(const Context& ctx,
                                                  const ModelSource& src,
                                                  Format format, bool progress);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_CONVERT_SIMPLE_FOR_GGUF_BRANCH_H_
