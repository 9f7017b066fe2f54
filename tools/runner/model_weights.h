// A Llama model converted into weight formats: what the forward pass runs
// and what qins-convert writes. Every linear weight is a QuantizedMatrix in
// its own format; norms stay f32.
#ifndef QINS_TOOLS_RUNNER_MODEL_WEIGHTS_H_
#define QINS_TOOLS_RUNNER_MODEL_WEIGHTS_H_

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "qins/quantize.h"
#include "tools/runner/model_source.h"

namespace qins::runner {

struct LayerWeights {
  std::vector<float> attn_norm, ffn_norm;  // dim each
  // Gemma 3 only (empty otherwise): head_dim each, then dim each.
  std::vector<float> attn_q_norm, attn_k_norm;
  std::vector<float> attn_post_norm, ffn_post_norm;
  QuantizedMatrix wq, wk, wv, wo;        // attention projections
  QuantizedMatrix w_gate, w_up, w_down;  // SwiGLU FFN

  // The seven matrices with their classes, in model order (q, k, v, o,
  // gate, up, down): what every loader and converter fills.
  std::array<std::pair<TensorClass, QuantizedMatrix*>, 7> Linear() {
    return {{{TensorClass::kAttnQ, &wq},
             {TensorClass::kAttnK, &wk},
             {TensorClass::kAttnV, &wv},
             {TensorClass::kAttnO, &wo},
             {TensorClass::kFfnGate, &w_gate},
             {TensorClass::kFfnUp, &w_up},
             {TensorClass::kFfnDown, &w_down}}};
  }
  std::array<std::pair<TensorClass, const QuantizedMatrix*>, 7> Linear() const {
    std::array<std::pair<TensorClass, const QuantizedMatrix*>, 7> out;
    const auto m = const_cast<LayerWeights*>(this)->Linear();
    for (size_t i = 0; i < m.size(); ++i) out[i] = {m[i].first, m[i].second};
    return out;
  }
  // Gemma 3's four extra norm vectors with their classes.
  std::array<std::pair<TensorClass, std::vector<float>*>, 4> GemmaNorms() {
    return {{{TensorClass::kAttnQNorm, &attn_q_norm},
             {TensorClass::kAttnKNorm, &attn_k_norm},
             {TensorClass::kAttnPostNorm, &attn_post_norm},
             {TensorClass::kFfnPostNorm, &ffn_post_norm}}};
  }
};

struct ModelWeights {
  ModelConfig config;
  QuantizedMatrix token_embedding;  // vocab x dim
  std::vector<LayerWeights> layers;
  std::vector<float> final_norm;   // dim
  QuantizedMatrix output;          // vocab x dim; empty when tied
  std::vector<std::string> vocab;  // token pieces; may be empty
  std::string source;              // ModelSource::Describe() of the origin
  // Every linear weight matrix, in model order: the embedding, the output
  // when untied, then per layer q, k, v, o, gate, up, down.
  std::vector<const QuantizedMatrix*> Matrices() const {
    std::vector<const QuantizedMatrix*> ms = {&token_embedding};
    if (!output.empty()) ms.push_back(&output);
    for (const LayerWeights& l : layers) {
      for (const auto& [t, m] : l.Linear()) ms.push_back(m);
    }
    return ms;
  }
  // The classifier the forward pass uses.
  const QuantizedMatrix& classifier() const {
    return config.tied_classifier ? token_embedding : output;
  }
};

}  // namespace qins::runner

#endif  // QINS_TOOLS_RUNNER_MODEL_WEIGHTS_H_
