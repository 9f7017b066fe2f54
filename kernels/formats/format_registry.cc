// The one list of formats: names, sizes, summaries and codecs.
#include <string>

#include "kernels/formats/codec.h"
#include "qins/format.h"

namespace qins {
namespace {

struct Entry {
  Format format;
  const char* name;
  size_t block;
  const char* summary;
};

// Bytes per weight are computed from the codec (payload per row of 4096
// columns plus per-row and per-tensor parameters), so they cannot drift from
// the real layout.
constexpr size_t kReferenceCols = 4096;

std::vector<Entry> MakeEntries() {
  std::vector<Entry> e = {
      {{FormatKind::kF32, 0}, "f32", 1, "IEEE binary32"},
      {{FormatKind::kBF16, 0}, "bf16", 1, "bfloat16, round to nearest even"},
      {{FormatKind::kF16, 0}, "f16", 1, "IEEE binary16, round to nearest even"},
      {{FormatKind::kQ8_0, 0},
       "q8_0",
       32,
       "int8 blocks of 32 + f16 scale (llama.cpp Q8_0)"},
      {{FormatKind::kI8Row, 0}, "i8row", 0, "int8 + one f32 scale per row"},
      {{FormatKind::kQ4_0, 0},
       "q4_0",
       32,
       "4-bit blocks of 32 + f16 scale (llama.cpp Q4_0)"},
      {{FormatKind::kIQ4_NL, 0},
       "iq4_nl",
       32,
       "4-bit non-linear table, blocks of 32 + f16 scale"},
      {{FormatKind::kQins8Seed, 0},
       "qins8-seed",
       0,
       "design documents' convert_to_qins: code byte + sign byte, per-tensor "
       "log range"},
      {{FormatKind::kQins8SeedRow, 0},
       "qins8-seed-row",
       0,
       "convert_to_qins with the log range per row"},
      {{FormatKind::kQins8, 0},
       "qins8",
       0,
       "sign + 7-bit log code, per-row scale and exponent width "
       "(docs/formats.md)"},
      {{FormatKind::kQins4, 0},
       "qins4",
       32,
       "sign + 3-bit magnitude from 16 learned tables, blocks of 32 + 12-bit "
       "scale (docs/formats.md)"},
  };
  static const char* kSeedNames[] = {
      "fpins0-seed", "fpins1-seed", "fpins2-seed", "fpins3-seed",
      "fpins4-seed", "fpins5-seed", "fpins6-seed", "fpins7-seed"};
  static const char* kNearestNames[] = {
      "fpins0-nearest", "fpins1-nearest", "fpins2-nearest", "fpins3-nearest",
      "fpins4-nearest", "fpins5-nearest", "fpins6-nearest", "fpins7-nearest"};
  for (int l = 0; l <= 7; ++l) {
    e.push_back(
        {{FormatKind::kFpinsSeed, l},
         kSeedNames[l],
         1,
         "FPINS: L+1 level bytes + sign byte, the documents' greedy encoder"});
  }
  for (int l = 0; l <= 7; ++l) {
    e.push_back(
        {{FormatKind::kFpinsNearest, l},
         kNearestNames[l],
         1,
         "FPINS: L+1 level bytes + sign byte, nearest representable product"});
  }
  return e;
}

const std::vector<Entry>& Entries() {
  static const std::vector<Entry> e = MakeEntries();
  return e;
}

std::string ValidNames() {
  std::string s;
  for (const Entry& e : Entries()) {
    if (!s.empty()) s += ", ";
    s += e.name;
  }
  return s;
}

}  // namespace

const Codec& GetCodec(FormatKind kind) {
  switch (kind) {
    case FormatKind::kF32:
      return kF32Codec;
    case FormatKind::kBF16:
      return kBF16Codec;
    case FormatKind::kF16:
      return kF16Codec;
    case FormatKind::kQ8_0:
      return kQ8_0Codec;
    case FormatKind::kI8Row:
      return kI8RowCodec;
    case FormatKind::kQ4_0:
      return kQ4_0Codec;
    case FormatKind::kIQ4_NL:
      return kIQ4NLCodec;
    case FormatKind::kQins8Seed:
      return kQins8SeedCodec;
    case FormatKind::kQins8SeedRow:
      return kQins8SeedRowCodec;
    case FormatKind::kQins8:
      return kQins8Codec;
    case FormatKind::kQins4:
      return kQins4Codec;
    case FormatKind::kFpinsSeed:
      return kFpinsSeedCodec;
    case FormatKind::kFpinsNearest:
      return kFpinsNearestCodec;
  }
  return kF32Codec;  // unreachable for registered formats
}

std::vector<Format> AllFormats() {
  std::vector<Format> out;
  for (const Entry& e : Entries()) out.push_back(e.format);
  return out;
}

FormatInfo GetFormatInfo(Format f) {
  for (const Entry& e : Entries()) {
    if (e.format != f) continue;
    const Codec& c = GetCodec(f.kind);
    FormatInfo info;
    info.name = e.name;
    info.block = e.block;
    info.summary = e.summary;
    info.bytes_per_weight =
        (static_cast<double>(c.row_payload_bytes(kReferenceCols, f.level)) +
         4.0 * c.params_per_row) /
        kReferenceCols;
    return info;
  }
  return FormatInfo{"unknown", 0, 0, "not a registered format"};
}

StatusOr<Format> ParseFormat(std::string_view name) {
  for (const Entry& e : Entries()) {
    if (name == e.name) return e.format;
  }
  return InvalidArgument("unknown format '" + std::string(name) +
                         "'; valid formats: " + ValidNames());
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
