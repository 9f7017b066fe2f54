// Splits work over a Context's threads. Callers see plain functions; only
// dispatch/parallel.cc knows oneTBB.
#ifndef QINS_DISPATCH_PARALLEL_H_
#define QINS_DISPATCH_PARALLEL_H_

#include <stddef.h>

#include "qins/context.h"

namespace qins {

using RangeFn = void (*)(void* closure, size_t begin, size_t end);

// Calls fn(closure, begin, end) over min(threads, n / grain) disjoint
// contiguous ranges of near-equal length covering [0, n) (so each is at least
// `grain` long), on ctx's arena: one share per thread, so a streaming kernel
// reads one contiguous region per thread. Runs on the calling thread alone
// when ctx has one thread or n < 2 * grain.
void ParallelForRanges(const Context& ctx, size_t n, size_t grain, RangeFn fn,
                       void* closure);

template <class F>  // F: void(size_t begin, size_t end)
void ParallelFor(const Context& ctx, size_t n, size_t grain, F&& f) {
  ParallelForRanges(
      ctx, n, grain,
      [](void* c, size_t b, size_t e) { (*static_cast<F*>(c))(b, e); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace qins

#endif  // QINS_DISPATCH_PARALLEL_H_
