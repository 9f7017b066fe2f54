#include "tools/runner/synthetic_source.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace qins::runner {
namespace {

struct Preset {
  const char* name;
  ModelConfig config;
};

ModelConfig Make(int dim, int hidden, int layers, int heads, int kv_heads,
                 int vocab, int seq, bool tied) {
  ModelConfig c;
  c.dim = dim;
  c.hidden_dim = hidden;
  c.n_layers = layers;
  c.n_heads = heads;
  c.n_kv_heads = kv_heads;
  c.vocab_size = vocab;
  c.seq_len = seq;
  c.tied_classifier = tied;
  return c;
}

// Shapes of the published models (fused projections and LongRoPE do not
// change bytes or FLOPs per token). Untied classifiers where the real model
// has a separate output matrix.
const Preset* Presets(size_t* n) {
  static const Preset kPresets[] = {
      {"phi-3.5-mini", Make(3072, 8192, 32, 32, 32, 32064, 4096, false)},
      {"llama-2-7b", Make(4096, 11008, 32, 32, 32, 32000, 4096, false)},
      {"tinyllama-1.1b", Make(2048, 5632, 22, 32, 4, 32000, 2048, false)},
      {"stories15m", Make(288, 768, 6, 6, 6, 32000, 256, true)},
      {"stories260k-shape", Make(64, 172, 5, 8, 4, 512, 512, true)},
  };
  *n = sizeof(kPresets) / sizeof(kPresets[0]);
  return kPresets;
}

// A 32-bit integer hash with good avalanche (Wellons' lowbias32).
inline uint32_t Hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// One row: weight k hashes counters 2k and 2k+1 under the row's key. Cloned
// for AVX2 (8 lanes of 32-bit multiplies), which the x86-64 baseline lacks;
// the clones compute the same integers, so results are identical.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void SyntheticRow(uint32_t row_key, size_t cols, float* o) {
  // Sum of four U{0..65535}: mean 131070, sd 65536 / sqrt(3) (to 1e-9).
  constexpr float kMean = 4 * 32767.5f;
  const float scale = 0.02f * 1.7320508f / 65536.0f;
  // Columns index the hash counter (2 per weight); wraps only for rows of
  // more than 2^31 columns, which no model has.
  for (size_t k = 0; k < cols; ++k) {
    const uint32_t c2 = static_cast<uint32_t>(2 * k);
    const uint32_t a = Hash32(row_key + c2);
    const uint32_t b = Hash32(row_key + c2 + 1);
    const uint32_t sum = (a & 0xffff) + (a >> 16) + (b & 0xffff) + (b >> 16);
    o[k] = (static_cast<float>(static_cast<int32_t>(sum)) - kMean) * scale;
  }
}

class SyntheticSource : public ModelSource {
 public:
  SyntheticSource(std::string name, ModelConfig c)
      : name_(std::move(name)), config_(c) {}
  const ModelConfig& config() const override { return config_; }
  Status ReadTensor(TensorClass t, int layer, float* out) const override {
    const bool per_layer = t != TensorClass::kEmbedding &&
                           t != TensorClass::kOutput &&
                           t != TensorClass::kFinalNorm;
    if (per_layer && (layer < 0 || layer >= config_.n_layers)) {
      return InvalidArgument("synthetic " + name_ + ": layer " +
                             std::to_string(layer) + " outside 0.." +
                             std::to_string(config_.n_layers - 1));
    }
    if (t == TensorClass::kOutput && config_.tied_classifier) {
      return InvalidArgument("synthetic " + name_ +
                             ": no output tensor (the classifier is tied)");
    }
    if (!config_.has_gemma_norms() &&
        (t == TensorClass::kAttnQNorm || t == TensorClass::kAttnKNorm ||
         t == TensorClass::kAttnPostNorm || t == TensorClass::kFfnPostNorm)) {
      return InvalidArgument("synthetic " + name_ + ": a llama model has no " +
                             TensorClassName(t) + " tensor");
    }
    size_t rows = 0, cols = 0;
    TensorShape(config_, t, &rows, &cols);
    GenerateSyntheticRows(t, per_layer ? layer : 0, cols, 0, rows, out);
    return Status::Ok();
  }
  std::string Describe() const override { return "synthetic " + name_; }

 private:
  std::string name_;
  ModelConfig config_;
};

std::string GiB(uint64_t bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f GiB", bytes / 1073741824.0);
  return b;
}

}  // namespace

