// Input files of the command-line tools must be regular files: opening a
// FIFO for reading waits for a writer (a hang), and a directory reads as an
// empty file. Header-only, for the tools that do not link the runner
// (tools/runner/mapped_file.h has the runner's OpenRegularFile).
#ifndef QINS_TOOLS_REGULAR_FILE_H_
#define QINS_TOOLS_REGULAR_FILE_H_

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace qins::tools {

// "" when `path` names a regular file (after symlinks), else a message:
// "cannot open 'x': No such file or directory", "'x' is a FIFO, not a
// regular file", ...
inline std::string NotARegularFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return "cannot open '" + path + "': " + std::strerror(errno);
  if (S_ISREG(st.st_mode)) return "";
  const char* kind = S_ISDIR(st.st_mode)    ? "a directory"
                     : S_ISFIFO(st.st_mode) ? "a FIFO"
                     : S_ISCHR(st.st_mode)  ? "a character device"
                     : S_ISBLK(st.st_mode)  ? "a block device"
                     : S_ISSOCK(st.st_mode) ? "a socket"
                                            : "a special file";
  return "'" + path + "' is " + kind + ", not a regular file";
}

}  // namespace qins::tools

#endif  // QINS_TOOLS_REGULAR_FILE_H_
