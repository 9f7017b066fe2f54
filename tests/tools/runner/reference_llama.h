// A llama2.c model run in double with plain loops, parsed straight from the
// file: the independent reference the runner's tests compare against. It
// shares no code with tools/runner.
#ifndef QINS_TESTS_TOOLS_RUNNER_REFERENCE_LLAMA_H_
#define QINS_TESTS_TOOLS_RUNNER_REFERENCE_LLAMA_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace qins::runner::testing {

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

}  // namespace qins::runner::testing

#endif  // QINS_TESTS_TOOLS_RUNNER_REFERENCE_LLAMA_H_
