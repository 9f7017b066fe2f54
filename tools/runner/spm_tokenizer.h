// SentencePiece encoding as llama.cpp's llm_tokenizer_spm_session: the text
// (spaces already escaped to U+2581 by the caller) is split into UTF-8
// characters; adjacent symbols are merged repeatedly, always the pair whose
// concatenation is the token with the highest score (the leftmost pair on
// ties); a final symbol that is no token is re-split along the merges that
// built it, and pieces that never formed a token are emitted as byte tokens
// (`<0xXX>`, else the one-byte token).
#ifndef QINS_TOOLS_RUNNER_SPM_TOKENIZER_H_
#define QINS_TOOLS_RUNNER_SPM_TOKENIZER_H_

#include <string_view>
#include <vector>

#include "qins/status.h"
#include "tools/runner/token_vocab.h"

namespace qins::runner {

// Appends the ids of `text` to `out`. Error (kInvalidArgument) only when a byte
// has no token (llama.cpp would throw from std::map::at).
Status SpmTokenize(const TokenVocab& vocab, std::string_view text,
                   std::vector<int>* out);

// The byte token of `b`: "<0xXX>" (upper-case hex), else the token whose
// text is the byte itself; -1 if neither exists.
int SpmByteToken(const TokenVocab& vocab, uint8_t b);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_SPM_TOKENIZER_H_
