// Hardware and software event counters for a measured region of code, read
// through Linux perf_event_open(2). Many machines (VMs without PMU
// passthrough, containers, kernels with perf_event_paranoid >= 3) refuse some
// or all events; a refused event is reported as unavailable with the reason,
// never as a zero or an estimate.
//
// Which threads are counted: a PerfCounterGroup counts the thread that called
// Open(). With PerfCounterOptions::inherit it also counts every thread that
// thread creates after Open() (and their descendants), summed into one value;
// threads that already exist are never counted. To count a multi-threaded
// kernel, either open with inherit before the thread pool starts (e.g. before
// the first Context runs a kernel), or open one group on each thread.
//
// Thread safety: one PerfCounterGroup must not be used from two threads at
// once (external synchronisation); distinct groups are independent. Start,
// Stop and Read may be called from any thread: they act on the counted
// threads chosen at Open(), not on the caller.
#ifndef QINS_PERF_COUNTERS_H_
#define QINS_PERF_COUNTERS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qins/export.h"
#include "qins/status.h"

namespace qins {

// The events, named as `perf stat` names them.
enum class PerfEvent : int {
  // Hardware (PMU) events.
  kCycles,                 // core clock cycles (not TSC ticks)
  kInstructions,           // instructions retired
  kCacheReferences,        // PMU-defined "cache references" (LLC on x86)
  kCacheMisses,            // PMU-defined "cache misses" (LLC on x86)
  kLlcLoadMisses,          // last-level cache read misses (HW_CACHE LL)
  kBranchMisses,           // mispredicted branches retired
  kStalledCyclesFrontend,  // cycles the front end delivered no uops
  kStalledCyclesBackend,   // cycles the back end accepted no uops
  // Software (kernel) events: exist wherever perf_event_open does.
  kTaskClock,        // CPU time of the counted threads, nanoseconds
  kPageFaults,       // page faults (minor and major)
  kContextSwitches,  // context switches of the counted threads
};

// "cycles", "instructions", "cache-references", "cache-misses",
// "LLC-load-misses", "branch-misses", "stalled-cycles-frontend",
// "stalled-cycles-backend", "task-clock", "page-faults", "context-switches".
QINS_API const char* PerfEventName(PerfEvent e);
// Every event above, in declaration order.
QINS_API std::vector<PerfEvent> AllPerfEvents();
QINS_API bool IsHardwarePerfEvent(PerfEvent e);
// Parses a name from PerfEventName; an unknown name is an error listing them.
QINS_API StatusOr<PerfEvent> ParsePerfEvent(std::string_view name);

struct PerfCounterOptions {
  // Events to open; each at most once, at least one.
  std::vector<PerfEvent> events = AllPerfEvents();
  // Also count threads the opening thread creates after Open() (perf's
  // inherit flag). See the file comment.
  bool inherit = false;
  // Count kernel-mode work too. Off by default: perf_event_paranoid >= 2
  // (the usual default) allows only user-mode counting to unprivileged users.
  bool count_kernel = false;
};

// One event's count over the measured region(s).
struct PerfValue {
  PerfEvent event = PerfEvent::kCycles;
  // The count, scaled by time_enabled / time_running when the kernel had to
  // multiplex the PMU (see scaled()). Empty if and only if the event is
  // unavailable; `unavailable` then says why.
  std::optional<double> value;
  std::string unavailable;
  uint64_t raw = 0;              // the count as read, before scaling
  uint64_t time_enabled_ns = 0;  // time the event was enabled
  uint64_t time_running_ns = 0;  // time it was actually on a PMU counter
  // True when the event shared the PMU with others and `value` is the raw
  // count extrapolated to the enabled time (an estimate the kernel's own
  // times justify, reported as such).
  bool scaled() const { return time_running_ns < time_enabled_ns; }
};

// A set of events counted together over Start()..Stop() regions. Hardware
// events are opened in small perf groups that the PMU schedules as a unit, so
// ratios inside a group (cycles/instructions/branch-misses;
// cache-references/cache-misses/LLC-load-misses; the two stall counts) come
// from the same instants even when groups are multiplexed. Software events
// are opened one by one and are never multiplexed.
class PerfCounterGroup {
 public:
  // Opens the events, stopped. Events the kernel refuses are recorded as
  // unavailable (this is not an error); an empty or duplicated event list is.
  // On a system without perf_event_open (non-Linux) every event is
  // unavailable.
  QINS_API static StatusOr<PerfCounterGroup> Open(
      const PerfCounterOptions& options = {});

  QINS_API PerfCounterGroup(PerfCounterGroup&&) noexcept;
  QINS_API PerfCounterGroup& operator=(PerfCounterGroup&&) noexcept;
  QINS_API ~PerfCounterGroup();  // closes the events

  // Zeroes the counts and starts counting. Error if already counting.
  QINS_API Status Start();
  // Stops counting, keeping the counts. Error if not counting.
  QINS_API Status Stop();
  // Continues counting without zeroing (several regions summed). Error if
  // counting, or if Start() was never called.
  QINS_API Status Resume();
  QINS_API bool counting() const;

  // The counts since the last Start(), one per opened event in the order
  // given to Open(); while counting, up to now. Error before the first
  // Start(), or if the kernel fails a read.
  QINS_API StatusOr<std::vector<PerfValue>> Read() const;

  // The events, as given to Open().
  QINS_API std::vector<PerfEvent> events() const;
  // Whether the kernel accepted `e` at Open(); false for events not asked for.
  QINS_API bool available(PerfEvent e) const;
  // Why `e` is unavailable (errno name, text and a hint); empty if it is
  // available.
  QINS_API std::string unavailable_reason(PerfEvent e) const;

  struct Impl;

 private:
  explicit PerfCounterGroup(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace qins

#endif  // QINS_PERF_COUNTERS_H_
