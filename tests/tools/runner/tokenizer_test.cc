// The llama2.c tokenizer: kjv1M_tok.bin decodes and encodes as run.c does;
// a merge table behaves as run.c's greedy BPE; malformed files are errors.
#include "tools/runner/tokenizer.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace qins::runner {
namespace {

const std::string kKjvTok = QINS_MODELS_DIR "/kjv1M_tok.bin";

TEST(TokenizerTest, KjvEncodesAsRunC) {
  auto t = Tokenizer::Load(kKjvTok, 259);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  // run.c: BOS, the " " dummy prefix (id 35), then each byte + 3.
  auto ids = t->Encode("In the", true, false);
  ASSERT_TRUE(ids.ok());
  const std::vector<int> want = {1,  35,      'I' + 3, 'n' + 3,
                                 35, 't' + 3, 'h' + 3, 'e' + 3};
  EXPECT_EQ(*ids, want);
  auto with_eos = t->Encode("", true, true);
  ASSERT_TRUE(with_eos.ok());
  EXPECT_EQ(*with_eos, (std::vector<int>{1, 2}));
  // Non-ASCII: a UTF-8 code point without a piece falls back to its bytes.
  auto utf = t->Encode("\xc3\xa9", false, false);
  ASSERT_TRUE(utf.ok());
  EXPECT_EQ(*utf, (std::vector<int>{35, 0xc3 + 3, 0xa9 + 3}));
}

TEST(TokenizerTest, KjvDecodesBytesAndStripsTheSpaceAfterBos) {
  auto t = Tokenizer::Load(kKjvTok, 259);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Decode(1, 35), "");  // " " after BOS
  EXPECT_EQ(t->Decode(40, 35), " ");
  EXPECT_EQ(t->Decode(1, 'A' + 3), "A");
  EXPECT_EQ(t->Decode(5, '\n' + 3), "\n");
  EXPECT_EQ(t->Decode(5, 0 + 3), std::string(1, '\0'));
  EXPECT_EQ(t->Decode(5, 258), "\xff");
  EXPECT_EQ(t->Decode(5, 259), "");
  EXPECT_EQ(t->Decode(5, -1), "");
}

// Writes a tokenizer.bin with the given pieces and scores.
std::string WriteTokenizer(const std::vector<std::string>& pieces,
                           const std::vector<float>& scores,
                           const std::string& name) {
  const std::string path = ::qins::testing::TempDir() + "/" + name;
  std::ofstream f(path, std::ios::binary);
  const int32_t max_len = 8;
  f.write(reinterpret_cast<const char*>(&max_len), 4);
  for (size_t i = 0; i < pieces.size(); ++i) {
    const int32_t len = static_cast<int32_t>(pieces[i].size());
    f.write(reinterpret_cast<const char*>(&scores[i]), 4);
    f.write(reinterpret_cast<const char*>(&len), 4);
    f.write(pieces[i].data(), len);
  }
  return path;
}

TEST(TokenizerTest, MergesTheBestScoringPairFirst) {
  // Pieces: 0 <unk>, 1 <s>, 2 </s>, 3 " ", 4 "a", 5 "b", 6 "ab", 7 " a",
  // 8 " ab". Scores prefer "ab" (2.0) over " a" (1.0), so " ab" arises as
  // " " + "ab" (score 3.0).
  const std::string path =
      WriteTokenizer({"<unk>", "<s>", "</s>", " ", "a", "b", "ab", " a", " ab"},
                     {0, 0, 0, 0, 0, 0, 2.0f, 1.0f, 3.0f}, "merge_tok.bin");
  auto t = Tokenizer::Load(path, 9);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto ids = t->Encode("abab", true, false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int>{1, 8, 6}));
  // A byte without a piece and no room for byte fallback is an error.
  EXPECT_FALSE(t->Encode("z", false, false).ok());
}

