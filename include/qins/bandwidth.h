// Read bandwidth measured on the caller's Context, so that a kernel's
// throughput can be reported as a fraction of what the same run could read.
#ifndef QINS_BANDWIDTH_H_
#define QINS_BANDWIDTH_H_

#include <cstddef>
#include <cstdint>

#include "qins/context.h"
#include "qins/export.h"
#include "qins/status.h"

namespace qins {

struct ReadBandwidth {
  double bytes_per_second = 0;  // best of the repetitions
  double median_bytes_per_second = 0;
  size_t bytes_per_pass = 0;  // one buffer
  size_t buffers = 0;         // rotated through: >1 means "cold"
  int repetitions = 0;
};

// Streams `buffers` buffers of `bytes_per_buffer` each, one after another
// and round-robin, summing them with ctx's threads split the same way a GEMV
// splits its rows (contiguous blocks). buffers == 1 measures a hot buffer (in
// cache if it fits); enough buffers to exceed the last-level cache measure
// DRAM. Runs `repetitions` timed passes of at least `min_seconds` each after
// one warm-up pass.
QINS_API StatusOr<ReadBandwidth> MeasureReadBandwidth(const Context& ctx,
                                                      size_t bytes_per_buffer,
                                                      size_t buffers,
                                                      double min_seconds = 0.05,
                                                      int repetitions = 5);

// Reads p[0, bytes) once with ctx's threads, split into contiguous shares
// like a GEMV's row blocks, and returns a checksum (wrapping sum of its 32-bit
// words plus the tail bytes). This is the kernel MeasureReadBandwidth times;
// benches call it on their own weight buffers to measure bandwidth side by
// side with a kernel.
QINS_API uint32_t ParallelReadBytes(const Context& ctx, const void* p,
                                    size_t bytes);

}  // namespace qins

#endif  // QINS_BANDWIDTH_H_
