#include "tools/runner/unicode.h"

#include <algorithm>
#include <array>
#include <iterator>

#include "tools/runner/unicode_table.h"

namespace qins::runner {
namespace {

using unicode_table::kRanges;
using unicode_table::Range;

struct Gpt2Tables {
  std::array<std::string, 256> to_char;
  std::array<int16_t, 512> from_cp;  // stand-ins are all below U+0200
  Gpt2Tables() {
    from_cp.fill(-1);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable =
          (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      const uint32_t cp = printable ? b : 256 + n++;
      AppendUtf8(cp, &to_char[b]);
      from_cp[cp] = static_cast<int16_t>(b);
    }
  }
};
const Gpt2Tables& Gpt2() {
  static const Gpt2Tables t;
  return t;
}

}  // namespace

UnicodeClass ClassOf(uint32_t cp) {
  if (cp > 0x10FFFF) return UnicodeClass::kUnassigned;
  const Range* r =
      std::upper_bound(std::begin(kRanges), std::end(kRanges), cp,
                       [](uint32_t c, const Range& x) { return c < x.first; });
  return static_cast<UnicodeClass>((r - 1)->cls);
}

bool IsWhitespace(uint32_t cp) {
  if (cp >= 0x09 && cp <= 0x0D) return true;
  if (cp >= 0x2000 && cp <= 0x200A) return true;
  switch (cp) {
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return false;
  }
}

size_t Utf8SequenceLength(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1,
                                       1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

std::vector<uint32_t> DecodeUtf8(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  for (size_t i = 0; i < n;) {
    const uint8_t c = p[i];
    // As llama.cpp's unicode_cpt_from_utf8: the lead byte's high bits give
    // the length; continuation bytes must follow; overlong forms and
    // surrogates are accepted as they are.
    if (c < 0x80) {
      out.push_back(c);
      i += 1;
    } else if ((c & 0x40) == 0) {
      out.push_back(0xFFFD);
      i += 1;
    } else if ((c & 0x20) == 0) {
      if (!cont(i + 1)) {
        out.push_back(0xFFFD);
        i += 1;
        continue;
      }
      out.push_back(((c & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu));
      i += 2;
    } else if ((c & 0x10) == 0) {
      if (!cont(i + 1) || !cont(i + 2)) {
        out.push_back(0xFFFD);
        i += 1;
        continue;
      }
      out.push_back(((c & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) |
                    (p[i + 2] & 0x3Fu));
      i += 3;
    } else if ((c & 0x08) == 0) {
      if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) {
        out.push_back(0xFFFD);
        i += 1;
        continue;
      }
      const uint32_t cp = ((c & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12) |
                          ((p[i + 2] & 0x3Fu) << 6) | (p[i + 3] & 0x3Fu);
      // Above U+10FFFF llama.cpp throws later, when it re-encodes the code
      // point; here it is one replacement character.
      out.push_back(cp <= 0x10FFFF ? cp : 0xFFFD);
      i += 4;
    } else {
      out.push_back(0xFFFD);
      i += 1;
    }
  }
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp > 0x10FFFF) cp = 0xFFFD;
  if (cp <= 0x7F) {
    out->push_back(static_cast<char>(cp));
  } else if (cp <= 0x7FF) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0xFFFF) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | ((cp >> 18) & 0x07)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

const std::string& ByteToGpt2Char(uint8_t b) { return Gpt2().to_char[b]; }

int Gpt2CharToByte(uint32_t cp) { return cp < 512 ? Gpt2().from_cp[cp] : -1; }

}  // namespace qins::runner
