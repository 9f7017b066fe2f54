#include "tools/runner/eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "tools/runner/convert.h"
#include "tools/runner/forward.h"
#include "tools/runner/generate.h"
#include "tools/runner/report.h"
#include "tools/runner/sampler.h"

namespace qins::runner {
namespace {

// log softmax in double: O(vocab) exp/log.
void LogSoftmax(const float* logits, int n, std::vector<double>* out) {
  out->resize(n);
  double mx = logits[0];
  for (int i = 1; i < n; ++i) mx = std::max(mx, double(logits[i]));
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += std::exp(double(logits[i]) - mx);
  const double lse = mx + std::log(sum);
  for (int i = 0; i < n; ++i) (*out)[i] = double(logits[i]) - lse;
}

struct Candidate {
  EvalRow row;
  ModelWeights weights;
  std::unique_ptr<Transformer> model;
  bool token_by_token = false;
  std::vector<double> kl;  // per scored position
  double nll_sum = 0;
  size_t agree = 0;
};

}  // namespace

const char* EvalScoringName(EvalScoring s) {
  return s == EvalScoring::kLlamaPerplexity ? "llama-perplexity" : "windows";
}

StatusOr<EvalResult> RunEval(const Context& ctx, const ModelSource& src,
                             const EvalOptions& opt) {
  const ModelConfig& c = src.config();
  if (opt.ctx < 2 || opt.ctx > c.seq_len) {
    return InvalidArgument("--ctx " + std::to_string(opt.ctx) +
                           " must be in [2, " + std::to_string(c.seq_len) +
                           "] (the model's seq_len)");
  }
  if (opt.tokens.empty()) return InvalidArgument("eval: no tokens to score");
  for (int t : opt.tokens) {
    if (t < 0 || t >= c.vocab_size) {
      return InvalidArgument("eval: token id " + std::to_string(t) +
                             " outside the vocabulary [0, " +
                             std::to_string(c.vocab_size) + ")");
    }
  }
  const bool llama = opt.scoring == EvalScoring::kLlamaPerplexity;
  if (llama && opt.tokens.size() < 2 * static_cast<size_t>(opt.ctx)) {
    return InvalidArgument(
        "eval --scoring llama-perplexity needs at least 2 * ctx = " +
        std::to_string(2 * opt.ctx) +
        " tokens (as llama-perplexity does); "
        "the text has " +
        std::to_string(opt.tokens.size()));
  }
  if (opt.chunks == 0 || opt.chunks < -1)
    return InvalidArgument("eval: chunks must be positive (or -1 for all)");
  // The windows: the ids each model runs, and the first position whose
  // prediction of the next id is scored.
  struct Window {
    std::vector<int> seq;  // seq[0 .. run] (the last id is only a target)
    size_t run = 0, first = 0;
  };
  std::vector<Window> windows;
  if (llama) {
    const size_t per = static_cast<size_t>(opt.ctx);
    size_t n = opt.tokens.size() / per;
    if (opt.chunks > 0) n = std::min(n, static_cast<size_t>(opt.chunks));
    for (size_t i = 0; i < n; ++i) {
      Window w;
      w.seq.assign(opt.tokens.begin() + i * per,
                   opt.tokens.begin() + (i + 1) * per);
      if (opt.add_bos) w.seq[0] = c.bos_id;
      // llama-perplexity runs all ctx tokens and reads the logits of
      // positions ctx/2 .. ctx - 2; the last token is only a target.
      w.run = per - 1;
      w.first = per / 2;
      windows.push_back(std::move(w));
    }
  } else {
    const size_t per = static_cast<size_t>(opt.ctx - 1);
    for (size_t w0 = 0; w0 < opt.tokens.size(); w0 += per) {
      const size_t len = std::min(per, opt.tokens.size() - w0);
      Window w;
      w.seq.assign(1, c.bos_id);
      w.seq.insert(w.seq.end(), opt.tokens.begin() + w0,
                   opt.tokens.begin() + w0 + len);
      w.run = len;
      windows.push_back(std::move(w));
    }
  }
  std::vector<int> prompt = opt.prompt;
  if (prompt.empty()) {
    // BOS and the first 16 text ids (after the stream's BOS in
    // llama-perplexity scoring).
    const auto text =
        opt.tokens.begin() + (llama && opt.tokens[0] == c.bos_id ? 1 : 0);
    prompt.push_back(c.bos_id);
    prompt.insert(prompt.end(), text,
                  text + std::min<size_t>(16, opt.tokens.end() - text));
  }
  const int positions = std::min(
      c.seq_len,
      std::max(opt.ctx, static_cast<int>(prompt.size()) + opt.greedy_tokens));

  // FP32 reference plus one candidate per policy (the candidates include an
  // f32 entry when asked: it must give KL 0 and agreement 1).
  std::vector<Candidate> cands(opt.policies.size() + 1);
  cands[0].row.name = "f32 (reference)";
  FormatPolicy f32;
  f32.default_format = Format{FormatKind::kF32, 0};
  f32.name = "f32";
  for (size_t i = 0; i < cands.size(); ++i) {
    const FormatPolicy& p = i == 0 ? f32 : opt.policies[i - 1];
    if (i > 0) cands[i].row.name = p.name;
    ConvertOptions co;
    co.progress = opt.progress;
    co.repack = opt.repack;
    auto w = ConvertModel(ctx, src, p, co);
    if (!w.ok()) return w.status();
    cands[i].weights = std::move(*w);
    cands[i].row.weight_bytes = WeightBytes(cands[i].weights);
    cands[i].row.weights = WeightCount(cands[i].weights);
    auto t = Transformer::Create(ctx, &cands[i].weights, positions);
    if (!t.ok()) return t.status();
    cands[i].model = std::make_unique<Transformer>(std::move(*t));
    cands[i].model->set_gemv_strategy(p.gemv_strategy);
    if (!cands[i].model->UsesGemvStrategy()) {
      return InvalidArgument("eval: policy '" + p.name +
                             "': no weight matrix of " + src.Describe() +
                             " has GEMV strategy '" +
                             GemvStrategyName(p.gemv_strategy) + "'");
    }
    // GEMV strategies act on one-token products only, so such a policy
    // runs token by token, unless its prefill computes the same products
    // (kDot where every dot format also has the dot GEMM).
    cands[i].token_by_token =
        i > 0 &&
        (opt.token_by_token || !cands[i].model->PrefillMatchesGemvStrategy());
    cands[i].row.token_by_token = cands[i].token_by_token;
  }

  EvalResult r;
  r.model = src.Describe();
  r.scoring = opt.scoring;
  r.ctx = opt.ctx;
  const int vocab = c.vocab_size;
  const auto start = std::chrono::steady_clock::now();
  std::vector<float> ref_logits, tbt_logits;
  for (const Window& w : windows) {
    const int* seq = w.seq.data();
    // Each model runs the window as one prefill (GEMM over batches), or
    // token by token (GEMV) when asked, and returns the logits of every
    // (scored) position.
    auto ref = cands[0].model->Prefill(seq, static_cast<int>(w.run), 0,
                                       /*all_logits=*/true);
    if (!ref.ok()) return ref.status();
    ref_logits.assign(*ref, *ref + w.run * vocab);
    // Scoring costs ~4 exp/log per vocabulary entry per position (262,144
    // for Gemma 3), as much as the forward pass: the positions are split
    // over the context's threads, each writing its own slots, and summed in
    // position order, so the figures do not depend on the thread count.
    const size_t scored = w.run - w.first;
    std::vector<double> nll(scored), kl(scored);
    std::vector<char> agree(scored);
    auto score = [&](const float* logits, bool vs_ref) {
      ParallelFor(ctx, scored, 1, [&](size_t b, size_t e) {
        std::vector<double> lp, lq;
        for (size_t j = b; j < e; ++j) {
          const size_t pos = w.first + j;
          const float* lr = ref_logits.data() + pos * vocab;
          const float* lq_row = logits + pos * vocab;
          LogSoftmax(lq_row, vocab, &lq);
          nll[j] = -lq[seq[pos + 1]];
          if (!vs_ref) continue;
          LogSoftmax(lr, vocab, &lp);
          double k = 0;
          for (int v = 0; v < vocab; ++v)
            k += std::exp(lp[v]) * (lp[v] - lq[v]);
          kl[j] = std::max(0.0, k);
          agree[j] = Argmax(lq_row, vocab) == Argmax(lr, vocab);
        }
      });
    };
    for (size_t i = 1; i < cands.size(); ++i) {
      StatusOr<const float*> q = static_cast<const float*>(nullptr);
      if (cands[i].token_by_token) {
        // Every position through Forward (its KV cache filled in order);
        // the logits of the scored ones kept at their positions.
        tbt_logits.resize(w.run * vocab);
        for (size_t pos = 0; pos < w.run; ++pos) {
          auto l = cands[i].model->Forward(seq[pos], static_cast<int>(pos));
          if (!l.ok()) return l.status();
          if (pos >= w.first)
            std::copy(*l, *l + vocab, tbt_logits.begin() + pos * vocab);
        }
        q = static_cast<const float*>(tbt_logits.data());
      } else {
        q = cands[i].model->Prefill(seq, static_cast<int>(w.run), 0,
                                    /*all_logits=*/true);
      }
      if (!q.ok()) return q.status();
      score(*q, true);
      for (size_t j = 0; j < scored; ++j) {
        cands[i].nll_sum += nll[j];
        cands[i].kl.push_back(kl[j]);
        cands[i].agree += agree[j];
      }
    }
    score(ref_logits.data(), false);
    for (size_t j = 0; j < scored; ++j) cands[0].nll_sum += nll[j];
    r.scored_tokens += scored;
    ++r.windows;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (opt.progress && s > 1.0) {
      std::fprintf(stderr, "\reval: window %d/%zu, %.1f s   ", r.windows,
                   windows.size(), s);
      if (static_cast<size_t>(r.windows) == windows.size())
        std::fputc('\n', stderr);
    }
  }

  // Greedy match.
  std::vector<int> ref_greedy;
  for (size_t i = 0; i < cands.size(); ++i) {
    Sampler greedy(vocab, 0.0f, 0.0f, 1);
    GenerateOptions g;
    g.max_new_tokens = opt.greedy_tokens;
    auto out = Generate(*cands[i].model, prompt, greedy, g);
    if (!out.ok()) return out.status();
    if (i == 0) ref_greedy = *out;
    size_t m = 0;
    while (m < out->size() && m < ref_greedy.size() &&
           (*out)[m] == ref_greedy[m])
      ++m;
    cands[i].row.greedy_match = static_cast<int>(m);
  }
  r.greedy_tokens = static_cast<int>(ref_greedy.size());

  for (size_t i = 0; i < cands.size(); ++i) {
    EvalRow& row = cands[i].row;
    row.nll = cands[i].nll_sum / r.scored_tokens;
    row.perplexity = std::exp(row.nll);
    if (i == 0) {
      row.top1_agreement = 1.0;
      r.reference = row;
      continue;
    }
    std::vector<double>& kl = cands[i].kl;
    double sum = 0;
    for (double k : kl) sum += k;
    row.kl_mean = sum / kl.size();
    // p99: the value at rank ceil(0.99 n) - 1 of the sorted KLs.
    const size_t rank = static_cast<size_t>(std::ceil(0.99 * kl.size())) - 1;
    std::nth_element(kl.begin(), kl.begin() + rank, kl.end());
    row.kl_p99 = kl[rank];
    row.top1_agreement = double(cands[i].agree) / r.scored_tokens;
    r.rows.push_back(row);
  }
  return r;
}

std::string EvalMarkdown(const EvalResult& r) {
  std::string s;
  char buf[512];
  std::snprintf(
      buf, sizeof(buf),
      r.scoring == EvalScoring::kLlamaPerplexity
          ? "eval: %s, %d chunks of %d tokens scored as llama-perplexity "
            "does (second half of each chunk), %zu scored tokens; greedy "
            "match over %d tokens\n\n"
          : "eval: %s, %d windows of <= %d tokens (BOS + text), %zu "
            "scored tokens; greedy match over %d tokens\n\n",
      r.model.c_str(), r.windows, r.ctx, r.scored_tokens, r.greedy_tokens);
  s += buf;
  const bool any_tbt =
      std::any_of(r.rows.begin(), r.rows.end(),
                  [](const EvalRow& x) { return x.token_by_token; });
  if (any_tbt) {
    s += "Rows marked (t) ran token by token (one GEMV per weight per token, "
         "the GEMV strategy after @ where named); the others, and the f32 "
         "reference, as one prefill (GEMM).\n\n";
  }
  s += "| format | weight MiB | B/weight | perplexity | vs f32 | mean KL | "
       "p99 KL | top-1 agree | greedy match |\n"
       "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  auto line = [&](const EvalRow& x) {
    std::snprintf(
        buf, sizeof(buf),
        "| %s | %.3f | %.3f | %.4f | %+.2f%% | %.3g | %.3g | %.4f | "
        "%d/%d |\n",
        (x.name + (x.token_by_token ? " (t)" : "")).c_str(),
        x.weight_bytes / 1048576.0, double(x.weight_bytes) / x.weights,
        x.perplexity, 100.0 * (x.perplexity / r.reference.perplexity - 1.0),
        x.kl_mean, x.kl_p99, x.top1_agreement, x.greedy_match, r.greedy_tokens);
    s += buf;
  };
  line(r.reference);
  for (const EvalRow& x : r.rows) line(x);
  return s;
}

