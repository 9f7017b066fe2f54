// OpenModelSource picks the loader by the file's magic.
#include "tools/runner/open_model.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "qins/context.h"
#include "tests/support/temp_dir.h"
#include "tools/runner/convert.h"
#include "tools/runner/format_policy.h"
#include "tools/runner/qins_model_file.h"

namespace qins::runner {
namespace {

TEST(OpenModelTest, LlamaCheckpointOpens) {
  auto s = OpenModelSource(QINS_MODELS_DIR "/stories260K.bin");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->config().dim, 64);
  EXPECT_NE((*s)->Describe().find("llama2.c"), std::string::npos);
}

// Gemma 3's extra norm classes do not exist in a llama model: every source
// refuses them with InvalidArgument (the llama2.c loader indexed a table of
// 12 classes with them, the converted-file reader dereferenced null).
TEST(OpenModelTest, GemmaOnlyTensorClassesAreRefusedByLlamaSources) {
  const std::string qins = ::qins::testing::TempDir() + "/gemma_classes.qins";
  {
    auto src = OpenModelSource(QINS_MODELS_DIR "/stories260K.bin");
    ASSERT_TRUE(src.ok());
    ContextOptions o;
    o.num_threads = 1;
    StatusOr<Context> ctx = Context::Create(o);
    ASSERT_TRUE(ctx.ok());
    auto w = ConvertModel(*ctx, **src, *ParseFormatPolicy("q8_0", "", ""),
                          {.progress = false});
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(WriteModelFile(*w, qins).ok());
  }
  for (const std::string& path :
       {std::string(QINS_MODELS_DIR "/stories260K.bin"),
        std::string(QINS_TEST_DATA_DIR "/gguf/stories260K_f32.gguf"), qins}) {
    SCOPED_TRACE(path);
    auto src = OpenModelSource(path);
    ASSERT_TRUE(src.ok()) << src.status().ToString();
    auto synthetic = OpenSyntheticModelSource("stories260k-shape");
    ASSERT_TRUE(synthetic.ok());
    for (const ModelSource* s : {src->get(), synthetic->get()}) {
      for (TensorClass t :
           {TensorClass::kAttnQNorm, TensorClass::kAttnKNorm,
            TensorClass::kAttnPostNorm, TensorClass::kFfnPostNorm}) {
        std::vector<float> out(4096);
        EXPECT_EQ(s->ReadTensor(t, 0, out.data()).code(),
                  StatusCode::kInvalidArgument)
            << TensorClassName(t) << " from " << s->Describe();
      }
    }
  }
}

TEST(OpenModelTest, GgufMagicSelectsTheGgufLoader) {
  auto s = OpenModelSource(QINS_TEST_DATA_DIR "/gguf/stories260K_f32.gguf");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->config().dim, 64);
  EXPECT_NE((*s)->Describe().find("gguf"), std::string::npos)
      << (*s)->Describe();
  // A truncated GGUF header is the GGUF loader's error, not llama2.c's.
  const std::string path = ::qins::testing::TempDir() + "/model.gguf";
  std::ofstream(path, std::ios::binary) << "GGUF\x03\x00\x00\x00 and more";
  auto bad = OpenModelSource(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("version"), std::string::npos)
      << bad.status().message();
}

// A converted-model file opens as a source whose weights are used as
// stored: the "stored" policy returns the same matrices, no re-encoding.
TEST(OpenModelTest, ConvertedFileRunsInItsStoredFormats) {
  auto src = OpenModelSource(QINS_MODELS_DIR "/stories260K.bin");
  ASSERT_TRUE(src.ok());
  ContextOptions one_thread;
  one_thread.num_threads = 1;
  StatusOr<Context> ctx = Context::Create(one_thread);
  ASSERT_TRUE(ctx.ok());
  auto w = ConvertModel(*ctx, **src, *ParseFormatPolicy("q8_0", "", ""));
  ASSERT_TRUE(w.ok());
  const std::string path =
      ::qins::testing::TempDir() + "/stories260K_q8_0.qins";
  ASSERT_TRUE(WriteModelFile(*w, path).ok());
  auto conv = OpenModelSource(path);
  ASSERT_TRUE(conv.ok()) << conv.status().ToString();
  ASSERT_NE((*conv)->Stored(), nullptr);
  auto back = ConvertModel(*ctx, **conv, *ParseFormatPolicy("stored", "", ""));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->layers[2].wq.format(), *ParseFormat("q8_0"));
  EXPECT_EQ(back->layers[2].wq.payload_bytes(),
            w->layers[2].wq.payload_bytes());
  // "stored" on a source without stored weights is a clear error.
  auto none = ConvertModel(*ctx, **src, *ParseFormatPolicy("stored", "", ""));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("converted-model file"),
            std::string::npos);
}

TEST(OpenModelTest, TinyAndMissingFilesAreClearErrors) {
  const std::string path = ::qins::testing::TempDir() + "/tiny.bin";
  std::ofstream(path, std::ios::binary) << "GG";
  auto s = OpenModelSource(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(OpenModelSource("/nonexistent.bin").ok());
  EXPECT_FALSE(
      OpenModelSource(::qins::testing::TempDir()).ok());  // a directory
}

// Issue 19 item 7: the magic was sniffed with fopen() before the
// regular-file check, and opening a FIFO waits for a writer: a hang.
TEST(OpenModelTest, FifoIsRefusedWithoutBlocking) {
  const std::string path = ::qins::testing::TempDir() + "/model.fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto f =
      std::async(std::launch::async, [&] { return OpenModelSource(path); });
  if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    // Unblock the reader so that the test ends, then fail.
    const int w = ::open(path.c_str(), O_WRONLY);
    if (w >= 0) ::close(w);
    FAIL() << "OpenModelSource blocked on a FIFO";
  }
  auto s = f.get();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("is a FIFO, not a regular file"),
            std::string::npos)
      << s.status().message();
  auto d = OpenModelSource(::qins::testing::TempDir());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("is a directory"), std::string::npos)
      << d.status().message();
}

TEST(OpenModelTest, SyntheticPresetsOpenAndUnknownOnesAreErrors) {
  auto s = OpenSyntheticModelSource("phi-3.5-mini");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->config().dim, 3072);
  EXPECT_EQ((*s)->config().vocab_size, 32064);
  auto bad = OpenSyntheticModelSource("gpt-9");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("gpt-9"), std::string::npos);
}

}  // namespace
}  // namespace qins::runner
