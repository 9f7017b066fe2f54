// The one table of weight formats (internal): one row per FormatKind, in
// enum order, with designated fields. Everything that depends on a format's
// kind reads its row: the public names, sizes and summaries
// (format_registry.cc), the scalar codec (GetCodec), the GEMV strategies and
// auto's default (kernels/gemv/gemv.cc), the test error bound
// (quantize_test). The per-target kernels are found from the rows: the
// dispatch files instantiate DecodeKernelOf<kind> for every row and
// GemvKernelOf<kind, strategy> for every strategy a row lists
// (kernels/formats/format_kernels-inl.h), specializations that sit next to
// the kernels; a missing one does not compile, naming the pair.
//
// Adding a format (docs/formats.md#adding-a-format): its FormatKind (before
// kCount) and one row here; its codec file under kernels/formats/ (with
// check_row if stored bytes can be invalid); its loader
// (loaders-inl.h) and the decoder and fused kernels built on it, each
// followed by its DecodeKernelOf / GemvKernelOf specialization. A missing
// row, a row out of enum order, a row without a name, codec, error bound or
// decode strategy, or a listed strategy without a kernel does not compile
// (the static_asserts below; `codec` being a reference; the traits).
#ifndef QINS_KERNELS_FORMATS_FORMAT_TABLE_H_
#define QINS_KERNELS_FORMATS_FORMAT_TABLE_H_

#include <array>
#include <cstddef>
#include <string_view>

#include "kernels/formats/codec.h"
#include "qins/format.h"
#include "qins/gemv.h"

