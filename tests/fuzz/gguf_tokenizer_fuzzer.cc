// libFuzzer target: the tokenizer metadata of a GGUF file. The fuzzer's
// bytes become tokenizer.ggml.tokens (1 to 64 pieces of any bytes),
// tokenizer.ggml.model (llama, gpt2, absent, or any string), the BOS and
// EOS ids and a text, in an otherwise valid 1-layer llama GGUF (F32 zeros,
// dim 8) written here, so that every input reaches the vocabulary code
// instead of failing at the header. Input: [model u8][bos u8][eos u8]
// [text length u8][text][n tokens u8]([length u8][bytes])... [model name
// if model == 3]; then optional extras for the GGUF tokenizer
// (gguf_tokenizer.h): [flags u8] bit 0 tokenizer.ggml.merges ([n u8]
// strings), bit 1 scores (float32 per token; bit 4: int32 instead), bit 2
// token_type (u8 per token, as int32), bit 3 add_space_prefix (bit 5 its
// value), bit 6 add_bos_token (bit 7 its value), [pre: u8 index into a
// list]. Checks, beyond "no crash, no sanitizer report": an opened source
// has as many pieces as its vocab_size; the tokenizer built from them (as
// qins-run builds it for a file without its own) encodes the text to ids in
// [0, vocab) or returns an error, and decodes every id; the file's own
// tokenizer (FileTokenizer) encodes to ids in range with every combination
// of add_special and parse_special, and decodes every id.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_checks.h"
#include "tests/fuzz/fuzz_input.h"
#include "tools/runner/gguf_source.h"
#include "tools/runner/gguf_tokenizer.h"
#include "tools/runner/tokenizer.h"

namespace {

class Writer {
 public:
  template <typename T>
  void Put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    b_.insert(b_.end(), p, p + sizeof(T));
  }
  void Str(const std::string& s) {
    Put<uint64_t>(s.size());
    b_.insert(b_.end(), s.begin(), s.end());
  }
  void KeyU32(const std::string& k, uint32_t v) {
    Str(k);
    Put<uint32_t>(4);  // GGUF uint32
    Put(v);
  }
  void KeyStr(const std::string& k, const std::string& v) {
    Str(k);
    Put<uint32_t>(8);  // GGUF string
    Str(v);
  }
  void KeyBool(const std::string& k, bool v) {
    Str(k);
    Put<uint32_t>(7);  // GGUF bool
    Put<uint8_t>(v ? 1 : 0);
  }
  template <typename T>
  void KeyArray(const std::string& k, uint32_t type, const std::vector<T>& v) {
    Str(k);
    Put<uint32_t>(9);  // array
    Put<uint32_t>(type);
    Put<uint64_t>(v.size());
    for (T x : v) Put(x);
  }
  void KeyStrings(const std::string& k, const std::vector<std::string>& v) {
    Str(k);
    Put<uint32_t>(9);  // array
    Put<uint32_t>(8);  // of strings
    Put<uint64_t>(v.size());
    for (const std::string& s : v) Str(s);
  }
  void Pad(size_t a) {
    while (b_.size() % a != 0) b_.push_back(0);
  }
  std::vector<uint8_t>& bytes() { return b_; }

 private:
  std::vector<uint8_t> b_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qins;
  fuzz::FuzzInput in(data, size);
  const uint8_t model_kind = in.Take<uint8_t>() % 4;
  const uint8_t bos = in.Take<uint8_t>(), eos = in.Take<uint8_t>();
  auto take_string = [&]() {
    const size_t len = std::min<size_t>(in.Take<uint8_t>(), in.size());
    std::string s(reinterpret_cast<const char*>(in.data()), len);
    in = fuzz::FuzzInput(in.data() + len, in.size() - len);
    return s;
  };
  const std::string text = take_string();
  const int n_tokens = 1 + in.Take<uint8_t>() % 64;
  std::vector<std::string> tokens;
  for (int i = 0; i < n_tokens; ++i) tokens.push_back(take_string());
  const std::string model_name = model_kind == 0   ? "llama"
                                 : model_kind == 1 ? "gpt2"
                                 : model_kind == 3 ? take_string()
                                                   : "";
  // Extras (absent in older seeds: flags 0).
  const uint8_t flags = in.Take<uint8_t>();
  std::vector<std::string> merges;
  if (flags & 1) {
    const int n = in.Take<uint8_t>();
    for (int i = 0; i < n; ++i) merges.push_back(take_string());
  }
  std::vector<float> fscores;
  std::vector<int32_t> iscores, types;
  if (flags & 2) {
    for (int i = 0; i < n_tokens; ++i) {
      if (flags & 16)
        iscores.push_back(in.Take<int32_t>());
      else
        fscores.push_back(in.Take<float>());
    }
  }
  if (flags & 4) {
    for (int i = 0; i < n_tokens; ++i) types.push_back(in.Take<uint8_t>() % 8);
  }
  static const char* const kPres[] = {"smollm", "gpt-2", "default", "qwen2",
                                      ""};
  const std::string pre = kPres[in.Take<uint8_t>() % 5];