std::string EvalJson(const EvalResult& r) {
  std::string s =
      "{\n  \"mode\": \"eval\",\n  \"model\": " + JsonString(r.model) + ",\n";
  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                "  \"scoring\": \"%s\",\n  \"ctx\": %d,\n  \"windows\": %d,\n"
                "  \"scored_tokens\": %zu,\n  \"greedy_tokens\": %d,\n"
                "  \"rows\": [\n",
                EvalScoringName(r.scoring), r.ctx, r.windows, r.scored_tokens,
                r.greedy_tokens);
  s += buf;
  std::vector<const EvalRow*> all = {&r.reference};
  for (const EvalRow& x : r.rows) all.push_back(&x);
  for (size_t i = 0; i < all.size(); ++i) {
    const EvalRow& x = *all[i];
    std::snprintf(
        buf, sizeof(buf),
        "    {\"format\": %s, \"reference\": %s, \"weight_bytes\": %zu, "
        "\"weights\": %zu, \"nll\": %.9g, \"perplexity\": %.9g, "
        "\"kl_mean\": %.9g, \"kl_p99\": %.9g, \"top1_agreement\": %.9g, "
        "\"greedy_match\": %d, \"token_by_token\": %s}%s\n",
        JsonString(x.name).c_str(), i == 0 ? "true" : "false", x.weight_bytes,
        x.weights, x.nll, x.perplexity, x.kl_mean, x.kl_p99, x.top1_agreement,
        x.greedy_match, x.token_by_token ? "true" : "false",
        i + 1 < all.size() ? "," : "");
    s += buf;
  }
  return s + "  ]\n}\n";
}

}  // namespace qins::runner
