// Byte-pair encoding of one pre-tokenized word as llama.cpp's
// llm_tokenizer_bpe_session: the word (already in GPT-2's byte-to-unicode
// form) is split into UTF-8 characters; repeatedly the adjacent pair with
// the lowest merge rank (tokenizer.ggml.merges order; leftmost on ties) is
// merged; each final symbol is its token, or, when it is none, the tokens of
// its single bytes that exist (the others are dropped, as llama.cpp does).
#ifndef QINS_TOOLS_RUNNER_BPE_TOKENIZER_H_
#define QINS_TOOLS_RUNNER_BPE_TOKENIZER_H_

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tools/runner/token_vocab.h"

namespace qins::runner {

// Merge ranks: "left right" pairs of tokenizer.ggml.merges -> index. The
// first occurrence of a pair keeps its rank.
class BpeRanks {
 public:
  void Add(std::string left, std::string right, int rank) {
    ranks_.emplace(Key(left, right), rank);
  }
  // -1 when the pair is no merge.
  int Find(const std::string& left, const std::string& right) const {
    auto it = ranks_.find(Key(left, right));
    return it == ranks_.end() ? -1 : it->second;
  }
  size_t size() const { return ranks_.size(); }

 private:
  // Length-prefixed, so that no two pairs share a key.
  static std::string Key(const std::string& l, const std::string& r) {
    return std::to_string(l.size()) + ':' + l + r;
  }
  std::unordered_map<std::string, int> ranks_;
};

// Appends the ids of `word` to `out`.
void BpeTokenizeWord(const TokenVocab& vocab, const BpeRanks& ranks,
                     const std::string& word, std::vector<int>* out);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_BPE_TOKENIZER_H_
