// qins-run: a thin Llama-architecture runner on libqinskernels.
//   qins-run generate|eval|bench --model FILE [options]   (--help for all)
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "qins/context.h"
#include "qins/format.h"
#include "qins/gemv.h"
#include "qins/targets.h"
#include "tools/runner/bench.h"
#include "tools/runner/convert.h"
#include "tools/runner/eval.h"
#include "tools/runner/forward.h"
#include "tools/runner/forward_profiler.h"
#include "tools/runner/generate.h"
#include "tools/runner/gguf_tokenizer.h"
#include "tools/runner/mapped_file.h"
#include "tools/runner/open_model.h"
#include "tools/runner/sampler.h"
#include "tools/runner/synthetic_source.h"
#include "tools/runner/tokenizer.h"

namespace qins::runner {
namespace {

constexpr char kUsage[] =
    R"(qins-run: run a Llama-architecture model with its weights in any
libqinskernels format, and measure its speed and quality.

usage: qins-run MODE --model FILE [options]
       qins-run MODE --synthetic NAME [options]

modes:
  generate   text (or token ids) from a prompt
  eval       perplexity, KL divergence, top-1 agreement and greedy match of
             several formats against FP32 on the same model
  bench      prefill/decode speed, time to first token, memory, effective
             bandwidth and time shares per format

common options:
  --model FILE        llama2.c checkpoint, GGUF v2/v3 (llama), or a
                      converted-model file from qins-convert (each sniffed
                      by its magic; a GGUF or a converted file runs in its
                      own formats, the GGUF's tensors used in place from the
                      mapped file, unless --format/--formats asks for others)
  --synthetic NAME    real-size model with deterministic random weights:
                      phi-3.5-mini, llama-2-7b, tinyllama-1.1b, stories15m,
                      stories260k-shape (refused if it does not fit in RAM)
  --tokenizer FILE    llama2.c tokenizer.bin (for text prompts and output;
                      a GGUF file's own tokenizer is used without it)
  --threads N         worker threads (default: QINS_THREADS or all)
  --target NAME       SIMD target (default: QINS_TARGET or the best)
  --profile           generate and bench: per-region breakdown of the
                      forward pass (GEMV/GEMM per tensor class and format,
                      attention, norms, RoPE, SwiGLU, residuals, embedding,
                      sampling): time, share, modelled bytes moved, GB/s,
                      GFLOP/s, and perf counters where the kernel allows them
                      (unavailable ones are listed with the reason)
  --gemv-strategy NAME   GEMV strategy (auto, decode, direct, bitbuild,
                      gather, regtable, arith, dot; docs/gemv.md) of every
                      one-token weight product whose format has it; the
                      other formats keep auto, and prefill's GEMMs are not
                      affected (default auto: on x86 dot for q4_0,
                      iq4_nl, q4_1, q5_0, q5_1, qins4, q4_k, q5_k, q6_k, whose
                      quality effect qualified, f32 activations for the
                      others; prefill keeps f32 activations). eval and bench: applies to
                      each policy of --formats without its own @NAME, and
                      only where the policy has it (the row is then named
                      FORMAT@NAME); an error if no listed format has it
  --repack            give every GEMV-read matrix in q4_0, q4_1, q5_0,
                      q5_1, iq4_nl, q2_k .. q6_k, iq4_xs or qins4 an
                      interleaved copy (qins::Repack, docs/gemv.md): `dot`
                      reads it on AVX-512 VNNI, same results, faster;
                      those matrices' memory once more (said on stderr)
  --no-counters       with --profile: time, bytes and FLOPs only
  --profile-json FILE with --profile: also write the breakdown as JSON
  -h, --help          this text

generate:
  --prompt TEXT       with --tokenizer: encoded as llama2.c's run.c does;
                      with a GGUF's tokenizer: as llama.cpp does (the
                      model's BOS, special tokens like <|im_start|> parsed)
  --prompt-ids LIST   comma-separated token ids (default: BOS alone)
  -n N                tokens to generate after the prompt (default 256)
  --temp T            temperature; 0 = greedy (default 1.0, as run.c)
  --top-p P           nucleus sampling cut-off in (0,1) (default 0.9)
  --seed S            sampler seed (default 42)
  --format NAME       weight format of every linear weight (default: the
                      file's own for a GGUF or converted file, else f32;
                      "stored": those own formats)
  --format-map MAP    per-class overrides: class=format,... with classes
                      embedding, attn_q, attn_k, attn_v, attn_o, ffn_gate,
                      ffn_up, ffn_down, output
  --policy seed-adaptive   the design documents' adaptive FPINS depths
  --dump-logits FILE  raw float32 logits of every position (positions x vocab)
  Generation stops when the model produces BOS (run.c's rule) or, for a
  GGUF with a tokenizer, its EOS or an end-of-turn token (<|im_end|>,
  <end_of_turn>, ...), after -n tokens, or at the end of the context.

eval:
  --formats LIST      formats to compare with FP32, comma-separated format
                      names, "seed-adaptive" or "all" (default f32,qins8);
                      a name may end in @STRATEGY, the GEMV strategy of
                      that policy alone ("q8_0,q8_0@dot": q8_0 with and
                      without the dot strategy; an error if the policy's
                      formats lack it). Policies with a non-auto strategy
                      run token by token (GEMV), marked (t) in the table
  --format-map MAP    per-class overrides (as for generate) applied to
                      every format of --formats (an error with stored or
                      seed-adaptive): "--formats f32,f32@dot --format-map
                      ffn_down=q6_k" measures dot on the q6_k matrices alone
  --token-by-token    run every policy's windows token by token (one GEMV
                      per weight per token) instead of as one prefill (GEMM);
                      the f32 reference always runs as a prefill
  --policy seed-adaptive   adds the adaptive policy to the list
  --text FILE | --ids FILE   scored text (tokenized without run.c's dummy
                      prefix; a GGUF's tokenizer: llama.cpp's encoding
                      without BOS/EOS or special tokens) or
                      whitespace/comma-separated token ids
  --max-tokens N      score only the first N tokens (default: all)
  --ctx N             window length including its BOS (default
                      min(256, seq_len))
  --scoring windows|llama-perplexity   windows (default): windows of ctx - 1
                      text tokens after a BOS, every token scored;
                      llama-perplexity: llama.cpp's llama-perplexity
                      protocol, for comparing with it at the same --ctx
                      (the text tokenized with BOS if the model adds one,
                      cut into chunks of ctx tokens whose first becomes
                      BOS, the second half of each scored; needs 2 * ctx
                      tokens)
  --chunks N          llama-perplexity scoring: at most N chunks (as
                      llama-perplexity --chunks; default all)
  --prompt TEXT | --prompt-ids LIST   greedy-match prompt (default: BOS +
                      the first 16 scored tokens)
  -n N                greedy-match length (default 64)
  --json FILE, --markdown FILE   also write the results there

bench:
  --formats LIST      as for eval, plus "stored" (default: stored for a
                      GGUF or converted file, else f32); @STRATEGY sets the
                      decode steps' GEMV strategy ("stored@dot")
  --policy seed-adaptive   adds the adaptive policy
  --prompt-len P      prefill tokens (default 16)
  -n N                decode tokens (default 128)
  --reps R            timed repetitions (default 5)
  --json FILE, --markdown FILE   also write the results there
)";

struct Args {
  std::string mode;
  std::string model, synthetic, tokenizer, target;
  int threads = 0;
  std::string prompt, prompt_ids;
  bool have_prompt = false, have_prompt_ids = false;
  int n = -1;
  float temp = 1.0f, top_p = 0.9f;
  unsigned long long seed = 42;
  std::string format, format_map, policy, formats, gemv_strategy;
  bool repack = false;
  bool token_by_token = false;
  std::string dump_logits, text, ids, json, markdown, scoring;
  long long max_tokens = -1;
  int chunks = -1;
  int ctx = 0, prompt_len = 16, reps = 5;
  bool profile = false, counters = true;
  std::string profile_json;
};

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "qins-run: %s\n", msg.c_str());
  std::exit(1);
}

