// Reads the weight matrices of a llama2.c checkpoint (legacy version-0
// layout) for the codec tools, with every size checked against the file.
// (The runner's full model loader supersedes this for inference.)
#ifndef QINS_TOOLS_LLAMA2C_MATRICES_H_
#define QINS_TOOLS_LLAMA2C_MATRICES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "qins/status.h"

namespace qins::tools {

struct NamedMatrix {
  std::string name;  // "layers.3.wq", "token_embedding", "wcls"
  size_t rows = 0, cols = 0;
  std::vector<float> w;
};

StatusOr<std::vector<NamedMatrix>> ReadLlama2cMatrices(const std::string& path);

}  // namespace qins::tools

#endif  // QINS_TOOLS_LLAMA2C_MATRICES_H_
