#include "tools/runner/convert.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "qins/gemv.h"

namespace qins::runner {

namespace {

// RepackWeights, and what it added on stderr (nothing is added silently).
Status RepackAndSay(const Context& ctx, const ModelWeights& w,
                    const std::string& policy) {
  StatusOr<size_t> added = RepackWeights(ctx, w);
  if (!added.ok()) return added.status();
  std::fprintf(stderr, "repack (%s): %.1f MiB of interleaved copies%s\n",
               policy.c_str(), static_cast<double>(*added) / (1 << 20),
               *added == 0 ? " (no GEMV-read matrix in q4_0, q4_1, q5_0, q5_1, "
                             "iq4_nl, q2_k .. q6_k, iq4_xs or qins4)"
                           : "");
  return Status::Ok();
}

}  // namespace

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
                             "(qins-convert) or a GGUF; this source holds f32 "
                             "weights");
    }
    const ModelWeights& w = *src.Stored();
    // A view of a file's bytes (GGUF) has not been decoded yet: a NaN/Inf
    // scale would otherwise reach the logits silently.
    auto check = [&](const QuantizedMatrix& m, const std::string& what) {
      if (m.empty() || !m.is_view()) return Status::Ok();
      Status s = CheckFinite(ctx, m);
      if (s.ok()) return s;
      return Status(s.code(),
                    src.Describe() + ": " + what + ": " + s.message());
    };
    if (Status s = check(w.token_embedding, "embedding"); !s.ok()) return s;
    if (Status s = check(w.output, "output"); !s.ok()) return s;
    for (size_t l = 0; l < w.layers.size(); ++l) {
      for (const auto& [t, m] : w.layers[l].Linear()) {
        if (Status s = check(*m, std::string(TensorClassName(t)) +
                                     " of layer " + std::to_string(l));
            !s.ok())
          return s;
      }
    }
    if (opt.repack) {
      if (Status s = RepackAndSay(ctx, w, policy.name); !s.ok()) return s;
    }
    return w;  // matrices are shared, not copied
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
    size_t r, k;
    TensorShape(c, t, &r, &k);
    out->resize(k);
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
    for (const auto& [t, q] : w.Linear()) {
      if (!(st = convert(t, l, policy.For(t), q)).ok()) return st;
    }
    if (!(st = norm(TensorClass::kAttnNorm, l, &w.attn_norm)).ok()) return st;
    if (!(st = norm(TensorClass::kFfnNorm, l, &w.ffn_norm)).ok()) return st;
    if (c.has_gemma_norms()) {
      for (const auto& [t, v] : w.GemmaNorms()) {
        if (!(st = norm(t, l, v)).ok()) return st;
      }
    }
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
  if (opt.repack) {
    if (Status s = RepackAndSay(ctx, m, policy.name); !s.ok()) return s;
  }
  return m;
}

StatusOr<size_t> RepackWeights(const Context& ctx, const ModelWeights& w) {
  std::vector<const QuantizedMatrix*> ms = {&w.classifier()};
  for (const LayerWeights& l : w.layers)
    for (const auto& [t, m] : l.Linear()) ms.push_back(m);
  size_t bytes = 0;
  for (const QuantizedMatrix* m : ms) {
    if (m->empty() || !HasRepack(m->format()) || RepackedBytes(*m) != 0)
      continue;
    Status st = Repack(ctx, *m);
    if (!st.ok()) return st;
    bytes += RepackedBytes(*m);
  }
  return bytes;
}

}  // namespace qins::runner
