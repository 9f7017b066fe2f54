// Weight formats: names, sizes and the registry every tool enumerates.
#ifndef QINS_FORMAT_H_
#define QINS_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qins/export.h"
#include "qins/status.h"

namespace qins {

enum class FormatKind {
  kF32,
  kBF16,
  kF16,
  kQ8_0,          // int8 blocks of 32 + f16 scale (llama.cpp Q8_0)
  kI8Row,         // int8 + one f32 scale per row
  kQ4_0,          // 4-bit blocks of 32 + f16 scale (llama.cpp Q4_0)
  kIQ4_NL,        // 4-bit non-linear table, blocks of 32 + f16 scale
  kQ4_1,          // 4-bit blocks of 32 + f16 scale and min (llama.cpp Q4_1)
  kQ5_0,          // 5-bit blocks of 32 + f16 scale (llama.cpp Q5_0)
  kQ5_1,          // 5-bit blocks of 32 + f16 scale and min (llama.cpp Q5_1)
  kQins8Seed,     // the design documents' convert_to_qins, per tensor
  kQins8SeedRow,  // the same with the log range per row
  kQins8,         // our 1-byte QINS (docs/formats.md)
  kQins4,         // our 4-bit QINS: sign + 3-bit code, blocks of 32
  kFpinsSeed,     // FPINS, the documents' greedy encoder; level = depth L
  kFpinsNearest,  // FPINS, nearest representable product
  kQ2_K,          // ggml Q2_K: 2-bit, 256-weight super-blocks
  kQ3_K,          // ggml Q3_K: 3-bit, 256-weight super-blocks
  kQ4_K,          // ggml Q4_K: 4-bit, 256-weight super-blocks
  kQ5_K,          // ggml Q5_K: 5-bit, 256-weight super-blocks
  kQ6_K,          // ggml Q6_K: 6-bit, 256-weight super-blocks
  kIQ4_XS,        // ggml IQ4_XS: iq4_nl codes, 256-weight super-blocks
  kCount,         // not a format: the number of kinds (new kinds go above)
};

// A format value: the kind plus, for FPINS, the depth L (0..7).
struct Format {
  FormatKind kind = FormatKind::kF32;
  int level = 0;
  bool operator==(const Format& o) const {
    return kind == o.kind && level == o.level;
  }
  bool operator!=(const Format& o) const { return !(*this == o); }
};

struct FormatInfo {
  std::string name;  // stable command-line name, e.g. "q8_0", "fpins2-seed"
  // Bytes per weight including all side information, for a row whose length
  // is a multiple of the block (per-row and per-tensor parameters amortised
  // over 4096 columns).
  double bytes_per_weight = 0;
  // Weights sharing one scale: 32 for block formats (256 for the K-quants'
  // super-blocks), 0 for per-row or per-tensor parameters, 1 for
  // self-contained codes (f32, bf16, f16).
  size_t block = 1;
  std::string summary;  // one line
  // A row length must be a multiple of this (256 for the K-quants); 1: any.
  size_t col_multiple = 1;
  // ggml's type id for the same bytes in a GGUF file, -1 when none.
  int ggml_type = -1;
};

// Every format, in a fixed order (baselines first).
QINS_API std::vector<Format> AllFormats();
QINS_API FormatInfo GetFormatInfo(Format f);
inline std::string FormatName(Format f) { return GetFormatInfo(f).name; }
// Parses a name; an unknown name is an error listing the valid ones.
QINS_API StatusOr<Format> ParseFormat(std::string_view name);
// The format whose rows hold a GGUF tensor of ggml type `ggml_type` byte for
// byte (so that it can be used in place); an error names the type and the
// supported ones.
QINS_API StatusOr<Format> FormatForGgmlType(uint32_t ggml_type);
// Parses "all" or a comma-separated list of names.
QINS_API StatusOr<std::vector<Format>> ParseFormatList(std::string_view list);

}  // namespace qins

#endif  // QINS_FORMAT_H_