  constexpr uint32_t dim = 8, hidden = 8;
  const uint32_t vocab = static_cast<uint32_t>(n_tokens);
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;  // ne[0] first
  };
  const std::vector<Tensor> tensors = {{"token_embd.weight", {dim, vocab}},
                                       {"blk.0.attn_norm.weight", {dim}},
                                       {"blk.0.attn_q.weight", {dim, dim}},
                                       {"blk.0.attn_k.weight", {dim, dim}},
                                       {"blk.0.attn_v.weight", {dim, dim}},
                                       {"blk.0.attn_output.weight", {dim, dim}},
                                       {"blk.0.ffn_norm.weight", {dim}},
                                       {"blk.0.ffn_gate.weight", {dim, hidden}},
                                       {"blk.0.ffn_up.weight", {dim, hidden}},
                                       {"blk.0.ffn_down.weight", {hidden, dim}},
                                       {"output_norm.weight", {dim}}};
  Writer w;
  w.Put<uint32_t>(0x46554747);  // "GGUF"
  w.Put<uint32_t>(3);
  w.Put<uint64_t>(tensors.size());
  const uint64_t n_kv = 11 + (model_kind == 2 ? 0 : 1) + ((flags & 1) != 0) +
                        ((flags & 2) != 0) + ((flags & 4) != 0) +
                        ((flags & 8) != 0) + ((flags & 64) != 0) + !pre.empty();
  w.Put<uint64_t>(n_kv);
  w.KeyStr("general.architecture", "llama");
  w.KeyU32("general.alignment", 32);
  w.KeyU32("llama.embedding_length", dim);
  w.KeyU32("llama.feed_forward_length", hidden);
  w.KeyU32("llama.block_count", 1);
  w.KeyU32("llama.attention.head_count", 2);
  w.KeyU32("llama.attention.head_count_kv", 2);
  w.KeyU32("llama.context_length", 16);
  w.KeyStrings("tokenizer.ggml.tokens", tokens);
  w.KeyU32("tokenizer.ggml.bos_token_id", bos);
  w.KeyU32("tokenizer.ggml.eos_token_id", eos);
  if (model_kind != 2) w.KeyStr("tokenizer.ggml.model", model_name);
  if (flags & 1) w.KeyStrings("tokenizer.ggml.merges", merges);
  if (flags & 2) {
    if (flags & 16)
      w.KeyArray<int32_t>("tokenizer.ggml.scores", 5, iscores);
    else
      w.KeyArray<float>("tokenizer.ggml.scores", 6, fscores);
  }
  if (flags & 4) w.KeyArray<int32_t>("tokenizer.ggml.token_type", 5, types);
  if (flags & 8) w.KeyBool("tokenizer.ggml.add_space_prefix", flags & 32);
  if (flags & 64) w.KeyBool("tokenizer.ggml.add_bos_token", flags & 128);
  if (!pre.empty()) w.KeyStr("tokenizer.ggml.pre", pre);
  uint64_t offset = 0;
  for (const Tensor& t : tensors) {
    w.Str(t.name);
    w.Put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    uint64_t n = 1;
    for (uint64_t d : t.dims) {
      w.Put<uint64_t>(d);
      n *= d;
    }
    w.Put<uint32_t>(0);  // F32
    w.Put<uint64_t>(offset);
    offset += (4 * n + 31) / 32 * 32;
  }
  w.Pad(32);
  w.bytes().resize(w.bytes().size() + offset, 0);  // zero weights

  const std::vector<uint8_t>& file = w.bytes();
  StatusOr<std::unique_ptr<runner::ModelSource>> src =
      runner::OpenGgufSourceFromMemory(file.data(), file.size(), "fuzz");
  if (!src.ok()) return 0;
  const std::vector<std::string> pieces = (*src)->Vocab();
  fuzz::Check(pieces.size() == static_cast<size_t>((*src)->config().vocab_size),
              "vocabulary size differs from the config's");
  const runner::Tokenizer tok = runner::Tokenizer::FromPieces(pieces);
  for (bool prefix : {true, false}) {
    StatusOr<std::vector<int>> ids = tok.Encode(text, true, true, prefix);
    if (!ids.ok()) continue;
    int prev = 1;
    for (int id : *ids) {
      fuzz::Check(id >= 0 && id < static_cast<int>(pieces.size()),
                  "Encode produced an id outside the vocabulary");
      (void)tok.Decode(prev, id);
      prev = id;
    }
  }
  for (int id = -1; id <= static_cast<int>(pieces.size()); ++id)
    (void)tok.Decode(1, id);
  if (const runner::GgufTokenizer* g = (*src)->FileTokenizer()) {
    fuzz::Check(g->vocab_size() == (*src)->config().vocab_size,
                "the file tokenizer's vocabulary differs from the config's");
    for (int mode = 0; mode < 4; ++mode) {
      StatusOr<std::vector<int>> ids = g->Encode(text, mode & 1, mode & 2);
      if (!ids.ok()) continue;
      for (int id : *ids) {
        fuzz::Check(id >= 0 && id < g->vocab_size(),
                    "GgufTokenizer::Encode produced an id outside the "
                    "vocabulary");
      }
      (void)g->Decode(*ids, mode & 1, mode & 2);
    }
    for (int id = -1; id <= g->vocab_size(); ++id)
      (void)g->TokenToPiece(id, true);
  }
  return 0;
}