// stdout, flushed and checked: generated text and reports to a full pipe or
// disk exit non-zero instead of 0.
void FlushStdoutOrDie() {
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    Die(std::string("cannot write to stdout: ") + std::strerror(errno));
}

long long ParseInt(const std::string& flag, const std::string& v, long long lo,
                   long long hi) {
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0 || x < lo || x > hi) {
    Die(flag + " expects an integer in [" + std::to_string(lo) + ", " +
        std::to_string(hi) + "], got '" + v + "'");
  }
  return x;
}

float ParseFloat(const std::string& flag, const std::string& v, float lo,
                 float hi) {
  char* end = nullptr;
  const float x = std::strtof(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(x >= lo && x <= hi)) {
    Die(flag + " expects a number in [" + std::to_string(lo) + ", " +
        std::to_string(hi) + "], got '" + v + "'");
  }
  return x;
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  if (argc < 2) Die("missing MODE (generate, eval or bench); see --help");
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
      std::fputs(kUsage, stdout);
      FlushStdoutOrDie();
      std::exit(0);
    }
  }
  a.mode = argv[1];
  if (a.mode != "generate" && a.mode != "eval" && a.mode != "bench")
    Die("unknown mode '" + a.mode + "' (generate, eval or bench)");
  for (int i = 2; i < argc; ++i) {
    const std::string f = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(f + " needs a value");
      // An empty name, file or list is a mistake (--format "" ran the
      // default format); only a prompt may be empty.
      if (argv[i + 1][0] == '\0' && f != "--prompt")
        Die(f + " needs a non-empty value");
      return argv[++i];
    };
    if (f == "--model")
      a.model = value();
    else if (f == "--synthetic")
      a.synthetic = value();
    else if (f == "--tokenizer")
      a.tokenizer = value();
    else if (f == "--target")
      a.target = value();
    else if (f == "--threads")
      a.threads = ParseInt(f, value(), 1, 1024);
    else if (f == "--prompt")
      a.prompt = value(), a.have_prompt = true;
    else if (f == "--prompt-ids")
      a.prompt_ids = value(), a.have_prompt_ids = true;
    else if (f == "-n")
      a.n = ParseInt(f, value(), 0, 1 << 24);
    else if (f == "--temp")
      a.temp = ParseFloat(f, value(), 0.0f, 100.0f);
    else if (f == "--top-p")
      a.top_p = ParseFloat(f, value(), 0.0f, 1.0f);
    else if (f == "--seed")
      a.seed = ParseInt(f, value(), 0, INT64_MAX);
    else if (f == "--format")
      a.format = value();
    else if (f == "--format-map")
      a.format_map = value();
    else if (f == "--policy")
      a.policy = value();
    else if (f == "--formats")
      a.formats = value();
    else if (f == "--gemv-strategy")
      a.gemv_strategy = value();
    else if (f == "--token-by-token")
      a.token_by_token = true;
    else if (f == "--dump-logits")
      a.dump_logits = value();
    else if (f == "--text")
      a.text = value();
    else if (f == "--ids")
      a.ids = value();
    else if (f == "--json")
      a.json = value();
    else if (f == "--markdown")
      a.markdown = value();
    else if (f == "--max-tokens")
      a.max_tokens = ParseInt(f, value(), 1, INT64_MAX);
    else if (f == "--ctx")
      a.ctx = ParseInt(f, value(), 2, 1 << 24);
    else if (f == "--scoring")
      a.scoring = value();
    else if (f == "--chunks")
      a.chunks = ParseInt(f, value(), 1, 1 << 30);
    else if (f == "--prompt-len")
      a.prompt_len = ParseInt(f, value(), 1, 1 << 24);
    else if (f == "--profile")
      a.profile = true;
    else if (f == "--repack")
      a.repack = true;
    else if (f == "--no-counters")
      a.counters = false;
    else if (f == "--profile-json")
      a.profile_json = value();
    else if (f == "--reps")
      a.reps = ParseInt(f, value(), 1, 1 << 20);
    else
      Die("unknown option '" + f + "'; see --help");
  }
  if (a.model.empty() == a.synthetic.empty())
    Die("give exactly one of --model FILE and --synthetic NAME");
  if (a.have_prompt && a.have_prompt_ids)
    Die("give --prompt or --prompt-ids, not both");
  if (!a.profile && (!a.counters || !a.profile_json.empty()))
    Die("--no-counters and --profile-json go with --profile");
  if (a.profile && a.mode == "eval")
    Die("--profile works with generate and bench, not eval");
  if (!a.scoring.empty() && a.scoring != "windows" &&
      a.scoring != "llama-perplexity")
    Die("--scoring expects windows or llama-perplexity, got '" + a.scoring +
        "'");
  if (a.token_by_token && a.mode != "eval")
    Die("--token-by-token goes with eval");
  if (!a.gemv_strategy.empty()) {
    const auto s = ParseGemvStrategy(a.gemv_strategy);
    if (!s.ok()) Die("--gemv-strategy: " + s.status().message());
  }
  if ((!a.scoring.empty() || a.chunks > 0) && a.mode != "eval")
    Die("--scoring and --chunks go with eval");
  if (a.chunks > 0 && a.scoring != "llama-perplexity")
    Die("--chunks goes with --scoring llama-perplexity");
  return a;
}

