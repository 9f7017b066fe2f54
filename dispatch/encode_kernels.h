// Per-target SIMD row encoders (kernels/formats/*_encode-inl.h), by format
// kind. Quantize() uses them when present, else the codec's scalar encoder.
#ifndef QINS_DISPATCH_ENCODE_KERNELS_H_
#define QINS_DISPATCH_ENCODE_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

#include "kernels/formats/format_table.h"  // kFormatKindCount
#include "kernels/formats/matrix_data.h"
#include "qins/format.h"
#include "qins/targets.h"

namespace qins {

// Same contract as Codec::encode_rows: encodes rows [r0, r1) of W (stride in
// floats) into d; called concurrently for disjoint row ranges.
using EncodeRowsFn = void (*)(const float* w, size_t stride,
                              QuantizedMatrix::Data& d, size_t r0, size_t r1);

struct EncodeKernels {
  int64_t target_bit;
  // Indexed by FormatKind; null where the format has no per-target encoder.
  // A per-target encoder gives the same bytes and parameters on every target.
  EncodeRowsFn rows[kFormatKindCount];
};

// Precondition: IsCompiled(t).
const EncodeKernels& GetEncodeKernels(Target t);

}  // namespace qins

#endif  // QINS_DISPATCH_ENCODE_KERNELS_H_
