// The pre-tokenizers of byte-level BPE vocabularies (tokenizer.ggml.pre), as
// llama.cpp's llm_tokenizer_bpe and unicode_regex_split run them: a list of
// regexes applied in turn, each splitting every piece of the previous one
// into its matches and the gaps between them; the words are then mapped
// byte by byte to GPT-2's printable code points. The regexes are
// implemented by hand on code points (std::regex has no \p{L}), with the
// Unicode classes of unicode.h:
//
//   kGpt2     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|
//   ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//             (pre: gpt-2, phi-2, mpt, olmo)
//   kSmollm   \p{N}   then kGpt2's
//             (pre: smollm, starcoder, refact, command-r, codeshell, exaone,
//             minerva-7b)
//   kDefault  [\p{P}\$\+<=>\^~\|]+   then kGpt2's   then \p{N}+   then
//             [0-9][0-9][0-9]   (pre: absent or "default")
//
// Invalid UTF-8 is read as U+FFFD per bad byte (so such bytes come out as
// the BPE encoding of U+FFFD), as in llama.cpp.
#ifndef QINS_TOOLS_RUNNER_BPE_PRETOKENIZER_H_
#define QINS_TOOLS_RUNNER_BPE_PRETOKENIZER_H_

#include <string>
#include <string_view>
#include <vector>

#include "qins/status.h"

namespace qins::runner {

enum class BpePre { kGpt2, kSmollm, kDefault };

// The pre-tokenizer named by tokenizer.ggml.pre ("" when absent); an
// unknown name is kUnsupported and names it.
StatusOr<BpePre> BpePreFromName(const std::string& name);

// The words of `text`, each already mapped to GPT-2's byte-level form.
std::vector<std::string> BpePreTokenize(BpePre pre, std::string_view text);

// The splits before the byte mapping, as code point lengths of consecutive
// pieces of `cpts` (exposed for tests).
std::vector<size_t> BpeSplit(BpePre pre, const std::vector<uint32_t>& cpts);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_BPE_PRETOKENIZER_H_
