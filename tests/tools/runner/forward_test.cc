// The FP32 forward pass against an independent double-precision reference
// that parses the llama2.c file itself and runs the textbook loops; greedy
// generation across thread counts; kjv1M's known greedy text.
#include "tools/runner/forward.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/runner/convert.h"
#include "tools/runner/generate.h"
#include "tools/runner/llama2c_source.h"
#include "tools/runner/tokenizer.h"

namespace qins::runner {
namespace {

const std::string kStories = QINS_MODELS_DIR "/stories260K.bin";
const std::string kKjv = QINS_MODELS_DIR "/kjv1M.bin";
const std::string kKjvTok = QINS_MODELS_DIR "/kjv1M_tok.bin";

// A llama2.c model run in double with plain loops, straight from the file.
class ReferenceModel {
 public:
  explicit ReferenceModel(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::vector<char> b(std::istreambuf_iterator<char>(f), {});
    int32_t h[7];
    std::memcpy(h, b.data(), 28);
    dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kv_heads = h[4];
    vocab = std::abs(h[5]), seq = h[6];
    hs = dim / heads, kv_dim = hs * kv_heads;
    std::vector<float> all((b.size() - 28) / 4);
    std::memcpy(all.data(), b.data() + 28, all.size() * 4);
    size_t off = 0;
    auto take = [&](size_t n) {
      std::vector<double> v(all.begin() + off, all.begin() + off + n);
      off += n;
      return v;
    };
    emb = take(size_t(vocab) * dim);
    rms_att = take(size_t(layers) * dim);
    wq = take(size_t(layers) * dim * dim);
    wk = take(size_t(layers) * kv_dim * dim);
    wv = take(size_t(layers) * kv_dim * dim);
    wo = take(size_t(layers) * dim * dim);
    rms_ffn = take(size_t(layers) * dim);
    w1 = take(size_t(layers) * hidden * dim);
    w2 = take(size_t(layers) * dim * hidden);
    w3 = take(size_t(layers) * hidden * dim);
    rms_final = take(dim);
    off += size_t(seq) * hs;  // freq_cis real + imag
    wcls = h[5] > 0 ? emb : take(size_t(vocab) * dim);
    kc.assign(size_t(layers) * seq * kv_dim, 0);
    vc.assign(size_t(layers) * seq * kv_dim, 0);
  }

  std::vector<double> Forward(int token, int pos) {
    std::vector<double> x(emb.begin() + size_t(token) * dim,
                          emb.begin() + size_t(token + 1) * dim);
    for (int l = 0; l < layers; ++l) {
      std::vector<double> xb = Norm(x, &rms_att[size_t(l) * dim]);
      std::vector<double> q = MatVec(&wq[size_t(l) * dim * dim], dim, dim, xb);
      std::vector<double> k =
          MatVec(&wk[size_t(l) * kv_dim * dim], kv_dim, dim, xb);
      std::vector<double> v =
          MatVec(&wv[size_t(l) * kv_dim * dim], kv_dim, dim, xb);
      for (int i = 0; i < dim; i += 2) {
        const double freq = std::pow(10000.0, -double(i % hs) / hs);
        const double c = std::cos(pos * freq), s = std::sin(pos * freq);
        const double a = q[i], bb = q[i + 1];
        q[i] = a * c - bb * s;
        q[i + 1] = a * s + bb * c;
        if (i < kv_dim) {
          const double ka = k[i], kb = k[i + 1];
          k[i] = ka * c - kb * s;
          k[i + 1] = ka * s + kb * c;
        }
      }
      double* kl = &kc[(size_t(l) * seq + pos) * kv_dim];
      double* vl = &vc[(size_t(l) * seq + pos) * kv_dim];
      for (int i = 0; i < kv_dim; ++i) kl[i] = k[i], vl[i] = v[i];
      std::vector<double> att_out(dim, 0.0);
      for (int h = 0; h < heads; ++h) {
        const int kvh = h / (heads / kv_heads);
        std::vector<double> score(pos + 1);
        double mx = -1e300;
        for (int t = 0; t <= pos; ++t) {
          double s = 0;
          for (int i = 0; i < hs; ++i)
            s += q[h * hs + i] *
                 kc[(size_t(l) * seq + t) * kv_dim + kvh * hs + i];
          score[t] = s / std::sqrt(double(hs));
          mx = std::max(mx, score[t]);
        }
        double sum = 0;
        for (double& s : score) sum += (s = std::exp(s - mx));
        for (int t = 0; t <= pos; ++t)
          for (int i = 0; i < hs; ++i)
            att_out[h * hs + i] +=
                score[t] / sum *
                vc[(size_t(l) * seq + t) * kv_dim + kvh * hs + i];
      }
      std::vector<double> o =
          MatVec(&wo[size_t(l) * dim * dim], dim, dim, att_out);
      for (int i = 0; i < dim; ++i) x[i] += o[i];
      xb = Norm(x, &rms_ffn[size_t(l) * dim]);
      std::vector<double> g =
          MatVec(&w1[size_t(l) * hidden * dim], hidden, dim, xb);
      std::vector<double> u =
          MatVec(&w3[size_t(l) * hidden * dim], hidden, dim, xb);
      for (int i = 0; i < hidden; ++i)
        g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
      std::vector<double> d =
          MatVec(&w2[size_t(l) * dim * hidden], dim, hidden, g);
      for (int i = 0; i < dim; ++i) x[i] += d[i];
    }
    x = Norm(x, rms_final.data());
    return MatVec(wcls.data(), vocab, dim, x);
  }

  int vocab = 0;