std::vector<int> ParseIdList(const std::string& flag, const std::string& s) {
  std::vector<int> ids;
  std::string tok;
  std::istringstream in(s);
  while (std::getline(in, tok, ',')) {
    std::istringstream ws(tok);
    std::string w;
    while (ws >> w) ids.push_back(ParseInt(flag, w, 0, INT32_MAX));
  }
  return ids;
}

std::string ReadFileOrDie(const std::string& path) {
  // Regular files only: a FIFO or a directory is refused, never waited on.
  StatusOr<std::string> data = ReadRegularFile(path);
  if (!data.ok()) Die(data.status().message());
  return std::move(*data);
}

template <class T>
T OrDie(StatusOr<T> v) {
  if (!v.ok()) Die(v.status().ToString());
  return std::move(*v);
}

void OrDie(const Status& st) {
  if (!st.ok()) Die(st.ToString());
}

// Writes `data` to `path`; any failure, including one the buffer only
// meets when it is flushed at close (a full disk, /dev/full), is fatal.
void WriteOrDie(const std::string& path, const char* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) Die("cannot write '" + path + "': " + std::strerror(errno));
  const bool wrote = std::fwrite(data, 1, size, f) == size;
  const int write_errno = errno;
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) {
    Die("cannot write '" + path +
        "': " + std::strerror(wrote ? errno : write_errno));
  }
}
void WriteOrDie(const std::string& path, const std::string& data) {
  WriteOrDie(path, data.data(), data.size());
}

