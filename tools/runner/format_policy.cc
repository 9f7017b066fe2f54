#include "tools/runner/format_policy.h"

#include <string>

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

}  // namespace qins::runner
