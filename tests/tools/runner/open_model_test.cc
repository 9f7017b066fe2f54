// OpenModelSource picks the loader by the file's magic.
#include "tools/runner/open_model.h"

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace qins::runner {
namespace {

TEST(OpenModelTest, LlamaCheckpointOpens) {
  auto s = OpenModelSource(QINS_MODELS_DIR "/stories260K.bin");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->config().dim, 64);
  EXPECT_NE((*s)->Describe().find("llama2.c"), std::string::npos);
}

TEST(OpenModelTest, GgufMagicIsRecognisedAndNotYetSupported) {
  const std::string path = ::testing::TempDir() + "/model.gguf";
  std::ofstream(path, std::ios::binary) << "GGUF\x03\x00\x00\x00 and more";
  auto s = OpenModelSource(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("GGUF"), std::string::npos);
}

TEST(OpenModelTest, TinyAndMissingFilesAreClearErrors) {
  const std::string path = ::testing::TempDir() + "/tiny.bin";
  std::ofstream(path, std::ios::binary) << "GG";
  auto s = OpenModelSource(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(OpenModelSource("/nonexistent.bin").ok());
  EXPECT_FALSE(OpenModelSource(::testing::TempDir()).ok());  // a directory
}

TEST(OpenModelTest, SyntheticIsReservedAndSaysSo) {
  auto s = OpenSyntheticModelSource("phi-3.5-mini");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace qins::runner
