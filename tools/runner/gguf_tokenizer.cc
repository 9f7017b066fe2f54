#include "tools/runner/gguf_tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "tools/runner/spm_tokenizer.h"
#include "tools/runner/unicode.h"

namespace qins::runner {
namespace {

constexpr char kSpace[] = "\xe2\x96\x81";  // U+2581, SentencePiece's space

std::string ReplaceAll(std::string_view s, std::string_view from,
                       std::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (true) {
    const size_t p = s.find(from, i);
    if (p == std::string_view::npos) break;
    out.append(s.substr(i, p - i));
    out.append(to);
    i = p + from.size();
  }
  out.append(s.substr(i));
  return out;
}

std::string Key(const GgufFile& f, const char* key) {
  return f.name() + ": " + key;
}

// A numeric array's elements as T (int32 or float32 in the file).
template <typename T>
std::vector<T> Elements(const GgufValue& v) {
  std::vector<T> out(v.count);
  if (v.count != 0) std::memcpy(out.data(), v.numeric, v.count * sizeof(T));
  return out;
}

Status ReadOptionalBool(const GgufFile& f, const char* key,
                        std::optional<bool>* out) {
  if (f.Find(key) == nullptr) return Status();
  StatusOr<bool> v = f.GetBool(key);
  if (!v.ok()) return DataLoss(v.status().message());
  *out = *v;
  return Status();
}

Status ReadOptionalId(const GgufFile& f, const char* key,
                      std::optional<int64_t>* out) {
  if (f.Find(key) == nullptr) return Status();
  StatusOr<uint64_t> v = f.GetUint(key);
  if (!v.ok()) return DataLoss(v.status().message());
  *out = static_cast<int64_t>(std::min<uint64_t>(*v, uint64_t{1} << 40));
  return Status();
}

// The byte of a byte token "<0xXX>" (llama.cpp: strtol of text[3..4]).
std::string ByteOfToken(const std::string& text) {
  if (text.size() < 4) return "";
  const std::string hex = text.substr(3, 2);
  return std::string(1,
                     static_cast<char>(std::strtol(hex.c_str(), nullptr, 16)));
}

// llama.cpp's llama_decode_text: each code point of a byte-level token is
// the byte it stands for; one that stands for none is written as
// "[UNK_BYTE_0x<its utf-8 in hex><the whole token>]".
std::string UnmapByteLevel(const std::string& text) {
  std::string out;
  for (uint32_t cp : DecodeUtf8(text)) {
    const int b = Gpt2CharToByte(cp);
    if (b >= 0) {
      out.push_back(static_cast<char>(b));
      continue;
    }
    std::string utf8;
    AppendUtf8(cp, &utf8);
    out += "[UNK_BYTE_0x";
    for (char c : utf8) {
      char h[4];
      std::snprintf(h, sizeof(h), "%02x", static_cast<uint8_t>(c));
      out += h;
    }
    out += text + "]";
  }
  return out;
}

}  // namespace

bool GgufTokenizer::HasTokenizer(const GgufFile& file) {
  return file.Find("tokenizer.ggml.model") != nullptr;
}

StatusOr<std::unique_ptr<GgufTokenizer>> GgufTokenizer::FromGguf(
    const GgufFile& f) {
  Spec s;
  if (!HasTokenizer(f)) {
    return InvalidArgument(f.name() +
                           ": no tokenizer (tokenizer.ggml.model is absent)");
  }
  {
    StatusOr<std::string> v = f.GetString("tokenizer.ggml.model");
    if (!v.ok()) return DataLoss(v.status().message());
    s.model = *v;
  }
  if (s.model != "llama" && s.model != "gpt2") {
    return Unsupported(f.name() + ": tokenizer.ggml.model '" + s.model +
                       "' is not supported (supported: llama, gpt2)");
  }
  if (f.Find("tokenizer.ggml.pre") != nullptr) {
    StatusOr<std::string> v = f.GetString("tokenizer.ggml.pre");
    if (!v.ok()) return DataLoss(v.status().message());
    s.pre = *v;
  }
  const GgufValue* tokens = f.Find("tokenizer.ggml.tokens");
  if (tokens == nullptr)
    return DataLoss(Key(f, "tokenizer.ggml.tokens") + " is missing");
  if (tokens->type != GgufType::kArray ||
      tokens->elem_type != GgufType::kString) {
    return DataLoss(Key(f, "tokenizer.ggml.tokens") +
                    " is not an array of strings");
  }
  if (tokens->count == 0 || tokens->count > kMaxTokens) {
    return DataLoss(Key(f, "tokenizer.ggml.tokens") + " has " +
                    std::to_string(tokens->count) +
                    " entries (1 to 2^24 allowed)");
  }
  const uint64_t n = tokens->count;
  s.tokens.assign(tokens->strings.begin(), tokens->strings.end());
  if (const GgufValue* v = f.Find("tokenizer.ggml.scores")) {
    if (v->type != GgufType::kArray || (v->elem_type != GgufType::kFloat32 &&
                                        v->elem_type != GgufType::kInt32)) {
      return DataLoss(Key(f, "tokenizer.ggml.scores") +
                      " is not an array of float32 (or int32)");
    }
    if (v->count != n) {
      return DataLoss(Key(f, "tokenizer.ggml.scores") + " has " +
                      std::to_string(v->count) + " entries for " +
                      std::to_string(n) + " tokens");
    }
    if (v->elem_type == GgufType::kFloat32) {
      s.scores = Elements<float>(*v);
    } else {
      for (int32_t i : Elements<int32_t>(*v))
        s.scores.push_back(static_cast<float>(i));
    }
  }
  if (const GgufValue* v = f.Find("tokenizer.ggml.token_type")) {
    if (v->type != GgufType::kArray || v->elem_type != GgufType::kInt32) {
      return DataLoss(Key(f, "tokenizer.ggml.token_type") +
                      " is not an array of int32");
    }
    if (v->count != n) {
      return DataLoss(Key(f, "tokenizer.ggml.token_type") + " has " +
                      std::to_string(v->count) + " entries for " +
                      std::to_string(n) + " tokens");
    }
    s.types = Elements<int32_t>(*v);
  }
  if (s.model == "gpt2") {
    const GgufValue* v = f.Find("tokenizer.ggml.merges");
    if (v == nullptr)
      return DataLoss(Key(f, "tokenizer.ggml.merges") +
                      " is missing (a gpt2 tokenizer needs its merges)");
    if (v->type != GgufType::kArray || v->elem_type != GgufType::kString) {
      return DataLoss(Key(f, "tokenizer.ggml.merges") +
                      " is not an array of strings");
    }
    if (v->count > kMaxTokens) {
      return DataLoss(Key(f, "tokenizer.ggml.merges") + " has " +
                      std::to_string(v->count) + " entries (at most 2^24)");
    }
    s.merges.assign(v->strings.begin(), v->strings.end());
  }
  for (auto [key, out] :
       {std::pair{"tokenizer.ggml.bos_token_id", &s.bos_id},
        std::pair{"tokenizer.ggml.eos_token_id", &s.eos_id}}) {
    Status st = ReadOptionalId(f, key, out);
    if (!st.ok()) return st;
  }
  for (auto [key, out] :
       {std::pair{"tokenizer.ggml.add_bos_token", &s.add_bos},
        std::pair{"tokenizer.ggml.add_eos_token", &s.add_eos},
        std::pair{"tokenizer.ggml.add_space_prefix", &s.add_space_prefix}}) {
    Status st = ReadOptionalBool(f, key, out);
    if (!st.ok()) return st;
  }
  StatusOr<std::unique_ptr<GgufTokenizer>> t = FromSpec(std::move(s));
  if (!t.ok())
    return Status(t.status().code(), f.name() + ": " + t.status().message());
  return t;
}

StatusOr<std::unique_ptr<GgufTokenizer>> GgufTokenizer::FromSpec(Spec s) {
  std::unique_ptr<GgufTokenizer> t(new GgufTokenizer());
  const uint64_t n = s.tokens.size();
  if (n == 0 || n > kMaxTokens) {
    return DataLoss("tokenizer.ggml.tokens has " + std::to_string(n) +
                    " entries (1 to 2^24 allowed)");
  }
  if (!s.scores.empty() && s.scores.size() != n) {
    return DataLoss("tokenizer.ggml.scores has " +
                    std::to_string(s.scores.size()) + " entries for " +
                    std::to_string(n) + " tokens");
  }
  if (!s.types.empty() && s.types.size() != n) {
    return DataLoss("tokenizer.ggml.token_type has " +
                    std::to_string(s.types.size()) + " entries for " +
                    std::to_string(n) + " tokens");
  }
  int default_bos = -1, default_eos = -1;
  if (s.model == "llama") {
    t->kind_ = Kind::kSpm;
    default_bos = 1;
    default_eos = 2;
    t->add_bos_ = true;
    t->add_space_prefix_ = true;
  } else if (s.model == "gpt2") {
    t->kind_ = Kind::kBpe;
    default_bos = default_eos = 11;
    StatusOr<BpePre> pre = BpePreFromName(s.pre);
    if (!pre.ok()) return pre.status();
    t->pre_ = *pre;
  } else {
    return Unsupported("tokenizer.ggml.model '" + s.model +
                       "' is not supported (supported: llama, gpt2)");
  }
  TokenVocab& v = t->vocab_;
  v.text.reserve(n);
  v.ids.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string word = std::move(s.tokens[i]);
    if (word.empty()) word = "[EMPTY_" + std::to_string(i) + "]";  // llama.cpp
    v.Add(std::move(word), s.scores.empty() ? 0.0f : s.scores[i],
          s.types.empty() ? uint8_t{kAttrNormal} : TokenTypeToAttr(s.types[i]));
  }
  for (size_t i = 0; i < s.merges.size(); ++i) {
    const std::string& m = s.merges[i];
    const size_t pos = m.find(' ', 1);
    if (pos == std::string::npos) {
      return DataLoss("tokenizer.ggml.merges[" + std::to_string(i) + "] '" +
                      m.substr(0, 64) +
                      "' is not two tokens separated by a "
                      "space");
    }
    std::string left = m.substr(0, pos), right = m.substr(pos + 1);
    for (const std::string* part : {&left, &right}) {
      if (v.Find(*part) < 0) {
        return DataLoss("tokenizer.ggml.merges[" + std::to_string(i) + "] '" +
                        m.substr(0, 64) + "' names '" + part->substr(0, 64) +
                        "', which is not a token");
      }
    }
    t->ranks_.Add(std::move(left), std::move(right), static_cast<int>(i));
  }
  auto special_id = [&](const char* key, std::optional<int64_t> given, int def,
                        int* out) -> Status {
    if (given.has_value()) {
      if (*given >= static_cast<int64_t>(n)) {
        return DataLoss(std::string(key) + " " + std::to_string(*given) +
                        " is outside the vocabulary (" + std::to_string(n) +
                        " tokens)");
      }
      *out = static_cast<int>(*given);
    } else {
      *out = def < static_cast<int64_t>(n) ? def : -1;
    }
    return Status();
  };
  Status st = special_id("tokenizer.ggml.bos_token_id", s.bos_id, default_bos,
                         &t->bos_);
  if (!st.ok()) return st;
  st = special_id("tokenizer.ggml.eos_token_id", s.eos_id, default_eos,
                  &t->eos_);
  if (!st.ok()) return st;
  if (s.add_bos) t->add_bos_ = *s.add_bos;
  if (s.add_eos) t->add_eos_ = *s.add_eos;
  if (s.add_space_prefix) t->add_space_prefix_ = *s.add_space_prefix;
  if (t->add_bos_ && t->bos_ < 0)
    return DataLoss("the tokenizer adds a BOS token but has none");
  if (t->add_eos_ && t->eos_ < 0)
    return DataLoss("the tokenizer adds an EOS token but has none");
  for (int id = 0; id < v.size(); ++id) {
    if (v.attr[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown))
      t->specials_.push_back(id);
  }
  std::stable_sort(t->specials_.begin(), t->specials_.end(), [&](int a, int b) {
    return v.text[a].size() > v.text[b].size();
  });
  return t;
}

