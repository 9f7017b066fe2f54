#include "tools/runner/convert.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace qins::runner {

StatusOr<ModelWeights> ConvertModel(const Context& ctx, const ModelSource& src,
                                    const FormatPolicy& policy,
                                    const ConvertOptions& opt) {
  const ModelConfig& c = src.config();
  Status st = ValidateConfig(c);
  if (!st.ok()) return st;
  if (policy.stored) {
    if (src.Stored() == nullptr) {
      return InvalidArgument(src.Describe() +
                             ": format 'stored' needs a converted-model file "
                             "(qins-convert); this source holds f32 weights");
    }
    return *src.Stored();  // matrices are shared, not copied
  }
  size_t max_floats = 0;
  for (TensorClass t : kLinearClasses) {
    size_t r, k;
    TensorShape(c, t, &r, &k);
    max_floats = std::max(max_floats, r * k);
  }
  std::vector<float> buf(max_floats);
  ModelWeights m;
  m.config = c;
  m.source = src.Describe();
  m.vocab = src.Vocab();
  const auto start = std::chrono::steady_clock::now();
  const int total = 2 + 7 * c.n_layers;
  int done = 0;
  bool printed = false;
  double last_print = 0;
  auto progress = [&](const std::string& what) {
    ++done;
    if (!opt.progress) return;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    // After the first second, at most 4 lines a second (and the last).
    if ((s > 1.0 && s - last_print > 0.25) || (printed && done == total)) {
      last_print = s;
      std::fprintf(stderr, "\rconverting (%s): %d/%d tensors, %s, %.1f s   ",
                   policy.name.c_str(), done, total, what.c_str(), s);
      printed = true;
      if (done == total) std::fputc('\n', stderr);
    }
  };
  int fallbacks = 0;
  auto convert = [&](TensorClass t, int layer, Format f,
                     QuantizedMatrix* out) -> Status {
    size_t r, k;
    TensorShape(c, t, &r, &k);
    const std::string name =
        (layer >= 0 ? "layer " + std::to_string(layer) + " " : std::string()) +
        TensorClassName(t);
    // A tensor whose rows the format cannot hold (a K-quant's 256-weight
    // super-blocks) gets llama.cpp's fallback format, said on stderr.
    const Format fits = FallbackFormat(f, k);
    if (fits != f) {
      std::fprintf(stderr,
                   "%swarning: tensor %s: %zu columns, not a multiple of %zu "
                   "(required by %s): falling back to %s\n",
                   printed ? "\n" : "", name.c_str(), k,
                   GetFormatInfo(f).col_multiple, FormatName(f).c_str(),
                   FormatName(fits).c_str());
      ++fallbacks;
      f = fits;
    }
    Status s = src.ReadTensor(t, layer < 0 ? 0 : layer, buf.data());
    if (!s.ok()) return s;
    auto q = Quantize(ctx, f, buf.data(), r, k);
    if (!q.ok()) {
      return Status(q.status().code(), "converting tensor " + name + " to " +
                                           FormatName(f) + ": " +
                                           q.status().message());
    }
    *out = std::move(*q);
    progress(name);
    return Status::Ok();
  };
  auto norm = [&](TensorClass t, int layer, std::vector<float>* out) -> Status {
    out->resize(c.dim);
    return src.ReadTensor(t, layer < 0 ? 0 : layer, out->data());
  };
  st = convert(TensorClass::kEmbedding, -1,
               c.tied_classifier ? policy.ForTiedEmbedding()
                                 : policy.For(TensorClass::kEmbedding),
               &m.token_embedding);
  if (!st.ok()) return st;
  m.layers.resize(c.n_layers);
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights& w = m.layers[l];
    struct Item {
      TensorClass t;
      QuantizedMatrix* q;
    } items[] = {
        {TensorClass::kAttnQ, &w.wq},       {TensorClass::kAttnK, &w.wk},
        {TensorClass::kAttnV, &w.wv},       {TensorClass::kAttnO, &w.wo},
        {TensorClass::kFfnGate, &w.w_gate}, {TensorClass::kFfnUp, &w.w_up},
        {TensorClass::kFfnDown, &w.w_down}};
    for (const Item& it : items) {
      if (!(st = convert(it.t, l, policy.For(it.t), it.q)).ok()) return st;
    }
    if (!(st = norm(TensorClass::kAttnNorm, l, &w.attn_norm)).ok()) return st;
    if (!(st = norm(TensorClass::kFfnNorm, l, &w.ffn_norm)).ok()) return st;
  }
  if (!(st = norm(TensorClass::kFinalNorm, -1, &m.final_norm)).ok()) return st;
  if (!c.tied_classifier) {
    st = convert(TensorClass::kOutput, -1, policy.For(TensorClass::kOutput),
                 &m.output);
    if (!st.ok()) return st;
  } else {
    progress("output (tied)");
  }
  if (fallbacks > 0) {
    std::fprintf(stderr,
                 "warning: %d of %d tensors required a fallback format "
                 "(policy %s)\n",
                 fallbacks, total - (c.tied_classifier ? 1 : 0),
                 policy.name.c_str());
  }
  return m;
}

}  // namespace qins::runner
