// Software prefetch of a later group of rows into L2 (the next one, or the
// first at least kAheadBytes ahead), spread evenly over the iterations that
// process the current group. Target-independent (a
// compiler builtin), shared by the fused and block GEMV kernels (not f32:
// kernels/f32/gemv_f32-inl.h says why).
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

#include "kernels/formats/matrix_data.h"

namespace qins {

class GroupPrefetch {
 public:
  static constexpr size_t kLine = 64;
  // How far ahead ForGroup prefetches, at least: the first group that
  // starts this many bytes past the current one (the next group where a
  // group is larger). With the next group only, a group of 640-column rows
  // (q8_0: 2.7 KiB, consumed in ~0.2 us on one core) was requested too
  // late to arrive in time: Gemma 3's 262144 x 640 Q8_0 classifier ran at
  // 0.55-0.62 of the read bandwidth cold on 2 threads, 0.95-0.98 with 16
  // KiB (AMD EPYC Zen 4, 2026-12-07; docs/gemv.md, "Prefetch distance").
  static constexpr size_t kAheadBytes = 16384;

  // Prefetches [target, target + bytes) over `iters` calls to Step(), at
  // least one line per call. The caller passes the next group as `target`,
  // or the current group when it is the last of its range: then the
  // prefetches hit lines already on their way and cost only their issue
  // slots, and Step() needs no branch for "nothing to prefetch".
  GroupPrefetch(const uint8_t* target, size_t bytes, size_t iters)
      : p_(target),
        lines_(iters == 0 || bytes <= kLine * iters
                   ? 1
                   : (bytes + kLine * iters - 1) / (kLine * iters)) {}

  // For the 4-row group at row r of a thread's rows [.., r1), processed in
  // `iters` inner iterations: the group k = ceil(kAheadBytes / (4 *
  // stride)) groups ahead (4 * stride bytes from row r + 4k) when the range
  // has it, else the current group. Forced inline:
  // without it GCC 12 gave q4_0 regtable 0.04 more instructions per weight
  // (callgrind, AVX2).
  __attribute__((always_inline)) static GroupPrefetch ForGroup(
      const QuantizedMatrix::Data& m, size_t r, size_t r1, size_t iters) {
    const size_t group = 4 * m.row_stride;
    const size_t next = r + 4 * ((kAheadBytes + group - 1) / group);
    return GroupPrefetch(m.row(next + 4 <= r1 ? next : r), group, iters);
  }

  // Cost per call: `lines` prefetch instructions, a compare and branch per
  // line beyond the first (the same outcome every call) and one add: 4
  // instructions for 1 line (1-byte formats on AVX2), 7 for 2 (1-byte
  // formats on AVX-512). No bounds check: prefetches never fault.
  inline void Step() {
    __builtin_prefetch(p_, /*rw=*/0, /*locality=*/2);
    if (lines_ > 1) {
      __builtin_prefetch(p_ + kLine, /*rw=*/0, /*locality=*/2);
      for (size_t j = 2; j < lines_; ++j) {
        __builtin_prefetch(p_ + j * kLine, /*rw=*/0, /*locality=*/2);
      }
    }
    p_ += lines_ * kLine;
  }

 private:
  const uint8_t* p_;
  size_t lines_;
};

}  // namespace qins

#endif  // QINS_KERNELS_GEMV_GROUP_PREFETCH_H_
