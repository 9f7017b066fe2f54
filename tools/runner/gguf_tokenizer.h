// The tokenizer a GGUF file carries (tokenizer.ggml.*), encoding and
// decoding as llama.cpp does (src/llama-vocab.cpp, checked against
// llama.cpp's llama-tokenize by tests/tools/runner/gguf_tokenizer_test.cc):
//
// - tokenizer.ggml.model "llama": SentencePiece (spm_tokenizer.h) with
//   tokens, scores, token types, byte fallback <0xXX>; spaces become U+2581;
//   a " " is prefixed to the text (and after each special token) when
//   tokenizer.ggml.add_space_prefix says so (llama.cpp's default for SPM:
//   true); BOS (default id 1) is added by default, EOS (2) is not.
// - "gpt2": byte-level BPE (bpe_tokenizer.h) with tokenizer.ggml.merges
//   ranks, GPT-2's byte-to-unicode mapping and the pre-tokenizer named by
//   tokenizer.ggml.pre (bpe_pretokenizer.h); no BOS/EOS by default (id 11
//   when asked for without an id, as llama.cpp).
// - Other models: kUnsupported naming the model.
//
// Special tokens: tokens of type control, user-defined or unknown are cut
// out of the text before the algorithm runs, longest first (equal lengths:
// lowest id first; llama.cpp's std::sort leaves that order unspecified);
// control and unknown ones only when parse_special is set, user-defined ones
// always. add_bos/add_eos come from tokenizer.ggml.add_bos_token and
// add_eos_token. Not implemented (no current model needs them): llama.cpp's
// per-model attribute tweaks (lstrip/rstrip for phi-3 and a few BERTs), its
// detection of EOT-like tokens by text (these models already mark them as
// control), other pre-tokenizers, ignore_merges.
//
// Metadata is checked before use: wrong value types, a scores or token_type
// array whose length is not the token count, merges without a separator or
// naming a string that is not a token, special ids outside the vocabulary
// and arrays longer than kMaxTokens are kDataLoss errors naming the key.
#ifndef QINS_TOOLS_RUNNER_GGUF_TOKENIZER_H_
#define QINS_TOOLS_RUNNER_GGUF_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qins/status.h"
#include "tools/runner/bpe_pretokenizer.h"
#include "tools/runner/bpe_tokenizer.h"
#include "tools/runner/gguf_file.h"
#include "tools/runner/token_vocab.h"

namespace qins::runner {

class GgufTokenizer {
 public:
  enum class Kind { kSpm, kBpe };
  static constexpr uint64_t kMaxTokens = uint64_t{1} << 24;

  // A tokenizer's metadata as plain values (GGUF keys in comments); used by
  // FromGguf and by tests with hand-made vocabularies.
  struct Spec {
    std::string model;                // tokenizer.ggml.model
    std::string pre;                  // tokenizer.ggml.pre ("" if absent)
    std::vector<std::string> tokens;  // tokenizer.ggml.tokens
    std::vector<float> scores;        // tokenizer.ggml.scores (empty: all 0)
    std::vector<int32_t> types;       // tokenizer.ggml.token_type (empty:
                                      // all normal)
    std::vector<std::string> merges;  // tokenizer.ggml.merges (gpt2)
    std::optional<int64_t> bos_id;    // tokenizer.ggml.bos_token_id
    std::optional<int64_t> eos_id;    // tokenizer.ggml.eos_token_id
    std::optional<bool> add_bos;      // tokenizer.ggml.add_bos_token
    std::optional<bool> add_eos;      // tokenizer.ggml.add_eos_token
    std::optional<bool> add_space_prefix;  // tokenizer.ggml.add_space_prefix
  };

  static StatusOr<std::unique_ptr<GgufTokenizer>> FromSpec(Spec spec);
  // Reads the tokenizer.ggml.* metadata of `file` (only the metadata: the
  // tensors are never read). kInvalidArgument when the file
  // has no tokenizer.ggml.model.
  static StatusOr<std::unique_ptr<GgufTokenizer>> FromGguf(
      const GgufFile& file);
  // True when `file` has tokenizer metadata (tokenizer.ggml.model).
  static bool HasTokenizer(const GgufFile& file);

  // llama_tokenize(text, add_special, parse_special): with add_special the
  // model's BOS/EOS are added as add_bos/add_eos say; with parse_special
  // control tokens written in the text (e.g. "<|im_start|>") become their
  // ids. Fails only when a byte cannot be encoded (an SPM vocabulary
  // without byte tokens).
  StatusOr<std::vector<int>> Encode(std::string_view text, bool add_special,
                                    bool parse_special) const;

  // The text of one token (llama_token_to_piece with lstrip 0): SPM U+2581
  // -> space, byte tokens -> their byte, BPE byte-level unmapping. Control
  // and unknown tokens give "" unless `special`; user-defined tokens give
  // their text. Out-of-range ids give "".
  std::string TokenToPiece(int id, bool special) const;

  // The concatenated pieces of `ids` (llama_detokenize without its
  // clean-up of spaces before punctuation): with remove_special a leading
  // BOS and a trailing EOS are dropped (when the model adds them); when the
  // model adds a space prefix, the first piece loses one leading space
  // unless a BOS was dropped before it (as llama.cpp).
  std::string Decode(const std::vector<int>& ids, bool remove_special,
                     bool special) const;

  Kind kind() const { return kind_; }
  int vocab_size() const { return vocab_.size(); }
  int bos_id() const { return bos_; }  // -1 when none
  int eos_id() const { return eos_; }  // -1 when none
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  const TokenVocab& vocab() const { return vocab_; }

 private:
  GgufTokenizer() = default;
  // Splits `text` at special tokens: fragments of raw text (id -1) and
  // special ids.
  struct Fragment {
    int id;  // -1: raw text
    std::string_view text;
  };
  std::vector<Fragment> Partition(std::string_view text,
                                  bool parse_special) const;

  Kind kind_ = Kind::kSpm;
  BpePre pre_ = BpePre::kGpt2;
  TokenVocab vocab_;
  BpeRanks ranks_;
  std::vector<int> specials_;  // longest text first
  int bos_ = -1;
  int eos_ = -1;
  bool add_bos_ = false;
  bool add_eos_ = false;
  bool add_space_prefix_ = false;
};

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_GGUF_TOKENIZER_H_
