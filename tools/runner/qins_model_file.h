// The converted-model file qins-convert writes and qins-run maps: a
// ModelWeights with any mix of weight formats, stored as each format's row
// payloads and parameters so that reading it rebuilds every QuantizedMatrix
// with QuantizedMatrix::FromParts (one copy of the payload, no re-encoding).
// Layout, version and every check: docs/qins-model-file.md.
#ifndef QINS_TOOLS_RUNNER_QINS_MODEL_FILE_H_
#define QINS_TOOLS_RUNNER_QINS_MODEL_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "qins/status.h"
#include "tools/runner/model_weights.h"

namespace qins::runner {

inline constexpr char kModelFileMagic[8] = {'Q', 'I', 'N', 'S',
                                            'M', 'D', 'L', '\0'};
inline constexpr uint32_t kModelFileVersion = 1;

// Writes `w` to `path` (replaced if it exists). Errors: a weight missing or
// shaped unlike w.config, I/O failures.
Status WriteModelFile(const ModelWeights& w, const std::string& path);

// Maps `path`, checks every size and offset against the file, and rebuilds
// the weights. kDataLoss names the byte offset or tensor at fault.
StatusOr<ModelWeights> ReadModelFile(const std::string& path);
// The same over bytes in memory (fuzzing, tests); `name` is used in
// messages.
StatusOr<ModelWeights> ParseModelFile(const uint8_t* data, size_t size,
                                      const std::string& name);

// A converted-model file as a ModelSource: Stored() returns its weights (the
// runner's "stored" policy uses them as they are); ReadTensor dequantizes a
// tensor, so any other policy re-encodes the stored (already quantized)
// values, which Describe() says.
StatusOr<std::unique_ptr<ModelSource>> OpenModelFileSource(
    const std::string& path);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_QINS_MODEL_FILE_H_
