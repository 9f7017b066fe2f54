// libFuzzer target: arbitrary bytes as a llama2.c tokenizer.bin. Input:
// [vocab size u16][text length u8][text][tokenizer file]. Loading must
// return a Status; a loaded tokenizer must encode the text (or say which
// piece is missing) and decode every id it produced, and every id.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/memfd_path.h"
#include "tools/runner/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qins;
  fuzz::FuzzInput in(data, size);
  const int vocab = 1 + in.Take<uint16_t>() % 600;
  const size_t text_len = std::min<size_t>(in.Take<uint8_t>(), in.size());
  const std::string text(reinterpret_cast<const char*>(in.data()), text_len);
  fuzz::FuzzInput rest(in.data() + text_len, in.size() - text_len);
  fuzz::MemfdPath file(rest.data(), rest.size());
  StatusOr<runner::Tokenizer> tok = runner::Tokenizer::Load(file.path(), vocab);
  if (!tok.ok()) return 0;
  StatusOr<std::vector<int>> ids = tok->Encode(text, true, true);
  if (ids.ok()) {
    int prev = 1;
    for (int id : *ids) {
      (void)tok->Decode(prev, id);
      prev = id;
    }
  }
  for (int id = -1; id <= vocab; ++id) (void)tok->Decode(1, id);
  return 0;
}
