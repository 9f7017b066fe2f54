// libFuzzer target: arbitrary bytes as a converted-model file (the file
// qins-convert writes, docs/qins-model-file.md). Parsing must return a
// Status; whatever it accepts must decode (every matrix through the
// reference decoder, which FromParts has checked finite) and run a forward
// step.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "qins/context.h"
#include "qins/quantize.h"
#include "tools/runner/forward.h"
#include "tools/runner/qins_model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qins;
  static const Context ctx = *Context::Create({.num_threads = 1});
  StatusOr<runner::ModelWeights> w = runner::ParseModelFile(data, size, "fuzz");
  if (!w.ok()) return 0;
  std::vector<float> buf;
  auto decode = [&](const QuantizedMatrix& m) {
    if (m.empty()) return;
    buf.resize(m.rows() * m.cols());
    (void)Dequantize(ctx, m, buf.data());
  };
  for (const QuantizedMatrix* m : w->Matrices()) decode(*m);
  StatusOr<runner::Transformer> t = runner::Transformer::Create(ctx, &*w, 2);
  if (!t.ok()) return 0;
  (void)t->Forward(w->config.bos_id, 0);
  return 0;
}
