// A llama2.c checkpoint (the legacy version-0 layout run.c reads) as a
// ModelSource. The file is memory-mapped; the header is validated and the
// size every tensor needs is checked against the file length before any
// tensor is handed out.
#ifndef QINS_TOOLS_RUNNER_LLAMA2C_SOURCE_H_
#define QINS_TOOLS_RUNNER_LLAMA2C_SOURCE_H_

#include <memory>
#include <string>

#include "tools/runner/model_source.h"

namespace qins::runner {

// Layout: 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads,
// n_kv_heads, vocab_size, seq_len; a negative vocab_size means an untied
// classifier), then float32 token_embedding, rms_att, wq, wk, wv, wo,
// rms_ffn, w1 (gate), w2 (down), w3 (up), rms_final, freq_cis_real/imag
// (unused), and wcls when untied. The file must be exactly that long.
// Errors (DataLoss) name the file and the problem; a 1 KB file never causes
// an allocation larger than the file.
StatusOr<std::unique_ptr<ModelSource>> OpenLlama2cSource(
    const std::string& path);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_LLAMA2C_SOURCE_H_
