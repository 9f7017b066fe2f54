// Reference logits from llama.cpp itself, for the runner's real-model tests.
// Not part of the library or of its build: tools/make-reference-logits
// compiles this file against the llama.cpp that tools/build-llamacpp.sh
// builds in a cache (llama.h API), and commits only its output.
//
// For each prompt line of --prompts FILE: tokenizes it with llama.cpp's
// tokenizer (add_special: BOS as the model asks; parse_special: chat tokens
// such as <|im_start|> are tokens), runs the ids through the model in one
// batch with logits at every position, and prints
//   prompt <the text, \n and \\ escaped>
//   ids <token ids>
//   pos <i> argmax <id> gap <top1 - top2> top <id>:<logit> ... (--top of them)
// for the first --positions positions, then greedy decoding of --greedy
// tokens (argmax, teacher-forced on its own output) as
//   greedy <ids>
//   greedy_text <text, escaped>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "llama.h"

namespace {

void Die(const std::string& m) {
  std::fprintf(stderr, "reference_logits: %s\n", m.c_str());
  std::exit(1);
}

std::string Escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\')
      o += "\\\\";
    else if (c == '\n')
      o += "\\n";
    else
      o += c;
  }
  return o;
}

std::string Unescape(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
      o += s[i] == 'n' ? '\n' : s[i];
    } else {
      o += s[i];
    }
  }
  return o;
}

std::string Piece(const llama_vocab* v, llama_token t) {
  char buf[256];
  const int n = llama_token_to_piece(v, t, buf, sizeof(buf), 0, true);
  return n > 0 ? std::string(buf, n) : std::string();
}

// Decodes `ids` from position `pos0` with logits for every one of them.
void Decode(llama_context* ctx, const std::vector<llama_token>& ids, int pos0) {
  llama_batch b = llama_batch_init(static_cast<int32_t>(ids.size()), 0, 1);
  for (size_t i = 0; i < ids.size(); ++i) {
    b.token[i] = ids[i];
    b.pos[i] = pos0 + static_cast<int>(i);
    b.n_seq_id[i] = 1;
    b.seq_id[i][0] = 0;
    b.logits[i] = 1;
  }
  b.n_tokens = static_cast<int32_t>(ids.size());
  if (llama_decode(ctx, b) != 0) Die("llama_decode failed");
  llama_batch_free(b);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, prompts;
  int top = 40, positions = 32, greedy = 64, threads = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--model")
      model = next();
    else if (a == "--prompts")
      prompts = next();
    else if (a == "--top")
      top = std::atoi(next().c_str());
    else if (a == "--positions")
      positions = std::atoi(next().c_str());
    else if (a == "--greedy")
      greedy = std::atoi(next().c_str());
    else if (a == "--threads")
      threads = std::atoi(next().c_str());
    else if (a == "-h" || a == "--help") {
      std::printf(
          "usage: reference_logits --model M.gguf --prompts FILE [--top 40] "
          "[--positions 32] [--greedy 64] [--threads 2]\n");
      return 0;
    } else {
      Die("unknown argument " + a);
    }
  }
  if (model.empty() || prompts.empty()) Die("--model and --prompts needed");
  std::ifstream in(prompts);
  if (!in) Die("cannot read " + prompts);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(Unescape(l));

  llama_backend_init();
  llama_model_params mp = llama_model_default_params();
  llama_model* m = llama_model_load_from_file(model.c_str(), mp);
  if (m == nullptr) Die("cannot load " + model);
  const llama_vocab* vocab = llama_model_get_vocab(m);
  const int n_vocab = llama_vocab_n_tokens(vocab);

  for (const std::string& text : lines) {
    std::vector<llama_token> ids(text.size() + 16);
    const int n = llama_tokenize(vocab, text.c_str(),
                                 static_cast<int32_t>(text.size()), ids.data(),
                                 static_cast<int32_t>(ids.size()), true, true);
    if (n < 0) Die("tokenize failed");
    ids.resize(n);
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = static_cast<uint32_t>(std::max(positions, n) + greedy + 8);
    cp.n_batch = cp.n_ctx;
    cp.n_ubatch = cp.n_ctx;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    llama_context* ctx = llama_init_from_model(m, cp);
    if (ctx == nullptr) Die("cannot create a context");

    std::printf("prompt %s\nids", Escape(text).c_str());
    for (llama_token t : ids) std::printf(" %d", t);
    std::printf("\n");
    // Teacher-forced positions: the prompt, extended by greedy tokens when
    // it is shorter than `positions`.
    std::vector<llama_token> seq = ids;
    std::vector<llama_token> gen;
    Decode(ctx, ids, 0);
    int done = static_cast<int>(ids.size());
    std::vector<float> last;
    auto report = [&](int pos, const float* l) {
      std::vector<int> order(n_vocab);
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(
          order.begin(), order.begin() + top, order.end(),
          [&](int a, int b) { return l[a] > l[b] || (l[a] == l[b] && a < b); });
      std::printf("pos %d argmax %d gap %.6f top", pos, order[0],
                  l[order[0]] - l[order[1]]);
      for (int k = 0; k < top; ++k)
        std::printf(" %d:%.6f", order[k], l[order[k]]);
      std::printf("\n");
    };
    for (int p = 0; p < done && p < positions; ++p)
      report(p, llama_get_logits_ith(ctx, p));
    const float* l = llama_get_logits_ith(ctx, done - 1);
    for (int g = 0; g < greedy; ++g) {
      const int best = static_cast<int>(std::max_element(l, l + n_vocab) - l);
      gen.push_back(best);
      Decode(ctx, {best}, done);
      ++done;
      l = llama_get_logits_ith(ctx, 0);
      if (done - 1 < positions) report(done - 1, l);
    }
    std::printf("greedy");
    for (llama_token t : gen) std::printf(" %d", t);
    std::string txt;
    for (llama_token t : gen) txt += Piece(vocab, t);
    std::printf("\ngreedy_text %s\n", Escape(txt).c_str());
    llama_free(ctx);
  }
  llama_model_free(m);
  return 0;
}
