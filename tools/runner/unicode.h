// The Unicode pieces the GGUF tokenizers need, with llama.cpp's conventions
// (src/unicode.cpp), so that the same bytes split and encode the same way:
// - UTF-8 decoding that never fails: a byte that does not start a valid
//   sequence becomes U+FFFD and decoding resumes at the next byte;
// - the general-category class of a code point (\p{L}, \p{N}, ...) from a
//   table generated out of Python's unicodedata (tools/make-unicode-table.py,
//   Unicode 14.0; llama.cpp uses the latest version, so code points assigned
//   later are "unassigned" here);
// - \s as llama.cpp defines it (the White_Space property: 25 code points);
// - GPT-2's byte <-> printable code point mapping (bytes_to_unicode).
#ifndef QINS_TOOLS_RUNNER_UNICODE_H_
#define QINS_TOOLS_RUNNER_UNICODE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qins::runner {

// General category, major class (Cn unassigned is its own class).
enum class UnicodeClass : uint8_t {
  kUnassigned = 0,
  kNumber = 1,       // \p{N}
  kLetter = 2,       // \p{L}
  kSeparator = 3,    // \p{Z}
  kMark = 4,         // \p{M}
  kPunctuation = 5,  // \p{P}
  kSymbol = 6,       // \p{S}
  kControl = 7,      // \p{C} other than Cn
};

// kUnassigned for code points above U+10FFFF.
UnicodeClass ClassOf(uint32_t cp);
bool IsWhitespace(uint32_t cp);
inline bool IsLetter(uint32_t cp) {
  return ClassOf(cp) == UnicodeClass::kLetter;
}
inline bool IsNumber(uint32_t cp) {
  return ClassOf(cp) == UnicodeClass::kNumber;
}

// Length of the UTF-8 sequence a lead byte announces (1 for continuation
// and invalid bytes), as llama.cpp's unicode_len_utf8.
size_t Utf8SequenceLength(uint8_t lead);
// Code points of `s` (invalid sequences: one U+FFFD per offending byte; a
// 4-byte sequence above U+10FFFF is one U+FFFD).
std::vector<uint32_t> DecodeUtf8(std::string_view s);
// Appends the UTF-8 encoding of `cp` (U+FFFD's above U+10FFFF).
void AppendUtf8(uint32_t cp, std::string* out);

// GPT-2's bytes_to_unicode: byte b -> the UTF-8 of its printable stand-in
// (printable Latin-1 bytes map to themselves, the others to U+0100...).
const std::string& ByteToGpt2Char(uint8_t b);
// The inverse on one stand-in code point; -1 if `cp` is not one.
int Gpt2CharToByte(uint32_t cp);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_UNICODE_H_
