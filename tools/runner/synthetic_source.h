// Synthetic models: real-size Llama configurations (Phi-3.5-mini,
// Llama-2-7B, TinyLlama-1.1B, stories15M, ...) with deterministic random
// weights, for measuring speed and memory at real sizes without the real
// weights. Same bytes and FLOPs per token as the real models.
//
// Weights: each element is a pure function of (tensor class, layer, row,
// column): two 32-bit integer hashes give four 16-bit uniforms whose sum
// (Irwin-Hall, n = 4) is scaled to mean 0 and standard deviation 0.02. The
// distribution is bell-shaped but bounded at 2*sqrt(3) = 3.46 sigma
// (excess kurtosis -0.3), so it suits speed and memory measurements, not
// quality ones. Norm gains are 1. Any row range can be generated on its own
// (GenerateSyntheticRows), so a caller may quantize row blocks without
// materialising a whole tensor in f32. Cost: two hashes (4 multiplies,
// 6 shift-xors) per weight, in a loop the compiler vectorizes.
#ifndef QINS_TOOLS_RUNNER_SYNTHETIC_SOURCE_H_
#define QINS_TOOLS_RUNNER_SYNTHETIC_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "qins/status.h"
#include "tools/runner/model_source.h"

namespace qins::runner {

// "phi-3.5-mini", "llama-2-7b", "tinyllama-1.1b", "stories15m",
// "stories260k-shape".
std::vector<std::string> SyntheticPresetNames();
// The preset's configuration; an unknown name lists the valid ones.
StatusOr<ModelConfig> SyntheticPresetConfig(const std::string& name);
// A source generating the preset's weights (ReadTensor single-threaded).
StatusOr<std::unique_ptr<ModelSource>> OpenSyntheticSource(
    const std::string& name);

// Rows [row_begin, row_begin + n_rows) of tensor (t, layer) with `cols`
// columns, row-major into `out` (n_rows * cols floats). The values do not
// depend on how the rows are split into calls.
void GenerateSyntheticRows(TensorClass t, int layer, size_t cols,
                           size_t row_begin, size_t n_rows, float* out);

// Memory a converted model needs while the runner converts and runs it.
struct MemoryEstimate {
  uint64_t weight_bytes = 0;    // linear weights at bytes_per_weight
  uint64_t norm_bytes = 0;      // f32 norm gains
  uint64_t kv_cache_bytes = 0;  // f32 K and V, every layer, seq_len positions
  uint64_t scratch_bytes = 0;   // largest tensor in f32 during conversion,
                                // activations and logits
  uint64_t total() const {
    return weight_bytes + norm_bytes + kv_cache_bytes + scratch_bytes;
  }
};
// `bytes_per_weight` is the format's storage cost, parameters included
// (e.g. 4 for f32, 34/32 for q8_0).
MemoryEstimate EstimateConvertedBytes(const ModelConfig& c,
                                      double bytes_per_weight);

// MemAvailable from a /proc/meminfo-style file, in bytes.
StatusOr<uint64_t> ReadMemAvailable(
    const std::string& meminfo_path = "/proc/meminfo");

// OK when the estimate fits in 90% of `mem_available` bytes; otherwise
// kResourceExhausted with a message naming `what`, the estimate by part and
// the available memory.
Status CheckFitsInMemory(const ModelConfig& c, double bytes_per_weight,
                         uint64_t mem_available, const std::string& what);

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_SYNTHETIC_SOURCE_H_
