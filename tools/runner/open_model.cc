#include "tools/runner/open_model.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tools/runner/gguf_source.h"
#include "tools/runner/llama2c_source.h"
#include "tools/runner/mapped_file.h"
#include "tools/runner/qins_model_file.h"
#include "tools/runner/synthetic_source.h"

namespace qins::runner {

StatusOr<std::unique_ptr<ModelSource>> OpenModelSource(
    const std::string& path) {
  // The magic is sniffed only from a regular file: fopen() of a FIFO waited
  // for a writer forever.
  StatusOr<int> fd = OpenRegularFile(path);
  if (!fd.ok()) return fd.status();
  char magic[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  ssize_t got;
  do {
    got = ::read(*fd, magic, sizeof(magic));
  } while (got < 0 && errno == EINTR);
  ::close(*fd);
  if (got >= 4 && std::memcmp(magic, "GGUF", 4) == 0) {
    return OpenGgufSource(path);
  }
  if (got == 8 && std::memcmp(magic, kModelFileMagic, 8) == 0) {
    return OpenModelFileSource(path);
  }
  return OpenLlama2cSource(path);
}

StatusOr<std::unique_ptr<ModelSource>> OpenSyntheticModelSource(
    const std::string& name) {
  return OpenSyntheticSource(name);
}

}  // namespace qins::runner