std::vector<GgufTokenizer::Fragment> GgufTokenizer::Partition(
    std::string_view text, bool parse_special) const {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;
  frags.push_back({-1, text});
  for (int id : specials_) {
    const uint8_t attr = vocab_.attr[id];
    if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string& special = vocab_.text[id];
    std::vector<Fragment> next;
    next.reserve(frags.size());
    bool changed = false;
    for (const Fragment& f : frags) {
      if (f.id >= 0 || f.text.size() < special.size()) {
        next.push_back(f);
        continue;
      }
      std::string_view rest = f.text;
      while (true) {
        const size_t p = rest.find(special);
        if (p == std::string_view::npos) break;
        changed = true;
        if (p > 0) next.push_back({-1, rest.substr(0, p)});
        next.push_back({id, {}});
        rest = rest.substr(p + special.size());
      }
      if (!rest.empty()) next.push_back({-1, rest});
    }
    if (changed) frags = std::move(next);
  }
  return frags;
}

StatusOr<std::vector<int>> GgufTokenizer::Encode(std::string_view text,
                                                 bool add_special,
                                                 bool parse_special) const {
  std::vector<int> out;
  const std::vector<Fragment> frags = Partition(text, parse_special);
  if (add_special && add_bos_) out.push_back(bos_);
  if (kind_ == Kind::kSpm) {
    bool prev_special = true;  // the text's start counts as after a special
    for (const Fragment& f : frags) {
      if (f.id >= 0) {
        out.push_back(f.id);
        prev_special = true;
        continue;
      }
      std::string raw;
      if (add_space_prefix_ && prev_special) raw = " ";
      raw.append(f.text);
      Status s = SpmTokenize(vocab_, ReplaceAll(raw, " ", kSpace), &out);
      if (!s.ok()) return s;
      prev_special = false;
    }
  } else {
    for (const Fragment& f : frags) {
      if (f.id >= 0) {
        out.push_back(f.id);
        continue;
      }
      for (const std::string& word : BpePreTokenize(pre_, f.text))
        BpeTokenizeWord(vocab_, ranks_, word, &out);
    }
  }
  if (add_special && add_eos_) out.push_back(eos_);
  return out;
}

