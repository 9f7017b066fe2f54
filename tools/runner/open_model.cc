#include "tools/runner/open_model.h"

#include <cstdio>
#include <cstring>

#include "tools/runner/gguf_source.h"
#include "tools/runner/llama2c_source.h"
#include "tools/runner/qins_model_file.h"
#include "tools/runner/synthetic_source.h"

namespace qins::runner {

StatusOr<std::unique_ptr<ModelSource>> OpenModelSource(
    const std::string& path) {
  char magic[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    const size_t got = std::fread(magic, 1, 8, f);
    std::fclose(f);
    if (got >= 4 && std::memcmp(magic, "GGUF", 4) == 0) {
      return OpenGgufSource(path);
    }
    if (got == 8 && std::memcmp(magic, kModelFileMagic, 8) == 0) {
      return OpenModelFileSource(path);
    }
  }
  return OpenLlama2cSource(path);
}

StatusOr<std::unique_ptr<ModelSource>> OpenSyntheticModelSource(
    const std::string& name) {
  return OpenSyntheticSource(name);
}

}  // namespace qins::runner
