// The malformed-GGUF corpus (tests/data/gguf/malformed, made by
// tools/make_test_gguf.py): every file must give a non-OK Status whose
// message contains one of the expected substrings, either when the source is
// opened or when its tensors are read (NaN/Inf weights), and never crash.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
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