std::string GgufTokenizer::TokenToPiece(int id, bool special) const {
  if (id < 0 || id >= vocab_.size()) return "";
  const uint8_t attr = vocab_.attr[id];
  const std::string& text = vocab_.text[id];
  if (!special && (attr & (kAttrUnknown | kAttrControl))) return "";
  if (attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return text;
  if (attr & kAttrNormal) {
    return kind_ == Kind::kSpm ? ReplaceAll(text, kSpace, " ")
                               : UnmapByteLevel(text);
  }
  if (attr & kAttrByte) return ByteOfToken(text);
  return "";  // undefined or unused
}

std::string GgufTokenizer::Decode(const std::vector<int>& ids,
                                  bool remove_special, bool special) const {
  size_t begin = 0, end = ids.size();
  bool remove_space = add_space_prefix_;
  if (remove_special && add_bos_ && end > begin && ids[begin] == bos_) {
    remove_space = false;
    ++begin;
  }
  if (remove_special && add_eos_ && end > begin && ids[end - 1] == eos_) --end;
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    std::string piece = TokenToPiece(ids[i], special);
    if (remove_space && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    remove_space = false;
    out += piece;
  }
  return out;
}

uint8_t TokenTypeToAttr(int32_t type) {
  switch (type) {
    case 1:
      return kAttrNormal;
    case 2:
      return kAttrUnknown;
    case 3:
      return kAttrControl;
    case 4:
      return kAttrUserDefined;
    case 5:
      return kAttrUnused;
    case 6:
      return kAttrByte;
    default:
      return kAttrUndefined;
  }
}

}  // namespace qins::runner
