// A llama2.c checkpoint (the legacy version-0 layout run.c reads, or
// export.py's float32 version 1) as a ModelSource. The file is memory-mapped;
// the header is validated and the size every tensor needs is checked against
// the file length before any tensor is handed out.
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
// (unused), and wcls when untied. Version 1: a 256-byte header ("ak42"
// magic, version 1, the same 7 int32, a shared-classifier byte), then norms
// (attention, FFN, final), embedding, wq, wk, wv, wo, w1, w2, w3, [wcls].
// The file must be exactly as long as its header says. Version 2 (Q8_0) is
// Unsupported.
// Errors (DataLoss) name the file and the problem; a 1 KB file never causes
// an allocation larger than the file.
StatusOr<std::unique_ptr<ModelSource>> OpenLlama2cSource(
    const std::string& path);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_LLAMA2C_SOURCE_H_
