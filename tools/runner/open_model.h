// Opens a model source by what the file is: a "GGUF" magic selects the GGUF
// loader, the converted-model magic (docs/qins-model-file.md) the file that
// qins-convert writes, anything else is read as a llama2.c checkpoint; or a
// synthetic preset by name.
#ifndef QINS_TOOLS_RUNNER_OPEN_MODEL_H_
#define QINS_TOOLS_RUNNER_OPEN_MODEL_H_

#include <memory>
#include <string>

#include "tools/runner/model_source.h"

namespace qins::runner {

StatusOr<std::unique_ptr<ModelSource>> OpenModelSource(const std::string& path);

// --synthetic NAME (tools/runner/synthetic_source.h lists the presets).
StatusOr<std::unique_ptr<ModelSource>> OpenSyntheticModelSource(
    const std::string& name);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_OPEN_MODEL_H_
