// A tokenizer vocabulary as llama.cpp holds it (llama_vocab's id_to_token
// and token_to_id): per id the token's text, score and attributes, and the
// text -> id map. Shared by the SentencePiece and BPE algorithms
// (spm_tokenizer.h, bpe_tokenizer.h) and filled by GgufTokenizer.
#ifndef QINS_TOOLS_RUNNER_TOKEN_VOCAB_H_
#define QINS_TOOLS_RUNNER_TOKEN_VOCAB_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qins::runner {

// Token attributes (llama_token_attr's bits). GGUF stores a token *type*
// per token (tokenizer.ggml.token_type); TokenTypeToAttr maps it.
enum TokenAttr : uint8_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1 << 0,
  kAttrUnused = 1 << 1,
  kAttrNormal = 1 << 2,
  kAttrControl = 1 << 3,
  kAttrUserDefined = 1 << 4,
  kAttrByte = 1 << 5,
};
// GGUF token types: 1 normal, 2 unknown, 3 control, 4 user-defined,
// 5 unused, 6 byte; anything else (0 = undefined) is kAttrUndefined.
uint8_t TokenTypeToAttr(int32_t type);

struct TokenVocab {
  std::vector<std::string> text;
  std::vector<float> score;
  std::vector<uint8_t> attr;
  // text -> id; when two ids share a text the later id wins (llama.cpp).
  std::unordered_map<std::string, int> ids;

  int size() const { return static_cast<int>(text.size()); }
  // -1 when no token has this text.
  int Find(const std::string& s) const {
    auto it = ids.find(s);
    return it == ids.end() ? -1 : it->second;
  }
  // Appends one token (its id is the current size()).
  void Add(std::string t, float s, uint8_t a) {
    ids[t] = size();
    text.push_back(std::move(t));
    score.push_back(s);
    attr.push_back(a);
  }
};

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_TOKEN_VOCAB_H_
