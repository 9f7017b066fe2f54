// Per-target lookup-family kernels (kernels/qins_tables), resolved for a
// target.
#ifndef QINS_DISPATCH_LOOKUP_KERNELS_H_
#define QINS_DISPATCH_LOOKUP_KERNELS_H_

#include <stddef.h>
#include <stdint.h>

#include "qins/targets.h"

namespace qins {

struct LookupKernels {
  int64_t target_bit;     // the target these pointers were compiled for
  size_t (*i32_lanes)();  // 32-bit lanes per vector = codes per gather
  // out[i] = base[table_offset + a[i] * 256 + b[i]], i < n. base is 4-byte
  // aligned and base[table_offset + 65535 + 3] is readable (4-byte words are
  // gathered). out may equal a or b.
  void (*lookup_pairs)(const uint8_t* base, uint32_t table_offset,
                       const uint8_t* a, const uint8_t* b, uint8_t* out,
                       size_t n);
  // out[i] = (a[i] * b[i]) / (a[i] + b[i]).
  void (*harmonic_add_f32)(const float* a, const float* b, float* out,
                           size_t n);
  // out[i] = a[i] * b[i].
  void (*mul_f32)(const float* a, const float* b, float* out, size_t n);
};

// Precondition: IsCompiled(t).
const LookupKernels& GetLookupKernels(Target t);

}  // namespace qins

#endif  // QINS_DISPATCH_LOOKUP_KERNELS_H_
