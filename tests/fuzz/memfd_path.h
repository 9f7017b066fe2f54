// A fuzzer input as a file path, for loaders that take paths: the bytes go
// into an anonymous memory file (memfd), named /proc/self/fd/N.
#ifndef QINS_TESTS_FUZZ_MEMFD_PATH_H_
#define QINS_TESTS_FUZZ_MEMFD_PATH_H_

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace qins::fuzz {

class MemfdPath {
 public:
  MemfdPath(const uint8_t* data, size_t size) {
    fd_ = memfd_create("fuzz", 0);
    if (fd_ < 0) std::abort();
    size_t done = 0;
    while (done < size) {
      const ssize_t n = write(fd_, data + done, size - done);
      if (n <= 0) std::abort();
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemfdPath() { close(fd_); }
  MemfdPath(const MemfdPath&) = delete;
  MemfdPath& operator=(const MemfdPath&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace qins::fuzz

#endif  // QINS_TESTS_FUZZ_MEMFD_PATH_H_
