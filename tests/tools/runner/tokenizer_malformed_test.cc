// The llama2.c tokenizer loader on a corpus of malformed files, generated
// here from the bundled kjv1M_tok.bin: truncation at every field of the
// first pieces and at the end, bad max_token_length, negative and huge piece
// lengths, non-finite scores, and vocabulary sizes the file cannot hold.
// Each must be a non-OK Status naming the problem and the file; none may
// crash or reserve memory by the claimed vocabulary (the asan preset runs
// this too).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tools/runner/tokenizer.h"

namespace qins::runner {
namespace {

std::vector<uint8_t> KjvTokenizer() {
  std::ifstream f(QINS_MODELS_DIR "/kjv1M_tok.bin", std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

struct Case {
  std::string name;
  std::vector<uint8_t> bytes;
  int vocab;
  std::string expect;
};

std::vector<Case> Corpus() {
  const std::vector<uint8_t> ok = KjvTokenizer();
  std::vector<Case> cs;
  // Every byte offset through the first three pieces' fields (max_len 4,
  // then score 4 + length 4 + piece bytes), and a few later cuts.
  for (size_t n = 0; n < 40; ++n) {
    cs.push_back({"truncated_" + std::to_string(n),
                  std::vector<uint8_t>(ok.begin(), ok.begin() + n), 259,
                  n < 4 ? "max_token_length" : "truncated"});
  }
  // Cuts inside a piece's bytes are reported as a length past the end; cuts
  // between fields as a truncation. Either names the id.
  for (size_t n : {ok.size() / 2, ok.size() - 1, ok.size() - 9}) {
    cs.push_back({"truncated_late_" + std::to_string(n),
                  std::vector<uint8_t>(ok.begin(), ok.begin() + n), 259,
                  "of id"});
  }
  for (size_t i = 0; i < cs.size(); ++i) {
    // Cuts that end inside piece bytes (offsets 12.., see the layout) give
    // "exceeds the file"; keep the expectation loose there.
    if (cs[i].name.rfind("truncated_", 0) == 0 && cs[i].expect == "truncated")
      cs[i].expect = "of id";
  }
  auto with_i32 = [&](size_t off, int32_t v) {
    std::vector<uint8_t> b = ok;
    std::memcpy(b.data() + off, &v, 4);
    return b;
  };
  for (int32_t v : {0, -1, INT32_MIN}) {
    cs.push_back({"max_len_" + std::to_string(v), with_i32(0, v), 259,
                  "max_token_length"});
  }
  // Piece lengths of id 0 (at byte 8) and id 1.
  for (int32_t v : {-1, -100, INT32_MIN, INT32_MAX, 1 << 20, 4000}) {
    cs.push_back(
        {"len0_" + std::to_string(v), with_i32(8, v), 259, "piece length"});
  }
  {
    // id 0 is "<unk>" (5 bytes): id 1's length is at 4 + 8 + 5 + 4.
    cs.push_back({"len1_negative", with_i32(21, -7), 259, "piece length"});
    cs.push_back({"len1_huge", with_i32(21, 1 << 30), 259, "piece length"});
  }
  for (float s : {NAN, INFINITY, -INFINITY}) {
    std::vector<uint8_t> b = ok;
    std::memcpy(b.data() + 4, &s, 4);  // score of id 0
    cs.push_back({std::string("score0_") + (std::isnan(s) ? "nan" : "inf"), b,
                  259, "not finite"});
  }
  // The model's vocabulary is larger than the file holds: a truncation, and
  // no reservation of 4 M pieces first.
  for (int v : {260, 1000, 1 << 22}) {
    cs.push_back({"vocab_" + std::to_string(v), ok, v, "of id 259"});
  }
  cs.push_back({"vocab_zero", ok, 0, "vocab_size must be > 0"});
  cs.push_back({"vocab_negative", ok, -5, "vocab_size must be > 0"});
  return cs;
}

TEST(TokenizerMalformedTest, EveryCaseIsAClearError) {
  const std::vector<Case> cs = Corpus();
  ASSERT_GE(cs.size(), 50u);
  for (const Case& c : cs) {
    SCOPED_TRACE(c.name);
    const std::string path = ::qins::testing::TempDir() + "/tok_" + c.name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(c.bytes.data()),
               static_cast<std::streamsize>(c.bytes.size()));
    StatusOr<Tokenizer> t = Tokenizer::Load(path, c.vocab);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.status().message().find(c.expect), std::string::npos)
        << t.status().message();
    EXPECT_NE(t.status().message().find(path), std::string::npos)
        << t.status().message();
  }
}

TEST(TokenizerMalformedTest, TheValidBaseLoads) {
  const std::string path = ::qins::testing::TempDir() + "/tok_valid";
  const std::vector<uint8_t> b = KjvTokenizer();
  ASSERT_EQ(b.size(), 3623u);
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()),
             static_cast<std::streamsize>(b.size()));
  EXPECT_TRUE(Tokenizer::Load(path, 259).ok());
}

}  // namespace
}  // namespace qins::runner
