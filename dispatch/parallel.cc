#include "dispatch/parallel.h"

#include <algorithm>

#include "dispatch/context_impl.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/partitioner.h"

namespace qins {

// noexcept: an exception escaping fn (rethrown here by oneTBB on the calling
// thread) calls std::terminate, as qins/context.h documents.
void ParallelForRanges(const Context& ctx, size_t n, size_t grain, RangeFn fn,
                       void* closure) noexcept {
  if (n == 0) return;
  if (grain == 0) grain = 1;
  const Context::Impl& impl = ctx.impl();
  // One contiguous share per thread, each at least `grain` long.
  const size_t parts = std::min<size_t>(static_cast<size_t>(impl.num_threads),
                                        std::max<size_t>(1, n / grain));
  if (parts <= 1 || !impl.arena) {
    fn(closure, 0, n);
    return;
  }
  impl.arena->execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, parts, 1),
        [&](const tbb::blocked_range<size_t>& r) {
          for (size_t p = r.begin(); p != r.end(); ++p) {
            fn(closure, n * p / parts, n * (p + 1) / parts);
          }
        },
        tbb::static_partitioner());
  });
}

}  // namespace qins
