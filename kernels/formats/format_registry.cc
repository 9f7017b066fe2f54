// The public view of the format table (kernels/formats/format_table.h):
// names, sizes, summaries and codecs.
#include <cstdio>
#include <string>

#include "kernels/formats/codec.h"
#include "kernels/formats/format_table.h"
#include "qins/format.h"

namespace qins {
namespace {

// Bytes per weight are computed from the codec (payload per row of 4096
// columns plus per-row and per-tensor parameters), so they cannot drift from
// the real layout.
constexpr size_t kReferenceCols = 4096;

bool IsRegistered(Format f) {
  const auto k = static_cast<size_t>(f.kind);
  return k < kFormatKindCount && f.level >= 0 &&
         f.level <= kFormatTable[k].max_level;
}

std::string NameOf(const FormatRow& row, int level) {
  const std::string pattern(row.name);
  if (row.max_level == 0) return pattern;
  char buf[64];
  std::snprintf(buf, sizeof(buf), pattern.c_str(), level);
  return buf;
}

std::string ValidNames() {
  std::string s;
  for (Format f : AllFormats()) {
    if (!s.empty()) s += ", ";
    s += NameOf(FormatRowOf(f.kind), f.level);
  }
  return s;
}

}  // namespace

const Codec& GetCodec(FormatKind kind) { return FormatRowOf(kind).codec; }

std::vector<Format> AllFormats() {
  std::vector<Format> out;
  for (const FormatRow& row : kFormatTable) {
    for (int l = 0; l <= row.max_level; ++l) out.push_back({row.kind, l});
  }
  return out;
}

FormatInfo GetFormatInfo(Format f) {
  if (!IsRegistered(f))
    return FormatInfo{"unknown", 0, 0, "not a registered format"};
  const FormatRow& row = FormatRowOf(f.kind);
  const Codec& c = row.codec;
  FormatInfo info;
  info.name = NameOf(row, f.level);
  info.block = row.block;
  info.summary = std::string(row.summary);
  info.col_multiple = row.col_multiple;
  info.ggml_type = row.ggml_type;
  info.bytes_per_weight =
      (static_cast<double>(c.row_payload_bytes(kReferenceCols, f.level)) +
       4.0 * c.params_per_row) /
      kReferenceCols;
  return info;
}

StatusOr<Format> ParseFormat(std::string_view name) {
  for (Format f : AllFormats()) {
    if (name == NameOf(FormatRowOf(f.kind), f.level)) return f;
  }
  return InvalidArgument("unknown format '" + std::string(name) +
                         "'; valid formats: " + ValidNames());
}

StatusOr<Format> FormatForGgmlType(uint32_t ggml_type) {
  std::string supported;
  for (const FormatRow& row : kFormatTable) {
    if (row.ggml_type < 0) continue;
    if (static_cast<uint32_t>(row.ggml_type) == ggml_type)
      return Format{row.kind, 0};
    if (!supported.empty()) supported += ", ";
    supported +=
        std::string(row.name) + " (" + std::to_string(row.ggml_type) + ")";
  }
  return InvalidArgument(
      "ggml type " + std::to_string(ggml_type) +
      " has no library format; supported ggml types: " + supported);
}

StatusOr<std::vector<Format>> ParseFormatList(std::string_view list) {
  if (list == "all") return AllFormats();
  std::vector<Format> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    const std::string_view item = list.substr(
        start, comma == std::string_view::npos ? std::string_view::npos
                                               : comma - start);
    if (item.empty())
      return InvalidArgument("empty name in format list '" + std::string(list) +
                             "'");
    StatusOr<Format> f = ParseFormat(item);
    if (!f.ok()) return f.status();
    out.push_back(*f);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace qins
