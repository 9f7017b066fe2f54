// TEMPORARY: see convert_simple_for_gguf_branch.h.
#include "tools/runner/convert_simple_for_gguf_branch.h"

#include <chrono>
#include <cstdio>
#include <vector>

#include "qins/quantize.h"

namespace qins::runner {

StatusOr<ModelWeights> ConvertSimpleForGgufBranch(const Context& ctx,
                                                  const ModelSource& src,
                                                  Format format,
                                                  bool progress) {
  ModelWeights w;
  w.config = src.config();
  w.vocab = src.Vocab();
  w.source = src.Describe();
  const ModelConfig& c = w.config;
  if (Status s = ValidateConfig(c); !s.ok()) return s;
  w.layers.resize(c.n_layers);
  const int total = 2 + (c.tied_classifier ? 0 : 1) + 9 * c.n_layers;
  int done = 0;
  double last_print = 0;
  bool printed = false;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<float> buf;
  auto read = [&](TensorClass t, int layer, size_t* rows,
                  size_t* cols) -> Status {
    TensorShape(c, t, rows, cols);
    buf.resize(*rows * *cols);
    Status s = src.ReadTensor(t, layer, buf.data());
    ++done;
    if (progress) {
      // After the first second, a line at most every half second.
      const double sec =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
      if (sec >= 1.0 && (sec - last_print >= 0.5 || done == total)) {
        std::fprintf(stderr, "\rconverting: %d/%d tensors, %.1f s", done, total,
                     sec);
        last_print = sec;
        printed = true;
      }
      if (printed && (done == total || !s.ok())) std::fprintf(stderr, "\n");
    }
    return s;
  };
  auto matrix = [&](TensorClass t, int layer, QuantizedMatrix* out) -> Status {
    size_t rows = 0, cols = 0;
    if (Status s = read(t, layer, &rows, &cols); !s.ok()) return s;
    StatusOr<QuantizedMatrix> q = Quantize(ctx, format, buf.data(), rows, cols);
    if (!q.ok()) {
      return Status(q.status().code(),
                    std::string(TensorClassName(t)) +
                        (layer >= 0 ? " of layer " + std::to_string(layer)
                                    : std::string()) +
                        ": " + q.status().message());
    }
    *out = std::move(*q);
    return Status::Ok();
  };
  auto vec = [&](TensorClass t, int layer, std::vector<float>* out) -> Status {
    size_t rows = 0, cols = 0;
    if (Status s = read(t, layer, &rows, &cols); !s.ok()) return s;
    *out = buf;
    return Status::Ok();
  };
  if (Status s = matrix(TensorClass::kEmbedding, -1, &w.token_embedding);
      !s.ok()) {
    return s;
  }
  if (!c.tied_classifier) {
    if (Status s = matrix(TensorClass::kOutput, -1, &w.output); !s.ok()) {
      return s;
    }
  }
  if (Status s = vec(TensorClass::kFinalNorm, -1, &w.final_norm); !s.ok()) {
    return s;
  }
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights& L = w.layers[l];
    Status s = vec(TensorClass::kAttnNorm, l, &L.attn_norm);
    if (s.ok()) s = matrix(TensorClass::kAttnQ, l, &L.wq);
    if (s.ok()) s = matrix(TensorClass::kAttnK, l, &L.wk);
    if (s.ok()) s = matrix(TensorClass::kAttnV, l, &L.wv);
    if (s.ok()) s = matrix(TensorClass::kAttnO, l, &L.wo);
    if (s.ok()) s = vec(TensorClass::kFfnNorm, l, &L.ffn_norm);
    if (s.ok()) s = matrix(TensorClass::kFfnGate, l, &L.w_gate);
    if (s.ok()) s = matrix(TensorClass::kFfnUp, l, &L.w_up);
    if (s.ok()) s = matrix(TensorClass::kFfnDown, l, &L.w_down);
    if (!s.ok()) return s;
  }
  return w;
}

}  // namespace qins::runner