// The text side of a run: llama2.c's tokenizer.bin (run.c's rules, also
// for a converted file's pieces) or the tokenizer a GGUF file carries
// (llama.cpp's rules).
class TextCodec {
 public:
  TextCodec() = default;
  explicit TextCodec(std::unique_ptr<Tokenizer> t) : run_c_(std::move(t)) {}
  explicit TextCodec(const GgufTokenizer* t) : gguf_(t) {}
  bool empty() const { return run_c_ == nullptr && gguf_ == nullptr; }

  // A prompt: BOS first (run.c always; a GGUF as its add_bos_token says),
  // and for a GGUF special tokens written in the text become their ids.
  StatusOr<std::vector<int>> Prompt(const std::string& text) const {
    if (gguf_ != nullptr) return gguf_->Encode(text, true, true);
    return run_c_->Encode(text, true, false);
  }
  // A text as llama-perplexity tokenizes it: BOS first when the model adds
  // one, special tokens not parsed (run.c: BOS, no dummy prefix).
  StatusOr<std::vector<int>> Document(const std::string& text) const {
    if (gguf_ != nullptr) return gguf_->Encode(text, true, false);
    return run_c_->Encode(text, true, false, /*dummy_prefix=*/false);
  }
  // Whether a document starts with BOS (a GGUF's add_bos_token; run.c
  // always).
  bool AddsBos() const { return gguf_ != nullptr ? gguf_->add_bos() : true; }
  // A scored text, without BOS/EOS (run.c: without the dummy prefix).
  StatusOr<std::vector<int>> Text(const std::string& text) const {
    if (gguf_ != nullptr) return gguf_->Encode(text, false, false);
    return run_c_->Encode(text, false, false, /*dummy_prefix=*/false);
  }
  // The bytes to print for `token` after `prev` (-1 at the start): run.c's
  // decode; for a GGUF, llama.cpp's piece without control tokens, with the
  // space prefix dropped after BOS as run.c does.
  // Tokens that end a generation besides BOS (run.c's rule): for a GGUF
  // its EOS and the end-of-turn tokens of the common chat formats that the
  // vocabulary has (llama.cpp stops at its end-of-generation tokens).
  std::vector<int> StopIds() const {
    std::vector<int> ids;
    if (gguf_ == nullptr) return ids;
    if (gguf_->eos_id() >= 0) ids.push_back(gguf_->eos_id());
    for (const char* t :
         {"<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|endoftext|>"}) {
      const int id = gguf_->vocab().Find(t);
      if (id >= 0) ids.push_back(id);
    }
    return ids;
  }
  std::string Piece(int prev, int token) const {
    if (gguf_ == nullptr) return run_c_->Decode(prev, token);
    std::string p = gguf_->TokenToPiece(token, false);
    if (prev >= 0 && prev == gguf_->bos_id() && gguf_->add_space_prefix() &&
        !p.empty() && p[0] == ' ')
      p.erase(0, 1);
    return p;
  }

