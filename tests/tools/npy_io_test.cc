// ReadFloats: empty arrays and shapes whose product overflows are errors.
#include "tools/npy_io.h"

#include <cstdint>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace qins::tools {
namespace {

std::string Write(const std::string& name, const std::string& bytes) {
  const std::string path = ::qins::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string Npy(const std::string& shape) {
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': " +
                  shape + ", }";
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::string b = "\x93NUMPY\x01";
  b += '\0';
  b += static_cast<char>(h.size() & 0xff);
  b += static_cast<char>(h.size() >> 8);
  return b + h;
}

// Issue 19 item 8: both memcpy'd from a null pointer (UB).
TEST(NpyIoTest, EmptyRawFileAndEmptyNpyAreErrors) {
  auto raw = ReadFloats(Write("empty.f32", ""), 0, 0);
  ASSERT_FALSE(raw.ok());
  EXPECT_NE(raw.status().message().find("empty array"), std::string::npos)
      << raw.status().message();
  auto npy = ReadFloats(Write("empty.npy", Npy("(0, 64)")), 0, 0);
  ASSERT_FALSE(npy.ok());
  EXPECT_NE(npy.status().message().find("empty array (0 x 64)"),
            std::string::npos)
      << npy.status().message();
}

// --rows 4294967296 --cols 4294967296: the product wrapped to 0 and the
// tool reported "W is null".
TEST(NpyIoTest, ShapeProductOverflowIsAMismatch) {
  const std::string path = Write("four.f32", std::string(16, '\0'));
  auto a = ReadFloats(path, size_t{1} << 32, size_t{1} << 32);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("4 floats do not fit 4294967296 x "
                                      "4294967296"),
            std::string::npos)
      << a.status().message();
  auto ok = ReadFloats(path, 2, 2);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->data.size(), 4u);
}

TEST(NpyIoTest, DirectoriesAreRefused) {
  auto a = ReadFloats(::qins::testing::TempDir(), 0, 0);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("not a regular file"),
            std::string::npos);
}

}  // namespace
}  // namespace qins::tools