 private:
  std::vector<double> Norm(const std::vector<double>& x, const double* w) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double r = 1.0 / std::sqrt(ss / x.size() + 1e-5);
    std::vector<double> o(x.size());
    for (size_t i = 0; i < x.size(); ++i) o[i] = w[i] * x[i] * r;
    return o;
  }
  static std::vector<double> MatVec(const double* w, int rows, int cols,
                                    const std::vector<double>& x) {
    std::vector<double> y(rows, 0.0);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) y[r] += w[size_t(r) * cols + c] * x[c];
    return y;
  }
  int dim, hidden, layers, heads, kv_heads, seq, hs, kv_dim;
  std::vector<double> emb, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3,
      rms_final, wcls, kc, vc;
};

ModelWeights LoadF32(const std::string& path, const Context& ctx) {
  auto src = OpenLlama2cSource(path);
  EXPECT_TRUE(src.ok()) << src.status().ToString();
  auto m = ConvertModel(ctx, **src, FormatPolicy{}, {.progress = false});
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(*m);
}

Context MakeContext(int threads) {
  ContextOptions o;
  o.num_threads = threads;
  auto ctx = Context::Create(o);
  EXPECT_TRUE(ctx.ok());
  return *ctx;
}

// Logits of the FP32 forward pass vs the double reference over the first
// 16 positions of a fixed token sequence (measured worst: 2.7e-5 on
// stories260K, 1.0e-5 on kjv1M). Tolerance: f32 rounding of ~1e3
// multiply-adds per output over 5-6 layers, relative ~1e-6 per layer on
// activations of order 1-10, grows to a few 1e-6 of logits up to ~20; 1e-4
// absolute leaves a margin and still catches any real error (a wrong
// RoPE pair, head mapping or norm changes logits by >1e-2).
void CompareWithReference(const std::string& path, std::vector<int> tokens) {
  const Context ctx = MakeContext(2);
  ModelWeights w = LoadF32(path, ctx);
  auto t = Transformer::Create(ctx, &w, 64);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ReferenceModel ref(path);
  double worst = 0;
  for (int pos = 0; pos < static_cast<int>(tokens.size()); ++pos) {
    auto got = t->Forward(tokens[pos], pos);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const std::vector<double> want = ref.Forward(tokens[pos], pos);
    for (int i = 0; i < ref.vocab; ++i) {
      worst = std::max(worst, std::abs((*got)[i] - want[i]));
      ASSERT_NEAR((*got)[i], want[i], 1e-4) << "pos " << pos << " logit " << i;
    }
  }
  std::printf("max |logit - double reference| = %.3g\n", worst);
}

TEST(ForwardTest, Stories260KMatchesDoubleReference) {
  std::vector<int> tokens = {1};
  for (int i = 1; i < 16; ++i) tokens.push_back((i * 37 + 11) % 512);
  CompareWithReference(kStories, tokens);
}

TEST(ForwardTest, Kjv1MMatchesDoubleReference) {
  std::vector<int> tokens = {1, 35};
  for (char ch : std::string("In the beginning")) tokens.push_back(ch + 3);
  tokens.resize(16);
  CompareWithReference(kKjv, tokens);
}

std::vector<int> Greedy(const std::string& path, int threads,
                        const std::vector<int>& prompt, int n) {
  const Context ctx = MakeContext(threads);
  ModelWeights w = LoadF32(path, ctx);
  auto t = Transformer::Create(ctx, &w);
  EXPECT_TRUE(t.ok());
  Sampler greedy(w.config.vocab_size, 0.0f, 0.0f, 1);
  GenerateOptions opt;
  opt.max_new_tokens = n;
  auto out = Generate(*t, prompt, greedy, opt);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return *out;
}

TEST(ForwardTest, GreedyIsTheSameOnOneAndTwoThreads) {
  for (const std::string& path : {kStories, kKjv}) {
    const std::vector<int> one = Greedy(path, 1, {1}, 200);
    const std::vector<int> two = Greedy(path, 2, {1}, 200);
    EXPECT_FALSE(one.empty());
    EXPECT_EQ(one, two) << path;
  }
}

TEST(ForwardTest, KjvGreedyTextIsRunCs) {
  auto tok = Tokenizer::Load(kKjvTok, 259);
  ASSERT_TRUE(tok.ok());
  auto prompt = tok->Encode("In the beginning", true, false);
  ASSERT_TRUE(prompt.ok());
  const std::vector<int> out = Greedy(kKjv, 2, *prompt, 120);
  // run.c prints the prompt's pieces after BOS, then the generated ones.
  std::string text;
  for (size_t i = 1; i < prompt->size(); ++i)
    text += tok->Decode((*prompt)[i - 1], (*prompt)[i]);
  int prev = prompt->back();
  for (int id : out) {
    text += tok->Decode(prev, id);
    prev = id;
  }
  const std::string want =
      "In the beginning of the LORD thy God with thee that thou shalt be a "
      "man to do the word of the LORD,";
  EXPECT_EQ(text.substr(0, want.size()), want) << text;
}

TEST(ForwardTest, BadTokenAndPositionAreErrors) {
  const Context ctx = MakeContext(1);
  ModelWeights w = LoadF32(kStories, ctx);
  auto t = Transformer::Create(ctx, &w, 8);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->Forward(512, 0).ok());
  EXPECT_FALSE(t->Forward(-1, 0).ok());
  EXPECT_FALSE(t->Forward(1, 8).ok());
  EXPECT_TRUE(t->Forward(1, 0).ok());
}

}  // namespace
}  // namespace qins::runner