std::vector<std::string> SyntheticPresetNames() {
  size_t n = 0;
  const Preset* p = Presets(&n);
  std::vector<std::string> names;
  for (size_t i = 0; i < n; ++i) names.push_back(p[i].name);
  return names;
}

StatusOr<ModelConfig> SyntheticPresetConfig(const std::string& name) {
  size_t n = 0;
  const Preset* p = Presets(&n);
  std::string valid;
  for (size_t i = 0; i < n; ++i) {
    if (name == p[i].name) return p[i].config;
    valid += (i ? ", " : "") + std::string(p[i].name);
  }
  return InvalidArgument("unknown synthetic preset '" + name +
                         "' (valid: " + valid + ")");
}

StatusOr<std::unique_ptr<ModelSource>> OpenSyntheticSource(
    const std::string& name) {
  StatusOr<ModelConfig> c = SyntheticPresetConfig(name);
  if (!c.ok()) return c.status();
  if (Status s = ValidateConfig(*c); !s.ok()) return s;
  return std::unique_ptr<ModelSource>(new SyntheticSource(name, *c));
}

void GenerateSyntheticRows(TensorClass t, int layer, size_t cols,
                           size_t row_begin, size_t n_rows, float* out) {
  if (t == TensorClass::kAttnNorm || t == TensorClass::kFfnNorm ||
      t == TensorClass::kFinalNorm) {
    std::fill(out, out + n_rows * cols, 1.0f);
    return;
  }
  const uint32_t tensor_key =
      Hash32((static_cast<uint32_t>(t) << 24) ^ static_cast<uint32_t>(layer) ^
             0x9e3779b9u);
  for (size_t r = 0; r < n_rows; ++r) {
    const uint64_t row = row_begin + r;
    const uint32_t row_key =
        Hash32(tensor_key ^ Hash32(static_cast<uint32_t>(row) ^
                                   Hash32(static_cast<uint32_t>(row >> 32))));
    SyntheticRow(row_key, cols, out + r * cols);
  }
}

MemoryEstimate EstimateConvertedBytes(const ModelConfig& c,
                                      double bytes_per_weight) {
  const uint64_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(),
                 vocab = c.vocab_size, layers = c.n_layers, seq = c.seq_len;
  const uint64_t per_layer = 2 * dim * dim + 2 * kv * dim + 3 * hidden * dim;
  const uint64_t linear =
      layers * per_layer + vocab * dim * (c.tied_classifier ? 1 : 2);
  MemoryEstimate e;
  e.weight_bytes = static_cast<uint64_t>(std::ceil(linear * bytes_per_weight));
  e.norm_bytes = (2 * layers + 1) * dim * 4;
  e.kv_cache_bytes = 2 * layers * seq * kv * 4;
  const uint64_t largest = std::max({vocab * dim, hidden * dim, dim * dim});
  // One tensor in f32 while it is converted; activations (x, xb, q, k, v,
  // hidden x2, attention scores per head) and logits are small beside it.
  e.scratch_bytes =
      largest * 4 +
      (6 * dim + 2 * hidden + uint64_t(c.n_heads) * seq + vocab) * 4;
  return e;
}

StatusOr<uint64_t> ReadMemAvailable(const std::string& meminfo_path) {
  std::ifstream in(meminfo_path);
  if (!in) return InvalidArgument("cannot read " + meminfo_path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream fields(line.substr(13));
    uint64_t kib = 0;
    std::string unit;
    if (!(fields >> kib >> unit) || unit != "kB" || kib > (uint64_t{1} << 50)) {
      return DataLoss(meminfo_path + ": cannot parse '" + line + "'");
    }
    return kib * 1024;
  }
  return DataLoss(meminfo_path + ": no MemAvailable line");
}

Status CheckFitsInMemory(const ModelConfig& c, double bytes_per_weight,
                         uint64_t mem_available, const std::string& what) {
  const MemoryEstimate e = EstimateConvertedBytes(c, bytes_per_weight);
  const uint64_t budget = mem_available / 10 * 9;
  if (e.total() <= budget) return Status::Ok();
  return Status(
      StatusCode::kResourceExhausted,
      what + " needs about " + GiB(e.total()) + " (weights " +
          GiB(e.weight_bytes) + ", KV cache " + GiB(e.kv_cache_bytes) +
          ", conversion scratch " + GiB(e.scratch_bytes) + ") but only " +
          GiB(mem_available) +
          " is available (MemAvailable; 90% may be used): choose a format "
          "with fewer bytes per weight, a smaller preset or a shorter "
          "context");
}

}  // namespace qins::runner
