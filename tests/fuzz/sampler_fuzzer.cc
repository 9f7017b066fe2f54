// libFuzzer target: the runner's sampler, logits -> token, with arbitrary
// temperature, top-p and seed. Input: [vocab u16][temperature f32]
// [top_p f32][seed u64][steps u8][logits f32...] (logits beyond the input
// are 0). Checks, beyond "no crash, no sanitizer report": every Sample
// returns an id in [0, vocab) when every logit is finite and -1 when one
// is NaN or +-Inf (issue 19: an empty nucleus indexed element -1); two
// samplers with the same parameters and seed agree.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tests/fuzz/fuzz_checks.h"
#include "tests/fuzz/fuzz_input.h"
#include "tools/runner/sampler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using qins::runner::Sampler;
  qins::fuzz::FuzzInput in(data, size);
  const int vocab = 1 + in.Take<uint16_t>() % 4096;
  const float temperature = in.Take<float>();
  const float top_p = in.Take<float>();
  const uint64_t seed = in.Take<uint64_t>();
  const int steps = 1 + in.Take<uint8_t>() % 4;
  std::vector<float> logits(vocab, 0.0f);
  const size_t n = std::min(logits.size(), in.size() / 4);
  std::memcpy(logits.data(), in.data(), n * 4);
  bool finite = true;
  for (float v : logits) finite = finite && std::isfinite(v);
  Sampler a(vocab, temperature, top_p, seed), b(vocab, temperature, top_p, seed);
  for (int s = 0; s < steps; ++s) {
    std::vector<float> x = logits, y = logits;
    const int ta = a.Sample(x.data());
    qins::fuzz::Check(ta == b.Sample(y.data()),
                      "two samplers with one seed disagree");
    if (finite) {
      qins::fuzz::Check(ta >= 0 && ta < vocab,
                        "finite logits gave a token outside [0, vocab)");
    } else {
      qins::fuzz::Check(ta == -1, "non-finite logits gave a token");
    }
  }
  return 0;
}
