// libFuzzer target: arbitrary bytes as a GGUF file. Opening must return a
// Status (never crash, never read out of bounds, never allocate more than a
// small multiple of the input); an opened source must read every tensor.
// Built by the fuzz preset; run by tools/run-fuzzers.sh.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tools/runner/gguf_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qins::StatusOr<std::unique_ptr<qins::runner::ModelSource>> src =
      qins::runner::OpenGgufSourceFromMemory(data, size, "fuzz");
  if (!src.ok()) return 0;
  const qins::runner::ModelConfig& c = (*src)->config();
  std::vector<float> buf;
  auto read = [&](qins::runner::TensorClass t, int layer) {
    size_t rows = 0, cols = 0;
    qins::runner::TensorShape(c, t, &rows, &cols);
    buf.resize(rows * cols);
    (void)(*src)->ReadTensor(t, layer, buf.data());
  };
  read(qins::runner::TensorClass::kEmbedding, 0);
  read(qins::runner::TensorClass::kFinalNorm, 0);
  if (!c.tied_classifier) read(qins::runner::TensorClass::kOutput, 0);
  for (int l = 0; l < c.n_layers; ++l) {
    for (int t = 1; t <= 10; ++t) {
      if (t == 8) continue;  // kOutput
      read(static_cast<qins::runner::TensorClass>(t), l);
    }
  }
  return 0;
}
