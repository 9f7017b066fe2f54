#include "tools/runner/open_model.h"

#include <cstdio>
#include <cstring>

#include "tools/runner/llama2c_source.h"

namespace qins::runner {

StatusOr<std::unique_ptr<ModelSource>> OpenModelSource(
    const std::string& path) {
  char magic[4] = {0, 0, 0, 0};
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    const size_t got = std::fread(magic, 1, 4, f);
    std::fclose(f);
    if (got == 4 && std::memcmp(magic, "GGUF", 4) == 0) {
      // TODO(lead): return OpenGgufSource(path) (tools/runner/gguf_source.h)
      // once the GGUF loader is merged.
      return Unsupported(path +
                         ": GGUF file, but GGUF support is not built yet");
    }
  }
  return OpenLlama2cSource(path);
}

StatusOr<std::unique_ptr<ModelSource>> OpenSyntheticModelSource(
    const std::string& name) {
  // TODO(lead): return OpenSyntheticSource(name)
  // (tools/runner/synthetic_source.h) once the presets are merged.
  return Unsupported("--synthetic " + name +
                     ": synthetic models are not built yet");
}

}  // namespace qins::runner
