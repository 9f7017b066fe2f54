// libFuzzer target: arbitrary bytes as a llama2.c checkpoint (version 0 or
// 1). Opening must return a Status (never crash, never read out of bounds,
// never allocate far beyond the input); an opened source must read every
// tensor, and a model that opens must run one forward step.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "qins/context.h"
#include "tests/fuzz/memfd_path.h"
#include "tests/fuzz/read_all_tensors.h"
#include "tools/runner/convert.h"
#include "tools/runner/format_policy.h"
#include "tools/runner/forward.h"
#include "tools/runner/llama2c_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qins;
  static const Context ctx = *Context::Create({.num_threads = 1});
  fuzz::MemfdPath file(data, size);
  StatusOr<std::unique_ptr<runner::ModelSource>> src =
      runner::OpenLlama2cSource(file.path());
  if (!src.ok()) return 0;
  fuzz::ReadAllTensors(**src);
  StatusOr<runner::ModelWeights> w = runner::ConvertModel(
      ctx, **src, *runner::ParseFormatPolicy("q8_0", "", ""), {false});
  if (!w.ok()) return 0;
  StatusOr<runner::Transformer> t = runner::Transformer::Create(ctx, &*w, 2);
  if (!t.ok()) return 0;
  (void)t->Forward(w->config.bos_id, 0);
  return 0;
}
