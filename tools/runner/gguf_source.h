// A ModelSource over a GGUF file of the `llama` architecture (llama.cpp's
// naming). Hyperparameters come from the llama.* metadata keys, the
// vocabulary and tokenizer from tokenizer.ggml.* (gguf_tokenizer.h; any
// tokenizer error fails the load), tensors (F32, F16, BF16, Q8_0) are
// dequantized to f32 on read. Every tensor's presence, type and shape is
// checked against the config when the source is opened, so ReadTensor can
// only fail on non-finite weights.
//
// Rotary embeddings: llama.cpp's converter permutes Hugging Face's q and k
// weights so that RoPE rotates adjacent pairs (2i, 2i+1) of each head, the
// layout llama2.c uses too; the runner rotates adjacent pairs, so GGUF
// tensors are used exactly as stored.
#ifndef QINS_TOOLS_RUNNER_GGUF_SOURCE_H_
#define QINS_TOOLS_RUNNER_GGUF_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "qins/status.h"
#include "tools/runner/model_source.h"

namespace qins::runner {

// Opens `path`. Errors name the file and the key, tensor or byte at fault.
StatusOr<std::unique_ptr<ModelSource>> OpenGgufSource(const std::string& path);
// The same over bytes the caller keeps alive as long as the source (fuzzing).
StatusOr<std::unique_ptr<ModelSource>> OpenGgufSourceFromMemory(
    const uint8_t* data, size_t size, const std::string& name);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_GGUF_SOURCE_H_
