// llama2.c's tokenizer.bin: pieces with merge scores. Decodes ids to bytes
// and encodes text exactly as llama2.c's run.c does (sentencepiece-style
// dummy-prefix " " piece, greedy BPE merges by best score, byte fallback to
// id byte + 3).
#ifndef QINS_TOOLS_RUNNER_TOKENIZER_H_
#define QINS_TOOLS_RUNNER_TOKENIZER_H_

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "qins/status.h"

namespace qins::runner {

class Tokenizer {
 public:
  // Reads `vocab_size` pieces (the model's vocabulary size; the file does
  // not store it): int32 max_token_length, then per id float32 score, int32
  // length, bytes. Every length is checked against the file size.
  static StatusOr<Tokenizer> Load(const std::string& path, int vocab_size);
  // A tokenizer from pieces (scores 0), e.g. a GGUF vocabulary: decodes;
  // encodes with byte fallback when the byte pieces exist.
  static Tokenizer FromPieces(std::vector<std::string> pieces);

  int vocab_size() const { return static_cast<int>(pieces_.size()); }
  const std::vector<std::string>& pieces() const { return pieces_; }

  // The bytes of `token` printed after `prev_token`, as run.c's decode: a
  // leading space is dropped after BOS (id 1); a "<0xXX>" piece is byte XX.
  // Out-of-range ids decode to "".
  std::string Decode(int prev_token, int token) const;

  // run.c's encode: [BOS] [" " piece if text is non-empty] pieces of each
  // UTF-8 code point (or its bytes + 3), then repeatedly merges the adjacent
  // pair whose concatenation is a piece with the highest score (first pair
  // on ties), [EOS]. Errors when a needed piece (" " or a byte) is missing.
  // dummy_prefix = false leaves out the " " piece (to score a text file's
  // bytes as they are).
  StatusOr<std::vector<int>> Encode(std::string_view text, bool bos, bool eos,
                                    bool dummy_prefix = true) const;

 private:
  int Lookup(const std::string& s) const;  // -1 if absent
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, int> index_;  // piece -> lowest id
};

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_TOKENIZER_H_