namespace qins {

inline constexpr size_t kFormatKindCount =
    static_cast<size_t>(FormatKind::kCount);
inline constexpr size_t kGemvStrategyCount =
    static_cast<size_t>(GemvStrategy::kCount);
inline constexpr size_t kMaxFormatStrategies = 4;

// The RMS error relative to the RMS weight that a codec must stay under on
// N(0, 0.02) rows: `value` at every level, or at levels >= 2 where a level
// 0 or 1 bound is given (FPINS). Negative: unset, which does not compile.
struct RmsErrorBound {
  double value = -1;
  double level0 = -1;
  double level1 = -1;
  constexpr double At(int level) const {
    if (level == 0 && level0 >= 0) return level0;
    if (level == 1 && level1 >= 0) return level1;
    return value;
  }
};

struct FormatRow {
  FormatKind kind;
  // Command-line name; for a kind with levels, a pattern whose one "%d" is
  // the level ("fpins%d-seed"). Not empty.
  std::string_view name;
  int max_level;  // 0, or the largest level (FPINS: 7)
  // Weights sharing one scale: 32 for block formats, 256 for the K-quants'
  // super-blocks (one f16 d), 0 for per-row or per-tensor parameters, 1
  // for self-contained codes.
  size_t block;
  std::string_view summary;  // not empty
  // A reference, so that a row without its codec does not compile.
  const Codec& codec;
  // GEMV strategies besides kAuto, in auto's order of preference, kDecode
  // last; unused slots are kAuto. auto runs the first that is not kDot
  // unless a rule of kGemvAutoRules (kernels/gemv/gemv.cc) says otherwise
  // for the target: only a rule makes `dot` auto's choice, where its effect
  // on quality was measured and qualified (issue 20 item 4).
  std::array<GemvStrategy, kMaxFormatStrategies> gemv;
  // A row length must be a multiple of this (the K-quants' 256-weight super
  // blocks); 1: any length, the last block zero-padded.
  size_t col_multiple = 1;
  // The ggml_type value of the same bytes in a GGUF file (ggml.h), or -1
  // when ggml has no such type. A row with a ggml_type stores its rows in
  // ggml's block layout exactly, so a GGUF tensor is used in place.
  int ggml_type = -1;
  // The codec's round-trip error bound (tests/kernels/formats/
  // quantize_test.cc; generous, to catch a broken codec: the measured
  // figures are qins-codec-stats', docs/formats.md). Required: a row
  // without it does not compile.
  RmsErrorBound rms_error_bound;
};

namespace format_table_internal {
using S = GemvStrategy;
using K = FormatKind;
}  // namespace format_table_internal

inline constexpr FormatRow kFormatTable[] = {
    {.kind = FormatKind::kF32,
     .name = "f32",
     .max_level = 0,
     .block = 1,
     .summary = "IEEE binary32",
     .codec = kF32Codec,
     // direct: the f32 kernel on the stored rows; decode copies rows first.
     .gemv = {GemvStrategy::kDirect, GemvStrategy::kDecode},
     .ggml_type = 0,
     .rms_error_bound = {.value = 0.0}},
    {.kind = FormatKind::kBF16,
     .name = "bf16",
     .max_level = 0,
     .block = 1,
     .summary = "bfloat16, round to nearest even",
     .codec = kBF16Codec,
     .gemv = {GemvStrategy::kDirect, GemvStrategy::kDecode},
     .ggml_type = 30,
     .rms_error_bound = {.value = 3e-3}},
    {.kind = FormatKind::kF16,
     .name = "f16",
     .max_level = 0,
     .block = 1,
     .summary = "IEEE binary16, round to nearest even",
     .codec = kF16Codec,
     .gemv = {GemvStrategy::kDirect, GemvStrategy::kDecode},
     .ggml_type = 1,
     .rms_error_bound = {.value = 5e-4}},
    {.kind = FormatKind::kQ8_0,
     .name = "q8_0",
     .max_level = 0,
     .block = 32,
     .summary = "int8 blocks of 32 + f16 scale (llama.cpp Q8_0)",
     .codec = kQ8_0Codec,
     // dot: int8 x (kernels/gemv/gemv_dot-inl.h); not auto's choice for
     // q8_0 and i8row: its extra KL exceeds theirs (kernels/gemv/gemv.cc).
     .gemv = {GemvStrategy::kDirect, GemvStrategy::kDot, GemvStrategy::kDecode},
     .ggml_type = 8,
     .rms_error_bound = {.value = 0.015}},
    {.kind = FormatKind::kI8Row,
     .name = "i8row",
     .max_level = 0,
     .block = 0,
     .summary = "int8 + one f32 scale per row",
     .codec = kI8RowCodec,
     .gemv = {GemvStrategy::kDirect, GemvStrategy::kDot, GemvStrategy::kDecode},
     .rms_error_bound = {.value = 0.015}},
    {.kind = FormatKind::kQ4_0,
     .name = "q4_0",
     .max_level = 0,
     .block = 32,
     .summary = "4-bit blocks of 32 + f16 scale (llama.cpp Q4_0)",
     .codec = kQ4_0Codec,
     // direct (arithmetic, 5 ops) against a register table (4 ops on
     // AVX-512, 8 on AVX2): a rule picks per target.
     .gemv = {GemvStrategy::kDirect, GemvStrategy::kRegtable,
              GemvStrategy::kDot, GemvStrategy::kDecode},
     .ggml_type = 2,
     .rms_error_bound = {.value = 0.15}},
    {.kind = FormatKind::kIQ4_NL,
     .name = "iq4_nl",
     .max_level = 0,
     .block = 32,
     .summary = "4-bit non-linear table, blocks of 32 + f16 scale",
     .codec = kIQ4NLCodec,
     .gemv = {GemvStrategy::kRegtable, GemvStrategy::kGather,
              GemvStrategy::kDot, GemvStrategy::kDecode},
     .ggml_type = 20,
     .rms_error_bound = {.value = 0.15}},
    // ggml's Q4_1, Q5_0 and Q5_1 blocks as stored in GGUF files
    // (kernels/formats/ggml_block_codecs.cc). direct: the decode loaders
    // fused with the FMA (gemv_blocks-inl.h); dot: x quantized to int8,
    // integer block dot products (gemv_dot-inl.h).
    {.kind = FormatKind::kQ4_1,
     .name = "q4_1",
     .max_level = 0,
     .block = 32,
     .summary = "4-bit blocks of 32 + f16 scale and min (llama.cpp Q4_1)",
     .codec = kQ4_1Codec,
     .gemv = {GemvStrategy::kDirect, GemvStrategy::kDot, GemvStrategy::kDecode},
     .ggml_type = 3,
     .rms_error_bound = {.value = 0.15}},
    {.kind = FormatKind::kQ5_0,
     .name = "q5_0",
     .max_level = 0,
     .block = 32,
     .summary = "5-bit blocks of 32 + f16 scale (llama.cpp Q5_0)",
     .codec = kQ5_0Codec,
     .gemv = {GemvStrategy::kDirect, GemvStrategy::kDot, GemvStrategy::kDecode},
     .ggml_type = 6,
     .rms_error_bound = {.value = 0.075}},
    {.kind = FormatKind::kQ5_1,
     .name = "q5_1",
     .max_level = 0,
     .block = 32,
     .summary = "5-bit blocks of 32 + f16 scale and min (llama.cpp Q5_1)",
     .codec = kQ5_1Codec,
     .gemv = {GemvStrategy::kDirect, GemvStrategy::kDot, GemvStrategy::kDecode},
     .ggml_type = 7,
     .rms_error_bound = {.value = 0.075}},
    {.kind = FormatKind::kQins8Seed,
     .name = "qins8-seed",
     .max_level = 0,
     .block = 0,
     .summary = "design documents' convert_to_qins: code byte + sign byte, "
                "per-tensor log range",
     .codec = kQins8SeedCodec,
     .gemv = {GemvStrategy::kGather, GemvStrategy::kArith,
              GemvStrategy::kDecode},
     .rms_error_bound = {.value = 0.2}},
    {.kind = FormatKind::kQins8SeedRow,
     .name = "qins8-seed-row",
     .max_level = 0,
     .block = 0,
     .summary = "convert_to_qins with the log range per row",
     .codec = kQins8SeedRowCodec,
     .gemv = {GemvStrategy::kGather, GemvStrategy::kArith,
              GemvStrategy::kDecode},
     .rms_error_bound = {.value = 0.2}},
    {.kind = FormatKind::kQins8,
     .name = "qins8",
     .max_level = 0,
     .block = 0,
     .summary = "sign + 7-bit log code, per-row scale and exponent width "
                "(docs/formats.md)",
     .codec = kQins8Codec,
     // bitbuild: no table, no subnormal; a gather is ~10x slower. dot:
     // the weights as exact integers (kernels/gemv/gemv_qins8_dot-inl.h).
     .gemv = {GemvStrategy::kBitbuild, GemvStrategy::kDot,
              GemvStrategy::kGather, GemvStrategy::kDecode},
     .rms_error_bound = {.value = 0.015}},
    {.kind = FormatKind::kQins4,
     .name = "qins4",
     .max_level = 0,
     .block = 32,
     .summary = "sign + 3-bit magnitude from 16 learned tables, blocks of "
                "32 + 12-bit scale (docs/formats.md)",
     .codec = kQins4Codec,
     // dot: int8 tables (kQins4I8Values), auto's only through a rule.
     .gemv = {GemvStrategy::kRegtable, GemvStrategy::kDot,
              GemvStrategy::kGather, GemvStrategy::kDecode},
     .rms_error_bound = {.value = 0.15}},
    // FPINS: L + 2 byte loads and an f64 divide per weight dominate; the
    // decode path's store and reload add little (docs/gemv.md).
    {.kind = FormatKind::kFpinsSeed,
     .name = "fpins%d-seed",
     .max_level = 7,
     .block = 1,
     .summary =
         "FPINS: L+1 level bytes + sign byte, the documents' greedy encoder",
     .codec = kFpinsSeedCodec,
     .gemv = {GemvStrategy::kDecode},
     // L = 0 holds only magnitudes in [1, 256]: every N(0, 0.02) weight
     // decodes to +-1, an error of about 1 - |w| per weight, ~49x the RMS
     // weight (docs/fpins.md). L = 1 loses the 15% of weights below 1/256.
     // From L >= 2 on, in range; the greedy encoder is the coarser.
     .rms_error_bound = {.value = 0.15, .level0 = 55, .level1 = 0.1}},
    {.kind = FormatKind::kFpinsNearest,
     .name = "fpins%d-nearest",
     .max_level = 7,
     .block = 1,
     .summary =
         "FPINS: L+1 level bytes + sign byte, nearest representable product",
     .codec = kFpinsNearestCodec,
     .gemv = {GemvStrategy::kDecode},
     .rms_error_bound = {.value = 1e-3, .level0 = 55, .level1 = 0.1}},
    // ggml's K-quants and IQ4_XS: ggml's super-block bytes (kquant_blocks.h),
    // rows a multiple of 256 weights; GEMV through the SIMD row decoders
    // (kquant_decode-inl.h), and for every one of them also `dot`
    // (kernels/gemv/gemv_kquant_dot-inl.h), auto's choice on x86 by a rule
    // of kGemvAutoRules where its quality was measured; `decode`
    // elsewhere.
    {.kind = FormatKind::kQ2_K,
     .name = "q2_k",
     .max_level = 0,
     .block = 256,
     .summary = "ggml Q2_K: 2-bit codes, 4-bit scale and min per 16, "
                "256-weight super-blocks",
     .codec = kQ2_KCodec,
     .gemv = {GemvStrategy::kDot, GemvStrategy::kDecode},
     .col_multiple = 256,
     .ggml_type = 10,
     // The K-quants' bounds: ggml's reference quantizer measured on
     // N(0, 0.02) (qins-codec-stats, docs/formats.md): q2_k 0.296, q3_k
     // 0.151, q4_k 0.071, q5_k 0.036, q6_k 0.018, iq4_xs 0.077.
     .rms_error_bound = {.value = 0.35}},
    {.kind = FormatKind::kQ3_K,
     .name = "q3_k",
     .max_level = 0,
     .block = 256,
     .summary =
         "ggml Q3_K: 3-bit codes, 6-bit scale per 16, 256-weight super-blocks",
     .codec = kQ3_KCodec,
     .gemv = {GemvStrategy::kDot, GemvStrategy::kDecode},
     .col_multiple = 256,
     .ggml_type = 11,
     .rms_error_bound = {.value = 0.2}},
    {.kind = FormatKind::kQ4_K,
     .name = "q4_k",
     .max_level = 0,
     .block = 256,
     .summary = "ggml Q4_K: 4-bit codes, 6-bit scale and min per 32, "
                "256-weight super-blocks",
     .codec = kQ4_KCodec,
     .gemv = {GemvStrategy::kDot, GemvStrategy::kDecode},
     .col_multiple = 256,
     .ggml_type = 12,
     .rms_error_bound = {.value = 0.1}},
    {.kind = FormatKind::kQ5_K,
     .name = "q5_k",
     .max_level = 0,
     .block = 256,
     .summary = "ggml Q5_K: 5-bit codes, 6-bit scale and min per 32, "
                "256-weight super-blocks",
     .codec = kQ5_KCodec,
     .gemv = {GemvStrategy::kDot, GemvStrategy::kDecode},
     .col_multiple = 256,
     .ggml_type = 13,
     .rms_error_bound = {.value = 0.05}},
    {.kind = FormatKind::kQ6_K,
     .name = "q6_k",
     .max_level = 0,
     .block = 256,
     .summary =
         "ggml Q6_K: 6-bit codes, 8-bit scale per 16, 256-weight super-blocks",
     .codec = kQ6_KCodec,
     .gemv = {GemvStrategy::kDot, GemvStrategy::kDecode},
     .col_multiple = 256,
     .ggml_type = 14,
     .rms_error_bound = {.value = 0.025}},
    {.kind = FormatKind::kIQ4_XS,
     .name = "iq4_xs",
     .max_level = 0,
     .block = 256,
     .summary = "ggml IQ4_XS: iq4_nl codes, 6-bit scale per 32, 256-weight "
                "super-blocks",
     .codec = kIQ4XSCodec,
     .gemv = {GemvStrategy::kDot, GemvStrategy::kDecode},
     .col_multiple = 256,
     .ggml_type = 23,
     .rms_error_bound = {.value = 0.1}},
};

namespace format_table_internal {

constexpr bool RowsInEnumOrder() {
  for (size_t i = 0; i < std::size(kFormatTable); ++i) {
    if (static_cast<size_t>(kFormatTable[i].kind) != i) return false;
  }
  return true;
}

// Every row has a name, a summary and an error bound (its codec is a
// reference: a row without one does not compile), lists kDecode last, and lists
// no strategy twice and no kAuto before its end.
constexpr bool RowsComplete() {
  for (const FormatRow& r : kFormatTable) {
    if (r.name.empty() || r.summary.empty() || r.rms_error_bound.value < 0)
      return false;
    size_t n = 0;
    while (n < kMaxFormatStrategies && r.gemv[n] != GemvStrategy::kAuto) ++n;
    if (n == 0 || r.gemv[n - 1] != GemvStrategy::kDecode) return false;
    for (size_t i = n; i < kMaxFormatStrategies; ++i)
      if (r.gemv[i] != GemvStrategy::kAuto) return false;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j)
        if (r.gemv[i] == r.gemv[j]) return false;
  }
  return true;
}

}  // namespace format_table_internal

static_assert(std::size(kFormatTable) == kFormatKindCount,
              "kFormatTable needs exactly one row per FormatKind");
static_assert(format_table_internal::RowsInEnumOrder(),
              "kFormatTable rows must be in FormatKind order");
static_assert(format_table_internal::RowsComplete(),
              "every kFormatTable row needs a name, a summary, a codec, an "
              "error bound and GEMV strategies ending with kDecode, none "
              "twice");

inline const FormatRow& FormatRowOf(FormatKind kind) {
  return kFormatTable[static_cast<size_t>(kind)];
}

}  // namespace qins

#endif  // QINS_KERNELS_FORMATS_FORMAT_TABLE_H_
