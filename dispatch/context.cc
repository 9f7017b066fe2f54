#include "qins/context.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "dispatch/context_impl.h"
#include "oneapi/tbb/info.h"

namespace qins {
namespace {

StatusOr<int> ParseThreads(const char* text, const char* what) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < 1 || v > kMaxThreads) {
    return InvalidArgument(std::string(what) + " must be an integer in [1, " +
                           std::to_string(kMaxThreads) + "], got '" + text +
                           "'");
  }
  return static_cast<int>(v);
}

}  // namespace

StatusOr<Context> Context::Create(const ContextOptions& options) {
  auto impl = std::make_shared<Impl>();

  // Target: explicit option, else QINS_TARGET, else the best supported.
  std::string target_name = options.target;
  const char* target_source = "ContextOptions::target";
  if (target_name.empty()) {
    if (const char* env = std::getenv("QINS_TARGET"); env && *env) {
      target_name = env;
      target_source = "QINS_TARGET";
    }
  }
  if (target_name.empty()) {
    impl->target = BestTarget();
  } else {
    StatusOr<Target> t = ParseTarget(target_name);
    if (!t.ok()) {
      return Status(t.status().code(),
                    std::string(target_source) + ": " + t.status().message());
    }
    impl->target = *t;
  }

  // NUMA node.
  if (options.numa_node < -1) {
    return InvalidArgument(
        "ContextOptions::numa_node must be -1 (no binding) "
        "or a node id >= 0, got " +
        std::to_string(options.numa_node));
  }
  const std::vector<tbb::numa_node_id> nodes = tbb::info::numa_nodes();
  if (options.numa_node >= 0) {
    bool found = false;
    for (tbb::numa_node_id n : nodes) found |= (n == options.numa_node);
    if (!found) {
      std::string list;
      for (tbb::numa_node_id n : nodes) {
        if (!list.empty()) list += ',';
        list += std::to_string(n);
      }
      return InvalidArgument("NUMA node " + std::to_string(options.numa_node) +
                             " does not exist; nodes: " + list);
    }
    impl->numa_node = options.numa_node;
  }

  // Threads: explicit option, else QINS_THREADS, else the node's concurrency.
  int threads = options.num_threads;
  // The same bound as QINS_THREADS: oneTBB crashes on arenas of 2^24 slots
  // and more (and throws std::bad_alloc near 2^31), and no machine it runs
  // on grants more workers than its hardware threads anyway.
  if (threads < 0 || threads > kMaxThreads) {
    return InvalidArgument("ContextOptions::num_threads must be in [0, " +
                           std::to_string(kMaxThreads) +
                           "] (0 = default), got " + std::to_string(threads));
  }
  if (threads == 0) {
    if (const char* env = std::getenv("QINS_THREADS"); env && *env) {
      StatusOr<int> t = ParseThreads(env, "QINS_THREADS");
      if (!t.ok()) return t.status();
      threads = *t;
    } else {
      threads = impl->numa_node >= 0
                    ? tbb::info::default_concurrency(impl->numa_node)
                    : tbb::info::default_concurrency();
    }
  }
  impl->num_threads = threads;
  const int hw = impl->numa_node >= 0
                     ? tbb::info::default_concurrency(impl->numa_node)
                     : tbb::info::default_concurrency();
  impl->concurrency = std::max(1, std::min(threads, hw));
  if (threads > 1) {
    tbb::task_arena::constraints c;
    c.set_max_concurrency(threads);
    if (impl->numa_node >= 0) c.set_numa_id(impl->numa_node);
    impl->arena = std::make_unique<tbb::task_arena>(c);
    impl->arena->initialize();
  }
  return Context(std::move(impl));
}

Target Context::target() const { return impl_->target; }
int Context::num_threads() const { return impl_->num_threads; }
int Context::concurrency() const { return impl_->concurrency; }
int Context::numa_node() const { return impl_->numa_node; }

}  // namespace qins
