#include "tools/llama2c_matrices.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

#include "tools/regular_file.h"

namespace qins::tools {

StatusOr<std::vector<NamedMatrix>> ReadLlama2cMatrices(
    const std::string& path) {
  if (const std::string bad = NotARegularFile(path); !bad.empty())
    return InvalidArgument(bad);
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return InvalidArgument("cannot open model file '" + path + "'");
  const std::streamoff size = f.tellg();
  f.seekg(0);
  if (size < 28)
    return DataLoss(path + ": too small for a llama2.c header (28 bytes)");
  int32_t h[7];
  f.read(reinterpret_cast<char*>(h), sizeof(h));
  const int64_t dim = h[0], hidden = h[1], layers = h[2], heads = h[3],
                kv_heads = h[4];
  const int64_t vocab = h[5] < 0 ? -int64_t{h[5]} : h[5], seq = h[6];
  const bool shared = h[5] > 0;
  auto bad = [&](const std::string& what) {
    return DataLoss(path + ": bad llama2.c header: " + what);
  };
  if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kv_heads <= 0 ||
      vocab <= 0 || seq <= 0) {
    return bad(
        "dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size and "
        "seq_len must be positive");
  }
  if (dim % heads != 0) return bad("n_heads does not divide dim");
  if (heads % kv_heads != 0) return bad("n_kv_heads does not divide n_heads");
  if (dim > (1 << 16) || hidden > (1 << 18) || layers > 1024 ||
      vocab > (1 << 22) || seq > (1 << 22)) {
    return bad("implausibly large dimensions");
  }
  const int64_t kv_dim = dim * kv_heads / heads, head = dim / heads;
  struct Part {
    std::string name;
    int64_t count, rows, cols;
    bool matrix;
  };
  std::vector<Part> parts = {
      {"token_embedding", 1, vocab, dim, true},
      {"rms_att", layers, 1, dim, false},
      {"wq", layers, dim, dim, true},
      {"wk", layers, kv_dim, dim, true},
      {"wv", layers, kv_dim, dim, true},
      {"wo", layers, dim, dim, true},
      {"rms_ffn", layers, 1, dim, false},
      {"w1", layers, hidden, dim, true},
      {"w2", layers, dim, hidden, true},
      {"w3", layers, hidden, dim, true},
      {"rms_final", 1, 1, dim, false},
      {"freq_cis", 2, seq, head / 2, false},
  };
  if (!shared) parts.push_back({"wcls", 1, vocab, dim, true});
  int64_t floats = 0;
  for (const Part& p : parts) floats += p.count * p.rows * p.cols;
  const int64_t need = 28 + 4 * floats;
  if (size < need) {
    return DataLoss(path + ": truncated: the header needs " +
                    std::to_string(need) + " bytes, the file has " +
                    std::to_string(size));
  }
  if (size > need) {
    return DataLoss(
        path + ": " + std::to_string(size - need) +
        " unexpected trailing bytes (not a version-0 llama2.c checkpoint?)");
  }
  std::vector<NamedMatrix> out;
  for (const Part& p : parts) {
    for (int64_t l = 0; l < p.count; ++l) {
      std::vector<float> w(static_cast<size_t>(p.rows * p.cols));
      f.read(reinterpret_cast<char*>(w.data()),
             static_cast<std::streamsize>(w.size() * 4));
      if (!f) return DataLoss(path + ": read failed");
      if (!p.matrix) continue;
      NamedMatrix m;
      m.name =
          p.count > 1 ? "layers." + std::to_string(l) + "." + p.name : p.name;
      m.rows = static_cast<size_t>(p.rows);
      m.cols = static_cast<size_t>(p.cols);
      m.w = std::move(w);
      out.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace qins::tools
