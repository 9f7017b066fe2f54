// A read-only memory mapping of a whole file (munmap on destruction).
#ifndef QINS_TOOLS_RUNNER_MAPPED_FILE_H_
#define QINS_TOOLS_RUNNER_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "qins/status.h"

namespace qins::runner {

// Opens `path` read-only for a parser, refusing what is not a regular file
// (FIFOs, directories, devices, sockets) with a message naming what it is.
// The open itself does not block: a FIFO without a writer used to hang.
// Returns the file descriptor (O_CLOEXEC; the caller closes it).
StatusOr<int> OpenRegularFile(const std::string& path);

// Reads the whole regular file `path` (OpenRegularFile's checks).
StatusOr<std::string> ReadRegularFile(const std::string& path);

class MappedFile {
 public:
  // Maps `path`; an empty file maps to size() == 0 and data() == nullptr.
  static StatusOr<std::shared_ptr<const MappedFile>> Open(
      const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_;
  size_t size_;
};

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_MAPPED_FILE_H_
