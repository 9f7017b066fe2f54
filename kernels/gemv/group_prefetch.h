// Software prefetch of the next group of rows into L2, spread evenly over
// the iterations that process the current group. Target-independent (a
// compiler builtin), shared by the fused GEMV kernels.
//
// Why: the kernels read a group of 4 rows as 4 concurrent streams. With
// short rows (3 KiB: every 3072-column 1-byte matrix) the hardware
// prefetchers restart at every group, and cold throughput fell to about 0.6
// of the read bandwidth (docs/gemv.md, "Short rows"). Fetching the next
// group (the 4 * stride bytes right after this one) as one linear stream,
// at the rate this group is consumed, keeps DRAM busy across the switch.
// L2, not L1 (prefetcht1 on x86, PLDL2KEEP on Arm): prefetching a whole
// group into L1 evicts x (32 KiB at 8192 columns) and measured slower.

#ifndef QINS_KERNELS_GEMV_GROUP_PREFETCH_H_
#define QINS_KERNELS_GEMV_GROUP_PREFETCH_H_

#include <stddef.h>
#include <stdint.h>

namespace qins {

class GroupPrefetch {
 public:
  static constexpr size_t kLine = 64;

  // Prefetches [next, next + bytes) over `iters` calls to Step(). A null
  // `next` (no next group in this thread's range) makes Step() a no-op.
  GroupPrefetch(const uint8_t* next, size_t bytes, size_t iters)
      : p_(next),
        end_(next == nullptr ? next : next + bytes),
        lines_(next == nullptr || iters == 0
                   ? 0
                   : (bytes + kLine * iters - 1) / (kLine * iters)) {}

  // Cost per call: `lines` prefetch instructions (1-2 for 1-byte formats on
  // AVX-512 and AVX2), a compare and an add each.
  inline void Step() {
    for (size_t j = 0; j < lines_ && p_ < end_; ++j, p_ += kLine) {
      __builtin_prefetch(p_, /*rw=*/0, /*locality=*/2);
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  size_t lines_;
};

}  // namespace qins

#endif  // QINS_KERNELS_GEMV_GROUP_PREFETCH_H_
