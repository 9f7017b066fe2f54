// A Context says where kernels run: on which SIMD target and on which threads.
// It owns a oneTBB task_arena; there is no hidden global thread pool. A
// Context is cheap to copy (copies share the arena) and safe to use from
// several threads at once.
#ifndef QINS_CONTEXT_H_
#define QINS_CONTEXT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>

#include "qins/export.h"
#include "qins/status.h"
#include "qins/targets.h"

namespace qins {

// Upper bound of ContextOptions::num_threads and QINS_THREADS.
inline constexpr int kMaxThreads = 4096;

struct ContextOptions {
  // Worker threads (including the calling thread), in [0, kMaxThreads]. 0:
  // the environment variable QINS_THREADS if set (an integer in
  // [1, kMaxThreads]), else all hardware threads of the NUMA node. Larger
  // values, and negative ones, are refused (InvalidArgument), not clamped.
  int num_threads = 0;
  // Target name ("avx2", "scalar", ...). Empty: the environment variable
  // QINS_TARGET if set, else BestTarget().
  std::string target;
  // NUMA node to bind the arena to; -1: no binding. Other negative values
  // and nodes that do not exist are errors.
  int numa_node = -1;
};

class Context {
 public:
  // Validates the options (and QINS_THREADS / QINS_TARGET when they are used):
  // an unknown or unsupported target, or a bad thread count, is an error.
  QINS_API static StatusOr<Context> Create(const ContextOptions& options = {});

  QINS_API Target target() const;
  // The thread count asked for (or the default): the number of shares the
  // kernels split their work into. Results never depend on it.
  QINS_API int num_threads() const;
  // How many of those shares can run at once: min(num_threads(), the
  // hardware threads of the node). oneTBB grants an arena no more workers
  // than the machine has, so a larger num_threads() oversubscribes the
  // hardware threads instead of adding any.
  QINS_API int concurrency() const;
  QINS_API int numa_node() const;  // -1 if not bound

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit Context(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

// ParallelForRanges calls fn(closure, begin, end) for each range.
using ParallelRangeFn = void (*)(void* closure, std::size_t begin,
                                 std::size_t end);

// Splits [0, n) over ctx's threads and returns when all of it is done.
// - Ranges: min(ctx.num_threads(), max(1, n / grain)) disjoint, contiguous,
//   non-empty ranges of near-equal length that cover [0, n) exactly once, so
//   each is at least `grain` long (unless n < grain: then one range, [0, n));
//   one range per thread, so a streaming kernel reads one contiguous region per
//   thread. n == 0 calls nothing; grain == 0 is taken as 1. Which thread gets
//   which range is not fixed.
// - Threads: the ranges run on ctx's oneTBB arena, and the calling thread
//   joins the arena for the call and runs ranges too (if another call holds
//   the arena's slot for callers, it waits for the workers instead). With
//   one range (ctx has one thread, or n < 2 * grain) fn runs once, on the
//   calling thread, as fn(closure, 0, n). Several threads may call this on
//   one Context at once; they share its threads.
// - fn must be safe to call concurrently on disjoint ranges, and no
//   exception may escape it: one that does calls std::terminate.
QINS_API void ParallelForRanges(const Context& ctx, std::size_t n,
                                std::size_t grain, ParallelRangeFn fn,
                                void* closure) noexcept;

// ParallelForRanges with a callable f(size_t begin, size_t end), under the
// same contract (f is called concurrently and must not throw).
template <class F>
void ParallelFor(const Context& ctx, std::size_t n, std::size_t grain, F&& f) {
  using Fn = std::remove_reference_t<F>;
  ParallelForRanges(
      ctx, n, grain,
      [](void* c, std::size_t b, std::size_t e) {
        (*static_cast<Fn*>(c))(b, e);
      },
      const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace qins

#endif  // QINS_CONTEXT_H_
