// A scratch directory of this test process's own. ctest runs every test case
// of an executable as its own process, two at a time, so files under
// ::testing::TempDir() with fixed names would be written by two tests at
// once; this directory is TempDir()/qins_test_<pid>, created on first use and
// removed with everything in it when the process exits.
#ifndef QINS_TESTS_SUPPORT_TEMP_DIR_H_
#define QINS_TESTS_SUPPORT_TEMP_DIR_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace qins::testing {

// The directory, without a trailing slash.
inline const std::string& TempDir() {
  // Never destroyed, so that the exit handler can still read it.
  static const std::string* const dir = [] {
    std::string d = ::testing::TempDir();
    if (!d.empty() && d.back() == '/') d.pop_back();
    auto* p = new std::string(d + "/qins_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(*p);
    return p;
  }();
  static const bool cleanup = std::atexit([] {
                                std::error_code ec;
                                std::filesystem::remove_all(*dir, ec);
                              }) == 0;
  (void)cleanup;
  return *dir;
}

}  // namespace qins::testing

#endif  // QINS_TESTS_SUPPORT_TEMP_DIR_H_