 private:
  std::unique_ptr<Tokenizer> run_c_;
  const GgufTokenizer* gguf_ = nullptr;
};

// The prompt of generate/eval: text through the tokenizer, ids as given.
std::vector<int> PromptTokens(const Args& a, const TextCodec& tok,
                              const ModelConfig& c) {
  if (a.have_prompt) {
    if (tok.empty()) {
      Die("--prompt TEXT needs --tokenizer FILE (the model file has no "
          "tokenizer)");
    }
    return OrDie(tok.Prompt(a.prompt));
  }
  if (a.have_prompt_ids) {
    std::vector<int> ids = ParseIdList("--prompt-ids", a.prompt_ids);
    if (ids.empty()) Die("--prompt-ids: no ids");
    for (int id : ids) {
      if (id >= c.vocab_size) {
        Die("--prompt-ids: token id " + std::to_string(id) +
            " outside the vocabulary [0, " + std::to_string(c.vocab_size) +
            ")");
      }
    }
    return ids;
  }
  return {};
}

// Refuses a model whose converted weights (in the heaviest format any of
// the policies uses) would not fit in 90% of MemAvailable; eval also holds
// the FP32 reference. Converted files are already in memory.
void CheckFits(const ModelSource& src, const std::vector<FormatPolicy>& ps,
               bool with_f32) {
  // Stored weights are already in memory (a converted file) or mapped
  // (GGUF, paged in from the file).
  if (std::all_of(ps.begin(), ps.end(),
                  [](const FormatPolicy& p) { return p.stored; }))
    return;
  double bpw = with_f32 ? 4.0 : 0.0;
  for (const FormatPolicy& p : ps) {
    for (TensorClass t : kLinearClasses)
      bpw = std::max(bpw, GetFormatInfo(p.For(t)).bytes_per_weight);
  }
  StatusOr<uint64_t> avail = ReadMemAvailable();
  if (!avail.ok()) return;  // not Linux: no check
  const Status st =
      CheckFitsInMemory(src.config(), bpw, *avail, src.Describe());
  if (!st.ok()) Die(st.message());
}

