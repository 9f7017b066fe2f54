// libFuzzer target: arbitrary bytes as a GGUF file. Opening must return a
// Status (never crash, never read out of bounds, never allocate more than a
// small multiple of the input); an opened source must read every tensor,
// and its stored weights (views of the input, used in place) must decode
// and multiply within the input's bytes.
// Built by the fuzz preset; run by tools/run-fuzzers.sh.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "qins/context.h"
#include "qins/gemv.h"
#include "qins/quantize.h"
#include "tools/runner/gguf_source.h"
#include "tools/runner/model_weights.h"

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
  // The stored weights: every matrix checked, decoded and multiplied
  // (ASan sees any read past the input, which is a heap buffer).
  const qins::runner::ModelWeights* w = (*src)->Stored();
  if (w == nullptr) return 0;
  static const qins::Context ctx = [] {
    qins::ContextOptions o;
    o.num_threads = 1;
    return *qins::Context::Create(o);
  }();
  for (const qins::QuantizedMatrix* m : w->Matrices()) {
    if (!qins::CheckFinite(ctx, *m).ok()) continue;
    std::vector<float> x(m->cols(), 1.0f), y(m->rows());
    (void)qins::Gemv(ctx, *m, x.data(), y.data());
  }
  return 0;
}
