// The malformed-GGUF corpus (tests/data/gguf/malformed, made by
// tools/make_test_gguf.py): every file must give a non-OK Status whose
// message contains one of the expected substrings, either when the source is
// opened or when its tensors are read (NaN/Inf weights), and never crash.
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/runner/gguf_file.h"
#include "tools/runner/gguf_source.h"

namespace qins::runner {
namespace {

const std::string kDir = QINS_TEST_DATA_DIR "/gguf/";

// Opens the file and reads every tensor; the first error, or OK.
Status OpenAndReadAll(const std::string& path) {
  StatusOr<std::unique_ptr<ModelSource>> src = OpenGgufSource(path);
  if (!src.ok()) return src.status();
  const ModelConfig& c = (*src)->config();
  std::vector<float> buf;
  auto read = [&](TensorClass t, int layer) {
    size_t rows = 0, cols = 0;
    TensorShape(c, t, &rows, &cols);
    buf.resize(rows * cols);
    return (*src)->ReadTensor(t, layer, buf.data());
  };
  for (TensorClass t : {TensorClass::kEmbedding, TensorClass::kFinalNorm}) {
    if (Status s = read(t, 0); !s.ok()) return s;
  }
  if (!c.tied_classifier) {
    if (Status s = read(TensorClass::kOutput, 0); !s.ok()) return s;
  }
  for (int l = 0; l < c.n_layers; ++l) {
    for (TensorClass t :
         {TensorClass::kAttnNorm, TensorClass::kAttnQ, TensorClass::kAttnK,
          TensorClass::kAttnV, TensorClass::kAttnO, TensorClass::kFfnNorm,
          TensorClass::kFfnGate, TensorClass::kFfnUp, TensorClass::kFfnDown}) {
      if (Status s = read(t, l); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

TEST(GgufMalformedTest, TheValidBaseOpensAndReads) {
  const Status s = OpenAndReadAll(kDir + "tiny_llama.gguf");
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(GgufMalformedTest, EveryCorpusFileGivesItsError) {
  std::ifstream list(kDir + "malformed/expected.tsv");
  ASSERT_TRUE(list.good()) << "missing " << kDir << "malformed/expected.tsv";
  std::string line;
  int n = 0;
  while (std::getline(list, line)) {
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const std::string file = line.substr(0, tab);
    std::vector<std::string> expected;
    std::stringstream alts(line.substr(tab + 1));
    for (std::string a; std::getline(alts, a, '|');) expected.push_back(a);
    SCOPED_TRACE(file);
    const Status s = OpenAndReadAll(kDir + "malformed/" + file);
    ASSERT_FALSE(s.ok()) << "accepted a malformed file";
    bool found = false;
    for (const std::string& e : expected) {
      found = found || s.message().find(e) != std::string::npos;
    }
    EXPECT_TRUE(found) << "message: " << s.ToString()
                       << "\nexpected one of: " << line.substr(tab + 1);
    // Every message names the file.
    EXPECT_NE(s.message().find(file), std::string::npos) << s.message();
    ++n;
  }
  EXPECT_GE(n, 50);
}

}  // namespace
}  // namespace qins::runner

namespace qins::runner {
namespace {

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

// Every prefix of a valid file is an error. Each prefix is copied into a
// buffer of exactly its size so that AddressSanitizer sees any over-read.
TEST(GgufMalformedTest, EveryTruncationIsAnError) {
  const std::vector<uint8_t> good = ReadBytes(kDir + "tiny_llama.gguf");
  ASSERT_GT(good.size(), 1000u);
  for (size_t cut = 0; cut < good.size(); ++cut) {
    std::unique_ptr<uint8_t[]> b(new uint8_t[cut + 1]);
    std::memcpy(b.get(), good.data(), cut);
    StatusOr<std::unique_ptr<ModelSource>> s =
        OpenGgufSourceFromMemory(b.get(), cut, "cut");
    ASSERT_FALSE(s.ok()) << "prefix of " << cut << " bytes accepted";
    EXPECT_EQ(s.status().code(), StatusCode::kDataLoss) << cut;
  }
}

// Any single byte of the header, metadata and tensor infos set to 0xff or
// 0x00: either an error or a source whose tensors all read (no crash, no
// out-of-bounds access).
TEST(GgufMalformedTest, SingleByteCorruptionsNeverCrash) {
  const std::vector<uint8_t> good = ReadBytes(kDir + "tiny_llama.gguf");
  StatusOr<std::unique_ptr<GgufFile>> f =
      GgufFile::Open(kDir + "tiny_llama.gguf");
  ASSERT_TRUE(f.ok());
  const size_t end = (*f)->data_offset();
  int errors = 0;
  for (size_t at = 0; at < end; ++at) {
    for (uint8_t v : {uint8_t{0xff}, uint8_t{0x00}}) {
      std::vector<uint8_t> b = good;
      b[at] = v;
      StatusOr<std::unique_ptr<ModelSource>> s =
          OpenGgufSourceFromMemory(b.data(), b.size(), "flip");
      if (!s.ok()) {
        ++errors;
        continue;
      }
      const ModelConfig& c = (*s)->config();
      std::vector<float> buf(size_t(c.vocab_size) * c.dim);
      (void)(*s)->ReadTensor(TensorClass::kEmbedding, 0, buf.data());
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace qins::runner