// --formats LIST (+ --policy seed-adaptive) as policies.
std::vector<FormatPolicy> PolicyList(const Args& a, const char* fallback) {
  std::vector<FormatPolicy> out;
  std::string list =
      a.formats.empty() && a.policy.empty() ? fallback : a.formats;
  if (list == "all") {
    list.clear();
    for (Format f : AllFormats()) {
      if (!list.empty()) list += ',';
      list += FormatName(f);
    }
    list += ",seed-adaptive";
  }
  std::istringstream in(list);
  std::string name;
  std::vector<bool> own_strategy;  // the entry had its own @NAME
  while (std::getline(in, name, ',')) {
    if (name.empty()) continue;
    out.push_back(OrDie(ParsePolicyListItem(name, a.format_map)));
    own_strategy.push_back(name.find('@') != std::string::npos);
  }
  if (!a.policy.empty()) {
    out.push_back(OrDie(ParseFormatPolicy("", "", a.policy)));
    own_strategy.push_back(false);
  }
  if (!a.format.empty())
    Die("eval and bench take --formats LIST (and --policy), not --format");
  if (out.empty()) Die("--formats: no formats");
  // --gemv-strategy: every policy without its own @NAME that has it.
  if (!a.gemv_strategy.empty() && a.gemv_strategy != "auto") {
    const GemvStrategy s = OrDie(ParseGemvStrategy(a.gemv_strategy));
    bool any = false;
    for (size_t i = 0; i < out.size(); ++i) {
      if (own_strategy[i] || !PolicyHasGemvStrategy(out[i], s)) continue;
      OrDie(SetGemvStrategy(&out[i], s));
      any = true;
    }
    if (!any) {
      Die("--gemv-strategy " + a.gemv_strategy +
          ": no format of the --formats list (without its own @NAME) has "
          "it; see GemvStrategies in docs/gemv.md");
    }
  }
  return out;
}

