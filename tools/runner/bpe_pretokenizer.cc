#include "tools/runner/bpe_pretokenizer.h"

#include <functional>

#include "tools/runner/unicode.h"

namespace qins::runner {
namespace {

using Pieces = std::vector<size_t>;  // lengths in code points

// Applies `split_piece` to every piece of `in` (a piece's matches never
// cross its boundaries, as llama.cpp runs each regex per earlier piece).
Pieces ForEachPiece(
    const Pieces& in,
    const std::function<void(size_t, size_t, Pieces*)>& split_piece) {
  Pieces out;
  size_t start = 0;
  for (size_t len : in) {
    split_piece(start, start + len, &out);
    start += len;
  }
  return out;
}

// A regex that matches maximal runs of code points with `in_run` (or, with
// max_run, runs of at most that many), keeping the gaps between matches as
// pieces: \p{N}, [\p{P}...]+, \p{N}+.
Pieces SplitRuns(const std::vector<uint32_t>& cpts, const Pieces& in,
                 const std::function<bool(uint32_t)>& in_run, size_t max_run) {
  return ForEachPiece(in, [&](size_t b, size_t e, Pieces* out) {
    size_t gap = b;
    for (size_t i = b; i < e;) {
      if (!in_run(cpts[i])) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < e && j - i < max_run && in_run(cpts[j])) ++j;
      if (i > gap) out->push_back(i - gap);
      out->push_back(j - i);
      i = gap = j;
    }
    if (e > gap) out->push_back(e - gap);
  });
}

// [0-9][0-9][0-9]: leftmost non-overlapping triples of ASCII digits.
Pieces SplitDigitTriples(const std::vector<uint32_t>& cpts, const Pieces& in) {
  auto digit = [](uint32_t c) { return c >= '0' && c <= '9'; };
  return ForEachPiece(in, [&](size_t b, size_t e, Pieces* out) {
    size_t gap = b;
    for (size_t i = b; i + 3 <= e;) {
      if (digit(cpts[i]) && digit(cpts[i + 1]) && digit(cpts[i + 2])) {
        if (i > gap) out->push_back(i - gap);
        out->push_back(3);
        i = gap = i + 3;
      } else {
        ++i;
      }
    }
    if (e > gap) out->push_back(e - gap);
  });
}

// llama.cpp's unicode_regex_split_custom_gpt2 on each piece.
Pieces SplitGpt2(const std::vector<uint32_t>& cpts, const Pieces& in) {
  return ForEachPiece(in, [&](size_t b, size_t e, Pieces* out) {
    constexpr uint32_t kOut = 0xFFFFFFFF;
    auto cpt = [&](size_t p) { return p >= b && p < e ? cpts[p] : kOut; };
    // Classes of positions outside the piece are "none" (flags 0 in
    // llama.cpp): not a letter, number, whitespace nor anything else.
    enum Kind { kNone, kWs, kL, kN, kOther };
    auto kind = [&](size_t p) {
      if (p < b || p >= e) return kNone;
      const uint32_t c = cpts[p];
      if (IsWhitespace(c)) return kWs;
      const UnicodeClass k = ClassOf(c);
      if (k == UnicodeClass::kLetter) return kL;
      if (k == UnicodeClass::kNumber) return kN;
      return kOther;
    };
    size_t prev_end = b;
    auto add = [&](size_t end) {
      const size_t len = end - prev_end;
      if (len > 0) out->push_back(len);
      prev_end = end;
      return len;
    };
    for (size_t pos = b; pos < e;) {
      const uint32_t c = cpt(pos);
      const Kind k = kind(pos);
      if (c == '\'' && pos + 1 < e) {
        const uint32_t n1 = cpt(pos + 1);
        if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd') {
          pos += add(pos + 2);
          continue;
        }
        if (pos + 2 < e) {
          const uint32_t n2 = cpt(pos + 2);
          if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') ||
              (n1 == 'l' && n2 == 'l')) {
            pos += add(pos + 3);
            continue;
          }
        }
      }
      Kind k2 = c == ' ' ? kind(pos + 1) : k;
      if (k2 == kL || k2 == kN || k2 == kOther) {
        // <space>?\p{L}+, <space>?\p{N}+, <space>?[^\s\p{L}\p{N}]+
        const Kind run = k2;
        pos += (c == ' ');
        while (k2 == run) k2 = kind(++pos);
        add(pos);
        continue;
      }
      size_t n_ws = 0;
      while (kind(pos + n_ws) == kWs) ++n_ws;
      if (n_ws > 1 && cpt(pos + n_ws) != kOut) {  // \s+(?!\S)
        pos += n_ws - 1;
        add(pos);
        continue;
      }
      if (n_ws > 0) {  // \s+
        pos += n_ws;
        add(pos);
        continue;
      }
      add(++pos);  // no match
    }
  });
}

}  // namespace

StatusOr<BpePre> BpePreFromName(const std::string& name) {
  if (name.empty() || name == "default") return BpePre::kDefault;
  for (const char* n : {"gpt-2", "phi-2", "mpt", "olmo"})
    if (name == n) return BpePre::kGpt2;
  for (const char* n : {"smollm", "starcoder", "refact", "command-r",
                        "codeshell", "exaone", "minerva-7b"})
    if (name == n) return BpePre::kSmollm;
  return Unsupported("tokenizer.ggml.pre '" + name +
                     "' is not supported (supported: gpt-2, phi-2, mpt, "
                     "olmo, smollm, starcoder, refact, command-r, codeshell, "
                     "exaone, minerva-7b, default)");
}

std::vector<size_t> BpeSplit(BpePre pre, const std::vector<uint32_t>& cpts) {
  Pieces p = {cpts.size()};
  if (cpts.empty()) return {};
  switch (pre) {
    case BpePre::kGpt2:
      return SplitGpt2(cpts, p);
    case BpePre::kSmollm:
      p = SplitRuns(cpts, p, IsNumber, 1);
      return SplitGpt2(cpts, p);
    case BpePre::kDefault: {
      auto punct = [](uint32_t c) {
        if (c < 128) {
          return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) ||
                 (c >= 0x5B && c <= 0x60 && c != 0x60) || c == 0x5F ||
                 (c >= 0x7B && c <= 0x7E);
        }
        return ClassOf(c) == UnicodeClass::kPunctuation;
      };
      p = SplitRuns(cpts, p, punct, SIZE_MAX);
      p = SplitGpt2(cpts, p);
      p = SplitRuns(cpts, p, IsNumber, SIZE_MAX);
      return SplitDigitTriples(cpts, p);
    }
  }
  return p;
}

std::vector<std::string> BpePreTokenize(BpePre pre, std::string_view text) {
  const std::vector<uint32_t> cpts = DecodeUtf8(text);
  std::vector<std::string> words;
  size_t start = 0;
  for (size_t len : BpeSplit(pre, cpts)) {
    std::string utf8;
    for (size_t i = start; i < start + len; ++i) AppendUtf8(cpts[i], &utf8);
    std::string word;
    for (char c : utf8) word += ByteToGpt2Char(static_cast<uint8_t>(c));
    words.push_back(std::move(word));
    start += len;
  }
  return words;
}

}  // namespace qins::runner
