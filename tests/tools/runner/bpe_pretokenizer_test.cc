// tools/runner/bpe_pretokenizer.h: the hand-written regex splits, on
// strings whose splits follow from the regexes by hand (and agree with
// llama.cpp's, which the real-model test checks end to end).
#include "tools/runner/bpe_pretokenizer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/runner/unicode.h"

namespace qins::runner {
namespace {

// The pieces of `text` as UTF-8 strings (before the byte mapping).
std::vector<std::string> Split(BpePre pre, const std::string& text) {
  const std::vector<uint32_t> cpts = DecodeUtf8(text);
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t len : BpeSplit(pre, cpts)) {
    std::string s;
    for (size_t i = start; i < start + len; ++i) AppendUtf8(cpts[i], &s);
    out.push_back(s);
    start += len;
  }
  EXPECT_EQ(start, cpts.size()) << text;
  return out;
}
using V = std::vector<std::string>;

TEST(BpePretokenizerTest, Gpt2Regex) {
  const BpePre p = BpePre::kGpt2;
  EXPECT_EQ(Split(p, "Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(Split(p, "don't I'll we're"),
            (V{"don", "'t", " I", "'ll", " we", "'re"}));
  EXPECT_EQ(Split(p, "12345 abc"), (V{"12345", " abc"}));
  // \s+(?!\S): a run of spaces leaves its last one to the next word.
  EXPECT_EQ(Split(p, "a   b"), (V{"a", "  ", " b"}));
  EXPECT_EQ(Split(p, "hi  "), (V{"hi", "  "}));  // trailing: \s+
  EXPECT_EQ(Split(p, "a\n\nb"), (V{"a", "\n", "\n", "b"}));
  EXPECT_EQ(Split(p, "x=1+2;"), (V{"x", "=", "1", "+", "2", ";"}));
  EXPECT_EQ(Split(p, "...!? ok"), (V{"...!?", " ok"}));
  EXPECT_EQ(Split(p, "caf\xc3\xa9 na\xc3\xafve"),
            (V{"caf\xc3\xa9", " na\xc3\xafve"}));
  EXPECT_EQ(Split(p, "\xe6\x97\xa5\xe6\x9c\xac \xe4\xb8\xad"),
            (V{"\xe6\x97\xa5\xe6\x9c\xac", " \xe4\xb8\xad"}));
  EXPECT_EQ(Split(p, "emoji \xf0\x9f\x99\x82ok"),
            (V{"emoji", " \xf0\x9f\x99\x82", "ok"}));
  EXPECT_EQ(Split(p, "'"), (V{"'"}));
  EXPECT_EQ(Split(p, ""), V{});
}

TEST(BpePretokenizerTest, SmollmIsolatesEachDigitFirst) {
  const BpePre p = BpePre::kSmollm;
  EXPECT_EQ(Split(p, "12345"), (V{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(Split(p, "a 12b"), (V{"a", " ", "1", "2", "b"}));
  // The digit split comes first, so "'s" after a digit still splits.
  EXPECT_EQ(Split(p, "3's"), (V{"3", "'s"}));
}

TEST(BpePretokenizerTest, DefaultSplitsPunctuationThenDigitTriples) {
  const BpePre p = BpePre::kDefault;
  EXPECT_EQ(Split(p, "1234567"), (V{"123", "456", "7"}));
  EXPECT_EQ(Split(p, "a,b"), (V{"a", ",", "b"}));
  EXPECT_EQ(Split(p, "x+=1"), (V{"x", "+=", "1"}));
  EXPECT_EQ(Split(p, "don't"), (V{"don", "'", "t"}));
}

TEST(BpePretokenizerTest, WordsAreByteMapped) {
  EXPECT_EQ(BpePreTokenize(BpePre::kGpt2, "a b\n"), (V{"a",
                                                       "\xc4\xa0"
                                                       "b",
                                                       "\xc4\x8a"}));
  // Invalid UTF-8 is U+FFFD, then its three bytes mapped.
  EXPECT_EQ(BpePreTokenize(BpePre::kGpt2, "\xff"),
            (V{"\xc3\xaf\xc2\xbf\xc2\xbd"}));
}

TEST(BpePretokenizerTest, NamesOfPreTokenizers) {
  EXPECT_EQ(*BpePreFromName("smollm"), BpePre::kSmollm);
  EXPECT_EQ(*BpePreFromName("gpt-2"), BpePre::kGpt2);
  EXPECT_EQ(*BpePreFromName(""), BpePre::kDefault);
  StatusOr<BpePre> bad = BpePreFromName("llama-bpe");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("tokenizer.ggml.pre 'llama-bpe' is "
                                        "not supported"),
            std::string::npos);
}

}  // namespace
}  // namespace qins::runner