// run.c's encode, verbatim in structure (O(n^2) scans), over a piece table.
std::vector<int> RunCEncode(const std::vector<std::string>& pieces,
                            const std::vector<float>& scores,
                            const std::string& text) {
  auto lookup = [&](const std::string& s) {
    for (size_t i = 0; i < pieces.size(); ++i)
      if (pieces[i] == s) return static_cast<int>(i);
    return -1;
  };
  std::vector<int> t = {1};
  if (!text.empty()) t.push_back(lookup(" "));
  for (char c : text) t.push_back(lookup(std::string(1, c)));
  while (true) {
    float best = -1e10f;
    int best_id = -1, best_idx = -1;
    for (size_t i = 0; i + 1 < t.size(); ++i) {
      const int id = lookup(pieces[t[i]] + pieces[t[i + 1]]);
      if (id != -1 && scores[id] > best) {
        best = scores[id];
        best_id = id;
        best_idx = static_cast<int>(i);
      }
    }
    if (best_idx == -1) break;
    t[best_idx] = best_id;
    t.erase(t.begin() + best_idx + 1);
  }
  return t;
}

TEST(TokenizerTest, HeapMergesEqualRunCsScansIncludingTies) {
  // Pieces: specials, " ", a..d, then every 2- and 3-letter string over
  // " abcd" with scores from a small set (many ties).
  std::vector<std::string> pieces = {"<unk>", "<s>", "</s>", " ",
                                     "a",     "b",   "c",    "d"};
  const std::string alphabet = " abcd";
  std::mt19937 rng(7);
  for (char x : alphabet)
    for (char y : alphabet) {
      pieces.push_back(std::string{x, y});
      for (char z : alphabet)
        if (rng() % 3 == 0) pieces.push_back(std::string{x, y, z});
    }
  std::vector<float> scores(pieces.size(), 0.0f);
  for (size_t i = 8; i < pieces.size(); ++i)
    scores[i] = static_cast<float>(rng() % 5);
  const std::string path = WriteTokenizer(pieces, scores, "ties_tok.bin");
  auto t = Tokenizer::Load(path, static_cast<int>(pieces.size()));
  ASSERT_TRUE(t.ok());
  for (int trial = 0; trial < 300; ++trial) {
    std::string text;
    const int len = rng() % 40;
    for (int i = 0; i < len; ++i) text += alphabet[rng() % alphabet.size()];
    auto got = t->Encode(text, true, false);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(*got, RunCEncode(pieces, scores, text)) << "'" << text << "'";
  }
}

// Issue 19 item 10: a vocabulary that spells the space <0x20> got only
// "no ' ' piece"; the message now says what the space is and what to do.
TEST(TokenizerTest, MissingSpacePieceSaysWhatToDo) {
  Tokenizer t =
      Tokenizer::FromPieces({"<unk>", "<s>", "</s>", "<0x20>", "a", "b"});
  auto e = t.Encode("ab", true, false);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("byte piece <0x20>, id 3"),
            std::string::npos)
      << e.status().message();
  EXPECT_NE(e.status().message().find("--prompt-ids"), std::string::npos);
  // Without a dummy prefix the text encodes.
  EXPECT_TRUE(t.Encode("ab", true, false, /*dummy_prefix=*/false).ok());
}

TEST(TokenizerTest, MalformedFilesAreDataLoss) {
  std::ifstream f(kKjvTok, std::ios::binary);
  const std::vector<char> full(std::istreambuf_iterator<char>(f), {});
  for (size_t len : {size_t{0}, size_t{2}, size_t{4}, size_t{9}, size_t{100},
                     full.size() - 1}) {
    const std::string path = ::qins::testing::TempDir() + "/trunc_tok.bin";
    std::ofstream(path, std::ios::binary).write(full.data(), len);
    auto t = Tokenizer::Load(path, 259);
    ASSERT_FALSE(t.ok()) << len;
    EXPECT_EQ(t.status().code(), StatusCode::kDataLoss) << len;
  }
  // A piece length far beyond the file.
  std::vector<char> bad = full;
  const int32_t huge = 1 << 30;
  std::memcpy(bad.data() + 8, &huge, 4);
  const std::string path = ::qins::testing::TempDir() + "/huge_tok.bin";
  std::ofstream(path, std::ios::binary).write(bad.data(), bad.size());
  auto t = Tokenizer::Load(path, 259);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("exceeds the file"), std::string::npos);
  // More ids than the file holds.
  EXPECT_FALSE(Tokenizer::Load(kKjvTok, 300).ok());
}

}  // namespace
}  // namespace qins::runner
