// What a Context holds. Internal: only dispatch/ sees oneTBB.
#ifndef QINS_DISPATCH_CONTEXT_IMPL_H_
#define QINS_DISPATCH_CONTEXT_IMPL_H_

#include <memory>

#include "oneapi/tbb/task_arena.h"
#include "qins/context.h"

namespace qins {

struct Context::Impl {
  Target target;
  int num_threads = 1;
  int concurrency = 1;  // min(num_threads, hardware threads)
  int numa_node = -1;
  std::unique_ptr<tbb::task_arena> arena;  // null when num_threads == 1
};

}  // namespace qins

#endif  // QINS_DISPATCH_CONTEXT_IMPL_H_
