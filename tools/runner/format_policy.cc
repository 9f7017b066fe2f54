#include "tools/runner/format_policy.h"

#include <algorithm>
#include <string>
#include <vector>

namespace qins::runner {

FormatPolicy SeedAdaptivePolicy() {
  auto fpins = [](int level) { return Format{FormatKind::kFpinsSeed, level}; };
  FormatPolicy p;
  p.name = "seed-adaptive";
  p.default_format = fpins(0);
  p.per_class[TensorClass::kOutput] = fpins(3);
  p.per_class[TensorClass::kAttnQ] = fpins(2);
  p.per_class[TensorClass::kAttnK] = fpins(2);
  p.per_class[TensorClass::kAttnV] = fpins(2);
  p.per_class[TensorClass::kEmbedding] = fpins(1);
  return p;
}

Format FallbackFormat(Format f, size_t cols) {
  if (cols % GetFormatInfo(f).col_multiple == 0) return f;
  // llama.cpp's tensor_type_fallback (src/llama-quant.cpp): a 256-block
  // type falls back to the 32-block type of about its size. (A 32-block
  // format pads a short last block, so no F16 step is needed here.)
  struct Rule {
    FormatKind from, to;
  };
  constexpr Rule kRules[] = {{FormatKind::kIQ4_XS, FormatKind::kIQ4_NL},
                             {FormatKind::kQ2_K, FormatKind::kQ4_0},
                             {FormatKind::kQ3_K, FormatKind::kQ4_0},
                             {FormatKind::kQ4_K, FormatKind::kQ5_0},
                             {FormatKind::kQ5_K, FormatKind::kQ5_1},
                             {FormatKind::kQ6_K, FormatKind::kQ8_0}};
  for (const Rule& r : kRules)
    if (r.from == f.kind) return Format{r.to, 0};
  // A format with a row multiple and no rule: q8_0, the lossless-enough
  // 32-block choice (none today: format_policy_test lists every format).
  return Format{FormatKind::kQ8_0, 0};
}

StatusOr<FormatPolicy> ParseFormatPolicy(std::string_view format,
                                         std::string_view format_map,
                                         std::string_view policy) {
  if (!policy.empty()) {
    if (policy != "seed-adaptive") {
      return InvalidArgument("unknown --policy '" + std::string(policy) +
                             "' (valid: seed-adaptive)");
    }
    if (!format.empty() || !format_map.empty()) {
      return InvalidArgument(
          "--policy seed-adaptive chooses every format; do not combine it "
          "with --format or --format-map");
    }
    return SeedAdaptivePolicy();
  }
  FormatPolicy p;
  p.default_format = Format{FormatKind::kF32, 0};
  if (format == "stored") {
    if (!format_map.empty())
      return InvalidArgument("--format stored takes no --format-map");
    p.stored = true;
    p.name = "stored";
    return p;
  }
  if (!format.empty()) {
    auto f = ParseFormat(format);
    if (!f.ok()) return f.status();
    p.default_format = *f;
  }
  p.name = FormatName(p.default_format);
  std::string_view rest = format_map;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view()
                                           : rest.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("--format-map entry '" + std::string(item) +
                             "' is not class=format");
    }
    const std::string_view cls = item.substr(0, eq);
    bool found = false;
    std::string valid;
    for (TensorClass t : kLinearClasses) {
      if (!valid.empty()) valid += ", ";
      valid += TensorClassName(t);
      if (cls == TensorClassName(t)) {
        auto f = ParseFormat(item.substr(eq + 1));
        if (!f.ok()) return f.status();
        p.per_class[t] = *f;
        found = true;
      }
    }
    if (!found) {
      return InvalidArgument("--format-map: unknown tensor class '" +
                             std::string(cls) + "' (valid: " + valid + ")");
    }
    p.name += ',';
    p.name.append(item);
  }
  return p;
}

bool PolicyHasGemvStrategy(const FormatPolicy& p, GemvStrategy s) {
  if (p.stored) return true;
  for (TensorClass t : kLinearClasses)
    if (HasGemvStrategy(p.For(t), s)) return true;
  return false;
}

Status SetGemvStrategy(FormatPolicy* p, GemvStrategy s) {
  if (!PolicyHasGemvStrategy(*p, s)) {
    // The strategies of each distinct format of the policy.
    std::vector<Format> seen;
    std::string have;
    for (TensorClass t : kLinearClasses) {
      const Format f = p->For(t);
      if (std::find(seen.begin(), seen.end(), f) != seen.end()) continue;
      seen.push_back(f);
      have += have.empty() ? "" : "; ";
      have += FormatName(f) + std::string(" has");
      for (GemvStrategy g : GemvStrategies(f))
        have += std::string(" ") + GemvStrategyName(g);
    }
    return InvalidArgument(
        "GEMV strategy '" + std::string(GemvStrategyName(s)) +
        "': no format of policy '" + p->name + "' has it (" + have + ")");
  }
  p->gemv_strategy = s;
  if (s != GemvStrategy::kAuto) {
    p->name += '@';
    p->name += GemvStrategyName(s);
  }
  return Status::Ok();
}

StatusOr<FormatPolicy> ParsePolicyListItem(std::string_view item,
                                           std::string_view format_map) {
  const size_t at = item.find('@');
  const std::string_view base = item.substr(0, at);
  StatusOr<FormatPolicy> p = base == "seed-adaptive"
                                 ? ParseFormatPolicy("", format_map, base)
                                 : ParseFormatPolicy(base, format_map, "");
  if (!p.ok() || at == std::string_view::npos) return p;
  auto s = ParseGemvStrategy(std::string(item.substr(at + 1)));
  if (!s.ok()) {
    return InvalidArgument("--formats entry '" + std::string(item) +
                           "': " + s.status().message());
  }
  const Status st = SetGemvStrategy(&*p, *s);
  if (!st.ok()) return st;
  return p;
}

}  // namespace qins::runner
