// tools/runner/unicode.h: the classes, whitespace, UTF-8 decoding with
// llama.cpp's replacement rule and GPT-2's byte mapping.
#include "tools/runner/unicode.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace qins::runner {
namespace {

TEST(UnicodeTest, ClassesOfTheCodePointsTheTestsUse) {
  EXPECT_EQ(ClassOf('A'), UnicodeClass::kLetter);
  EXPECT_EQ(ClassOf('z'), UnicodeClass::kLetter);
  EXPECT_EQ(ClassOf('5'), UnicodeClass::kNumber);
  EXPECT_EQ(ClassOf(0xE9), UnicodeClass::kLetter);    // é
  EXPECT_EQ(ClassOf(0xC5), UnicodeClass::kLetter);    // Å
  EXPECT_EQ(ClassOf(0x65E5), UnicodeClass::kLetter);  // 日
  EXPECT_EQ(ClassOf(0x306E), UnicodeClass::kLetter);  // の (hiragana Lo)
  EXPECT_EQ(ClassOf(0x00B2), UnicodeClass::kNumber);  // ² (No)
  EXPECT_EQ(ClassOf(0x2167), UnicodeClass::kNumber);  // Ⅷ (Nl)
  EXPECT_EQ(ClassOf(0x0663), UnicodeClass::kNumber);  // Arabic-Indic 3
  EXPECT_EQ(ClassOf(','), UnicodeClass::kPunctuation);
  EXPECT_EQ(ClassOf('+'), UnicodeClass::kSymbol);
  EXPECT_EQ(ClassOf(0x1F642), UnicodeClass::kSymbol);  // 🙂
  EXPECT_EQ(ClassOf(0x1F3FD), UnicodeClass::kSymbol);  // skin tone (Sk)
  EXPECT_EQ(ClassOf(0x0301), UnicodeClass::kMark);     // combining acute
  EXPECT_EQ(ClassOf(' '), UnicodeClass::kSeparator);
  EXPECT_EQ(ClassOf('\n'), UnicodeClass::kControl);
  EXPECT_EQ(ClassOf(0x0378), UnicodeClass::kUnassigned);
  EXPECT_EQ(ClassOf(0x110000), UnicodeClass::kUnassigned);
}

TEST(UnicodeTest, WhitespaceIsTheWhiteSpaceProperty) {
  for (uint32_t c :
       {0x09u, 0x0Au, 0x0Bu, 0x0Cu, 0x0Du, 0x20u, 0x85u, 0xA0u, 0x1680u,
        0x2000u, 0x200Au, 0x2028u, 0x2029u, 0x202Fu, 0x205Fu, 0x3000u})
    EXPECT_TRUE(IsWhitespace(c)) << c;
  for (uint32_t c : {0x08u, 0x1Cu, 0x200Bu, uint32_t{'a'}, 0xFEFFu})
    EXPECT_FALSE(IsWhitespace(c)) << c;
}

TEST(UnicodeTest, DecodeUtf8ReplacesEachBadByte) {
  EXPECT_EQ(DecodeUtf8("a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x99\x82"),
            (std::vector<uint32_t>{'a', 0xE9, 0x65E5, 0x1F642}));
  // A lone continuation byte, a truncated 2-byte sequence, 0xFF.
  EXPECT_EQ(DecodeUtf8("\x80"
                       "b\xc3"
                       "c\xff"),
            (std::vector<uint32_t>{0xFFFD, 'b', 0xFFFD, 'c', 0xFFFD}));
  EXPECT_EQ(DecodeUtf8("\xc3"), (std::vector<uint32_t>{0xFFFD}));
  std::string s;
  for (uint32_t c : {0x41u, 0xE9u, 0x65E5u, 0x1F642u}) AppendUtf8(c, &s);
  EXPECT_EQ(s, "A\xc3\xa9\xe6\x97\xa5\xf0\x9f\x99\x82");
}

TEST(UnicodeTest, Gpt2ByteMappingIsABijection) {
  EXPECT_EQ(ByteToGpt2Char(' '), "\xc4\xa0");   // Ġ U+0120
  EXPECT_EQ(ByteToGpt2Char('\n'), "\xc4\x8a");  // Ċ U+010A
  EXPECT_EQ(ByteToGpt2Char('a'), "a");
  EXPECT_EQ(ByteToGpt2Char(0xE9), "\xc3\xa9");  // printable Latin-1 as is
  for (int b = 0; b < 256; ++b) {
    const std::vector<uint32_t> cp = DecodeUtf8(ByteToGpt2Char(b));
    ASSERT_EQ(cp.size(), 1u);
    EXPECT_EQ(Gpt2CharToByte(cp[0]), b);
  }
  EXPECT_EQ(Gpt2CharToByte(' '), -1);
  EXPECT_EQ(Gpt2CharToByte(0x65E5), -1);
}

}  // namespace
}  // namespace qins::runner
