// Per-target SIMD row decoders (kernels/formats/decode-inl.h), by format kind.
#ifndef QINS_DISPATCH_DECODE_KERNELS_H_
#define QINS_DISPATCH_DECODE_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

#include "kernels/formats/format_table.h"
#include "kernels/formats/matrix_data.h"
#include "qins/format.h"
#include "qins/targets.h"

namespace qins {

using DecodeRowFn = void (*)(const QuantizedMatrix::Data& m, size_t r,
                             float* out);

struct DecodeKernels {
  int64_t target_bit;
  // Indexed by FormatKind; null where a target has no SIMD decoder for a
  // format (FPINS on targets without f64 lanes): the scalar reference is used.
  DecodeRowFn row[kFormatKindCount];
};

// Precondition: IsCompiled(t).
const DecodeKernels& GetDecodeKernels(Target t);

}  // namespace qins

#endif  // QINS_DISPATCH_DECODE_KERNELS_H_
