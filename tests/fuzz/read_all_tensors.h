// Reads every tensor of an opened model source, as ConvertModel would.
#ifndef QINS_TESTS_FUZZ_READ_ALL_TENSORS_H_
#define QINS_TESTS_FUZZ_READ_ALL_TENSORS_H_

#include <vector>

#include "tools/runner/model_source.h"

namespace qins::fuzz {

inline void ReadAllTensors(const runner::ModelSource& src) {
  using runner::TensorClass;
  const runner::ModelConfig& c = src.config();
  std::vector<float> buf;
  auto read = [&](TensorClass t, int layer) {
    size_t rows = 0, cols = 0;
    runner::TensorShape(c, t, &rows, &cols);
    buf.resize(rows * cols);
    (void)src.ReadTensor(t, layer, buf.data());
  };
  read(TensorClass::kEmbedding, 0);
  read(TensorClass::kFinalNorm, 0);
  if (!c.tied_classifier) read(TensorClass::kOutput, 0);
  for (int l = 0; l < c.n_layers; ++l) {
    for (TensorClass t :
         {TensorClass::kAttnQ, TensorClass::kAttnK, TensorClass::kAttnV,
          TensorClass::kAttnO, TensorClass::kFfnGate, TensorClass::kFfnUp,
          TensorClass::kFfnDown, TensorClass::kAttnNorm,
          TensorClass::kFfnNorm}) {
      read(t, l);
    }
  }
}

}  // namespace qins::fuzz

#endif  // QINS_TESTS_FUZZ_READ_ALL_TENSORS_H_
