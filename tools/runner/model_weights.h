// A Llama model converted into weight formats: what the forward pass runs
// and what qins-convert writes. Every linear weight is a QuantizedMatrix in
// its own format; norms stay f32.
#ifndef QINS_TOOLS_RUNNER_MODEL_WEIGHTS_H_
#define QINS_TOOLS_RUNNER_MODEL_WEIGHTS_H_

#include <string>
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
      for (const QuantizedMatrix* m :
           {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
        ms.push_back(m);
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
