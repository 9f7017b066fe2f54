// A Context says where kernels run: on which SIMD target and on which threads.
// It owns a oneTBB task_arena; there is no hidden global thread pool. A
// Context is cheap to copy (copies share the arena) and safe to use from
// several threads at once.
#ifndef QINS_CONTEXT_H_
#define QINS_CONTEXT_H_

#include <memory>
#include <string>

#include "qins/export.h"
#include "qins/status.h"
#include "qins/targets.h"

namespace qins {

struct ContextOptions {
  // Worker threads (including the calling thread). 0: the environment
  // variable QINS_THREADS if set, else all hardware threads of the NUMA node.
  int num_threads = 0;
  // Target name ("avx2", "scalar", ...). Empty: the environment variable
  // QINS_TARGET if set, else BestTarget().
  std::string target;
  // NUMA node to bind the arena to; -1: no binding.
  int numa_node = -1;
};

class Context {
 public:
  // Validates the options (and QINS_THREADS / QINS_TARGET when they are used):
  // an unknown or unsupported target, or a bad thread count, is an error.
  QINS_API static StatusOr<Context> Create(const ContextOptions& options = {});

  QINS_API Target target() const;
  QINS_API int num_threads() const;
  QINS_API int numa_node() const;  // -1 if not bound

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit Context(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace qins

#endif  // QINS_CONTEXT_H_