int Generate(const Args& a, const Context& ctx, const ModelSource& src,
             const TextCodec& tok, ForwardProfiler* prof) {
  const ModelConfig& c = src.config();
  const bool stored = src.Stored() != nullptr && a.format.empty() &&
                      a.format_map.empty() && a.policy.empty();
  FormatPolicy policy = OrDie(
      ParseFormatPolicy(stored ? "stored" : a.format, a.format_map, a.policy));
  if (!a.gemv_strategy.empty())
    OrDie(SetGemvStrategy(&policy, OrDie(ParseGemvStrategy(a.gemv_strategy))));
  CheckFits(src, {policy}, false);
  ConvertOptions co;
  co.repack = a.repack;
  ModelWeights w = OrDie(ConvertModel(ctx, src, policy, co));
  std::vector<int> prompt = PromptTokens(a, tok, c);
  if (prompt.empty()) prompt = {c.bos_id};
  Sampler sampler(c.vocab_size, a.temp, a.top_p, a.seed);
  GenerateOptions g;
  g.max_new_tokens = a.n < 0 ? 256 : a.n;
  g.stop_ids = tok.StopIds();
  // The KV cache holds only the positions this run can reach (a 4096-token
  // context of a 7B model would otherwise take 4 GiB).
  const long long positions =
      std::min<long long>(c.seq_len, prompt.size() + g.max_new_tokens);
  Transformer t =
      OrDie(Transformer::Create(ctx, &w, static_cast<int>(positions)));
  t.set_gemv_strategy(policy.gemv_strategy);
  if (!t.UsesGemvStrategy()) {
    Die("--gemv-strategy " + a.gemv_strategy + ": no weight matrix of " +
        src.Describe() + " has it");
  }
  std::vector<float> logits;
  if (!a.dump_logits.empty()) g.logits_out = &logits;
  // Like run.c: the prompt's pieces (after BOS) are printed, then each
  // generated piece as it comes; without a tokenizer, ids.
  auto print = [&](int prev, int id) {
    if (!tok.empty()) {
      const std::string piece = tok.Piece(prev, id);
      // run.c's safe_printf: skip single unprintable bytes.
      if (piece.size() == 1 &&
          !std::isprint(static_cast<unsigned char>(piece[0])) &&
          !std::isspace(static_cast<unsigned char>(piece[0])))
        return;
      std::fwrite(piece.data(), 1, piece.size(), stdout);
    } else {
      std::printf("%d ", id);
    }
    FlushStdoutOrDie();
  };
  // A prompt without BOS (a GGUF whose tokenizer adds none) is printed
  // from its first token.
  for (size_t i = prompt[0] == c.bos_id ? 1 : 0; i < prompt.size(); ++i)
    print(i > 0 ? prompt[i - 1] : -1, prompt[i]);
  g.on_token = print;
  if (prof != nullptr) {
    prof->Reset();
    t.set_profiler(prof);
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int> out = OrDie(Generate(t, prompt, sampler, g));
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::printf("\n");
  FlushStdoutOrDie();
  // Written before the summary line, so that a failure is the first line
  // on stderr.
  if (!a.dump_logits.empty()) {
    WriteOrDie(a.dump_logits, reinterpret_cast<const char*>(logits.data()),
               logits.size() * sizeof(float));
  }
  std::fprintf(stderr,
               "%zu prompt + %zu generated tokens in %.3f s (%.1f tokens/s), "
               "format %s\n",
               prompt.size(), out.size(), s,
               (prompt.size() - 1 + out.size()) / s, policy.name.c_str());
  if (!a.dump_logits.empty()) {
    std::fprintf(stderr, "logits: %zu positions x %d floats in %s\n",
                 logits.size() / c.vocab_size, c.vocab_size,
                 a.dump_logits.c_str());
  }
  if (prof != nullptr) {
    const std::string md =
        prof->Markdown("profile: generate, format " + policy.name + ", " +
                       std::to_string(prompt.size()) + " prompt + " +
                       std::to_string(out.size()) + " generated tokens, " +
                       std::to_string(ctx.num_threads()) + " threads, target " +
                       TargetName(ctx.target()));
    std::fputs(md.c_str(), stderr);
    if (!a.profile_json.empty()) WriteOrDie(a.profile_json, prof->Json());
  }
  return 0;
}

int Eval(const Args& a, const Context& ctx, const ModelSource& src,
         const TextCodec& tok) {
  const ModelConfig& c = src.config();
  EvalOptions opt;
  opt.policies = PolicyList(a, "f32,qins8");
  CheckFits(src, opt.policies, true);
  if (a.text.empty() == a.ids.empty())
    Die("eval needs exactly one of --text FILE and --ids FILE");
  if (a.scoring == "llama-perplexity") {
    opt.scoring = EvalScoring::kLlamaPerplexity;
    opt.chunks = a.chunks;
    opt.add_bos = tok.empty() ? true : tok.AddsBos();
  }
  if (!a.text.empty()) {
    if (tok.empty()) Die("--text needs --tokenizer FILE (or use --ids)");
    const std::string text = ReadFileOrDie(a.text);
    opt.tokens =
        OrDie(opt.scoring == EvalScoring::kLlamaPerplexity ? tok.Document(text)
                                                           : tok.Text(text));
  } else {
    opt.tokens = ParseIdList("--ids", ReadFileOrDie(a.ids));
  }
  if (a.max_tokens > 0 && opt.tokens.size() > size_t(a.max_tokens))
    opt.tokens.resize(a.max_tokens);
  opt.ctx = a.ctx > 0 ? a.ctx : std::min(256, c.seq_len);
  opt.prompt = PromptTokens(a, tok, c);
  opt.greedy_tokens = a.n < 0 ? 64 : a.n;
  opt.token_by_token = a.token_by_token;
  opt.repack = a.repack;
  EvalResult r = OrDie(RunEval(ctx, src, opt));
  const std::string md = EvalMarkdown(r);
  std::fputs(md.c_str(), stdout);
  if (!a.markdown.empty()) WriteOrDie(a.markdown, md);
  if (!a.json.empty()) WriteOrDie(a.json, EvalJson(r));
  return 0;
}

int Bench(const Args& a, const Context& ctx, const ModelSource& src,
          ForwardProfiler* prof) {
  BenchOptions opt;
  opt.policies = PolicyList(a, src.Stored() != nullptr ? "stored" : "f32");
  CheckFits(src, opt.policies, false);
  opt.prompt_len = a.prompt_len;
  opt.decode_tokens = a.n < 0 ? 128 : a.n;
  opt.reps = a.reps;
  opt.profiler = prof;
  opt.repack = a.repack;
  BenchResult r = OrDie(RunBench(ctx, src, opt));
  std::string md = BenchMarkdown(r);
  if (prof != nullptr) {
    std::string json = "[";
    for (const BenchRow& row : r.rows) {
      md += "\n" + row.profile_markdown;
      json += (json.size() > 1 ? ", " : "") + row.profile_json;
    }
    if (!a.profile_json.empty()) WriteOrDie(a.profile_json, json + "]\n");
  }
  std::fputs(md.c_str(), stdout);
  if (!a.markdown.empty()) WriteOrDie(a.markdown, md);
  if (!a.json.empty()) WriteOrDie(a.json, BenchJson(r));
  return 0;
}

int Main(int argc, char** argv) {
  const Args a = ParseArgs(argc, argv);
  // The profiler opens its counters with perf's inherit flag before the
  // Context's worker threads exist, so that they are counted too.
  std::optional<ForwardProfiler> prof;
  if (a.profile) prof.emplace(OrDie(ForwardProfiler::Create(a.counters)));
  ForwardProfiler* p = prof ? &*prof : nullptr;
  ContextOptions co;
  co.num_threads = a.threads;
  co.target = a.target;
  const Context ctx = OrDie(Context::Create(co));
  std::unique_ptr<ModelSource> src =
      a.synthetic.empty() ? OrDie(OpenModelSource(a.model))
                          : OrDie(OpenSyntheticModelSource(a.synthetic));
  TextCodec tok;
  if (!a.tokenizer.empty()) {
    tok = TextCodec(std::make_unique<Tokenizer>(
        OrDie(Tokenizer::Load(a.tokenizer, src->config().vocab_size))));
  } else if (src->FileTokenizer() != nullptr) {
    tok = TextCodec(src->FileTokenizer());
  } else if (!src->Vocab().empty()) {
    tok = TextCodec(
        std::make_unique<Tokenizer>(Tokenizer::FromPieces(src->Vocab())));
  }
  const int rc = a.mode == "generate" ? Generate(a, ctx, *src, tok, p)
                 : a.mode == "eval"   ? Eval(a, ctx, *src, tok)
                                      : Bench(a, ctx, *src, p);
  FlushStdoutOrDie();
  return rc;
}

}  // namespace
}  // namespace qins::runner

int main(int argc, char** argv) { return qins::runner::Main(argc, argv); }
