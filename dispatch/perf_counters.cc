// PerfCounterGroup over Linux perf_event_open(2) (no libpfm, no perf tool):
// each event is one file descriptor; groups are enabled and disabled through
// their leader. Counts are read as {value, time_enabled, time_running} per
// descriptor, and a region's count is the difference from a snapshot taken
// at Start() (PERF_EVENT_IOC_RESET does not reset the two times, so
// differences keep the count and its multiplexing ratio consistent).
#include "qins/perf_counters.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace qins {
namespace {

constexpr PerfEvent kAllEvents[] = {
    PerfEvent::kCycles,
    PerfEvent::kInstructions,
    PerfEvent::kCacheReferences,
    PerfEvent::kCacheMisses,
    PerfEvent::kLlcLoadMisses,
    PerfEvent::kBranchMisses,
    PerfEvent::kStalledCyclesFrontend,
    PerfEvent::kStalledCyclesBackend,
    PerfEvent::kTaskClock,
    PerfEvent::kPageFaults,
    PerfEvent::kContextSwitches,
};
constexpr int kNumEvents = sizeof(kAllEvents) / sizeof(kAllEvents[0]);

bool IsValidEvent(PerfEvent e) {
  const int i = static_cast<int>(e);
  return i >= 0 && i < kNumEvents;
}

// Hardware events are opened in these groups (an event's group is the index
// into this list); software events are each their own group (-1). Three
// events at most per group, so every group fits a PMU with three
// programmable counters (fixed counters for cycles/instructions on Intel
// only help).
int GroupOf(PerfEvent e) {
  switch (e) {
    case PerfEvent::kCycles:
    case PerfEvent::kInstructions:
    case PerfEvent::kBranchMisses:
      return 0;
    case PerfEvent::kCacheReferences:
    case PerfEvent::kCacheMisses:
    case PerfEvent::kLlcLoadMisses:
      return 1;
    case PerfEvent::kStalledCyclesFrontend:
    case PerfEvent::kStalledCyclesBackend:
      return 2;
    default:
      return -1;
  }
}

#if defined(__linux__)
// (type, config) of an event in perf_event_attr terms.
void EventAttr(PerfEvent e, __u32* type, __u64* config) {
  *type = PERF_TYPE_HARDWARE;
  switch (e) {
    case PerfEvent::kCycles:
      *config = PERF_COUNT_HW_CPU_CYCLES;
      return;
    case PerfEvent::kInstructions:
      *config = PERF_COUNT_HW_INSTRUCTIONS;
      return;
    case PerfEvent::kCacheReferences:
      *config = PERF_COUNT_HW_CACHE_REFERENCES;
      return;
    case PerfEvent::kCacheMisses:
      *config = PERF_COUNT_HW_CACHE_MISSES;
      return;
    case PerfEvent::kLlcLoadMisses:
      *type = PERF_TYPE_HW_CACHE;
      *config = PERF_COUNT_HW_CACHE_LL | (PERF_COUNT_HW_CACHE_OP_READ << 8) |
                (PERF_COUNT_HW_CACHE_RESULT_MISS << 16);
      return;
    case PerfEvent::kBranchMisses:
      *config = PERF_COUNT_HW_BRANCH_MISSES;
      return;
    case PerfEvent::kStalledCyclesFrontend:
      *config = PERF_COUNT_HW_STALLED_CYCLES_FRONTEND;
      return;
    case PerfEvent::kStalledCyclesBackend:
      *config = PERF_COUNT_HW_STALLED_CYCLES_BACKEND;
      return;
    case PerfEvent::kTaskClock:
      *type = PERF_TYPE_SOFTWARE;
      *config = PERF_COUNT_SW_TASK_CLOCK;
      return;
    case PerfEvent::kPageFaults:
      *type = PERF_TYPE_SOFTWARE;
      *config = PERF_COUNT_SW_PAGE_FAULTS;
      return;
    case PerfEvent::kContextSwitches:
      *type = PERF_TYPE_SOFTWARE;
      *config = PERF_COUNT_SW_CONTEXT_SWITCHES;
      return;
  }
}

std::string ParanoidLevel() {
  std::ifstream f("/proc/sys/kernel/perf_event_paranoid");
  std::string level;
  if (!(f >> level)) return "unknown";
  return level;
}

const char* ErrnoName(int err) {
  switch (err) {
    case ENOENT:
      return "ENOENT";
    case EOPNOTSUPP:
      return "EOPNOTSUPP";
    case EACCES:
      return "EACCES";
    case EPERM:
      return "EPERM";
    case ENODEV:
      return "ENODEV";
    case ENOSYS:
      return "ENOSYS";
    case EINVAL:
      return "EINVAL";
    case EMFILE:
      return "EMFILE";
    case EBUSY:
      return "EBUSY";
    default:
      return "errno";
  }
}

// "<ERRNO> (<strerror>): <what it usually means here>".
std::string Reason(PerfEvent e, int err) {
  std::string r = std::string(ErrnoName(err)) + " (" + std::strerror(err) + ")";
  const bool hw = IsHardwarePerfEvent(e);
  switch (err) {
    case ENOENT:
      return r + (hw ? ": the kernel has no such event for this CPU (no "
                       "hardware PMU exposed, as in VMs without PMU "
                       "passthrough, or this PMU lacks the event)"
                     : ": the kernel does not know this event");
    case EOPNOTSUPP:
      return r + ": the PMU cannot count this event in this mode";
    case ENODEV:
      return r + ": no PMU for this event type";
    case EACCES:
    case EPERM:
      return r +
             ": refused by kernel.perf_event_paranoid = " + ParanoidLevel() +
             " (lower it with sysctl, e.g. to 2, or run with CAP_PERFMON)";
    case ENOSYS:
      return r +
             ": perf_event_open is not available (kernel without "
             "CONFIG_PERF_EVENTS, a seccomp profile, or an emulator such as "
             "qemu-user that does not forward it)";
    case EMFILE:
      return r + ": out of file descriptors";
    default:
      return r;
  }
}
#endif  // __linux__

// {value, time_enabled, time_running}: the layout read(2) returns for
// read_format = TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING without GROUP.
struct RawCount {
  uint64_t value = 0, enabled = 0, running = 0;
};

}  // namespace

const char* PerfEventName(PerfEvent e) {
  switch (e) {
    case PerfEvent::kCycles:
      return "cycles";
    case PerfEvent::kInstructions:
      return "instructions";
    case PerfEvent::kCacheReferences:
      return "cache-references";
    case PerfEvent::kCacheMisses:
      return "cache-misses";
    case PerfEvent::kLlcLoadMisses:
      return "LLC-load-misses";
    case PerfEvent::kBranchMisses:
      return "branch-misses";
    case PerfEvent::kStalledCyclesFrontend:
      return "stalled-cycles-frontend";
    case PerfEvent::kStalledCyclesBackend:
      return "stalled-cycles-backend";
    case PerfEvent::kTaskClock:
      return "task-clock";
    case PerfEvent::kPageFaults:
      return "page-faults";
    case PerfEvent::kContextSwitches:
      return "context-switches";
  }
  return "unknown";
}

std::vector<PerfEvent> AllPerfEvents() {
  return std::vector<PerfEvent>(std::begin(kAllEvents), std::end(kAllEvents));
}

bool IsHardwarePerfEvent(PerfEvent e) { return GroupOf(e) >= 0; }

StatusOr<PerfEvent> ParsePerfEvent(std::string_view name) {
  std::string names;
  for (PerfEvent e : kAllEvents) {
    if (name == PerfEventName(e)) return e;
    names += names.empty() ? "" : ", ";
    names += PerfEventName(e);
  }
  return InvalidArgument("unknown perf event '" + std::string(name) +
                         "'; known: " + names);
}

struct PerfCounterGroup::Impl {
  struct Slot {
    PerfEvent event;
    int fd = -1;          // -1: unavailable
    bool leader = false;  // enable/disable act on leaders (whole group)
    std::string reason;   // why unavailable
    RawCount start;       // snapshot at Start()
  };
  std::vector<Slot> slots;  // in the order given to Open()
  bool started = false;
  bool counting = false;

  ~Impl() {
#if defined(__linux__)
    // Members first, then leaders (closing a leader first would turn its
    // members into singleton groups for an instant).
    for (int pass = 0; pass < 2; ++pass) {
      for (Slot& s : slots) {
        if (s.fd >= 0 && s.leader == (pass == 1)) close(s.fd);
      }
    }
#endif
  }

  Status ReadRaw(const Slot& s, RawCount* out) const {
#if defined(__linux__)
    uint64_t buf[3];
    const ssize_t n = read(s.fd, buf, sizeof(buf));
    if (n != static_cast<ssize_t>(sizeof(buf))) {
      return Status(
          StatusCode::kInternal,
          std::string("reading perf event ") + PerfEventName(s.event) +
              " failed: " + (n < 0 ? std::strerror(errno) : "short read"));
    }
    *out = RawCount{buf[0], buf[1], buf[2]};
    return Status::Ok();
#else
    (void)s;
    (void)out;
    return Status(StatusCode::kInternal, "perf events need Linux");
#endif
  }

  Status SetEnabled(bool on) {
#if defined(__linux__)
    for (const Slot& s : slots) {
      if (s.fd < 0 || !s.leader) continue;
      if (ioctl(s.fd, on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE,
                PERF_IOC_FLAG_GROUP) != 0) {
        return Status(StatusCode::kInternal,
                      std::string(on ? "enabling" : "disabling") +
                          " perf event " + PerfEventName(s.event) +
                          " failed: " + std::strerror(errno));
      }
    }
#else
    (void)on;
#endif
    return Status::Ok();
  }
};

PerfCounterGroup::PerfCounterGroup(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
PerfCounterGroup::PerfCounterGroup(PerfCounterGroup&&) noexcept = default;
PerfCounterGroup& PerfCounterGroup::operator=(PerfCounterGroup&&) noexcept =
    default;
PerfCounterGroup::~PerfCounterGroup() = default;

StatusOr<PerfCounterGroup> PerfCounterGroup::Open(
    const PerfCounterOptions& options) {
  if (options.events.empty()) {
    return InvalidArgument("PerfCounterGroup::Open: no events requested");
  }
  bool seen[kNumEvents] = {};
  for (PerfEvent e : options.events) {
    if (!IsValidEvent(e)) {
      return InvalidArgument("PerfCounterGroup::Open: invalid event value " +
                             std::to_string(static_cast<int>(e)));
    }
    if (seen[static_cast<int>(e)]) {
      return InvalidArgument(std::string("PerfCounterGroup::Open: event ") +
                             PerfEventName(e) + " requested twice");
    }
    seen[static_cast<int>(e)] = true;
  }
  auto impl = std::make_unique<Impl>();
  for (PerfEvent e : options.events) {
    Impl::Slot s;
    s.event = e;
    impl->slots.push_back(std::move(s));
  }

#if defined(__linux__)
  // Open group by group so that each group's leader is opened before its
  // members; software events (group -1) are opened one by one.
  auto open_one = [&](Impl::Slot& s, int group_fd) -> int {
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    EventAttr(s.event, &attr.type, &attr.config);
    attr.disabled = group_fd < 0 ? 1 : 0;  // members follow their leader
    attr.inherit = options.inherit ? 1 : 0;
    attr.exclude_kernel = options.count_kernel ? 0 : 1;
    attr.exclude_hv = options.count_kernel ? 0 : 1;
    attr.read_format =
        PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    return static_cast<int>(syscall(SYS_perf_event_open, &attr, /*pid=*/0,
                                    /*cpu=*/-1, group_fd, /*flags=*/0UL));
  };
  for (int group = -1; group < 3; ++group) {
    int leader_fd = -1;
    for (Impl::Slot& s : impl->slots) {
      if (GroupOf(s.event) != group) continue;
      int fd = open_one(s, group < 0 ? -1 : leader_fd);
      int err = fd < 0 ? errno : 0;
      if (fd < 0 && group >= 0 && leader_fd >= 0) {
        // It may exist but not fit in one group with the leader: count it
        // as its own group (it is then multiplexed independently).
        fd = open_one(s, -1);
        err = fd < 0 ? errno : 0;
        s.leader = fd >= 0;
      } else if (fd >= 0 && (group < 0 || leader_fd < 0)) {
        s.leader = true;
        if (group >= 0) leader_fd = fd;
      }
      s.fd = fd;
      if (fd < 0) s.reason = Reason(s.event, err);
    }
  }
#else
  for (Impl::Slot& s : impl->slots) {
    s.reason = "perf_event_open(2) is Linux-only";
  }
#endif
  return PerfCounterGroup(std::move(impl));
}

Status PerfCounterGroup::Start() {
  if (impl_->counting) {
    return InvalidArgument("PerfCounterGroup::Start: already counting");
  }
  for (Impl::Slot& s : impl_->slots) {
    if (s.fd < 0) continue;
    Status st = impl_->ReadRaw(s, &s.start);
    if (!st.ok()) return st;
  }
  impl_->started = true;
  impl_->counting = true;
  return impl_->SetEnabled(true);
}

Status PerfCounterGroup::Stop() {
  if (!impl_->counting) {
    return InvalidArgument("PerfCounterGroup::Stop: not counting");
  }
  impl_->counting = false;
  return impl_->SetEnabled(false);
}

Status PerfCounterGroup::Resume() {
  if (!impl_->started) {
    return InvalidArgument("PerfCounterGroup::Resume: Start() never called");
  }
  if (impl_->counting) {
    return InvalidArgument("PerfCounterGroup::Resume: already counting");
  }
  impl_->counting = true;
  return impl_->SetEnabled(true);
}

bool PerfCounterGroup::counting() const { return impl_->counting; }

StatusOr<std::vector<PerfValue>> PerfCounterGroup::Read() const {
  if (!impl_->started) {
    return InvalidArgument("PerfCounterGroup::Read: Start() never called");
  }
  std::vector<PerfValue> out;
  for (const Impl::Slot& s : impl_->slots) {
    PerfValue v;
    v.event = s.event;
    if (s.fd < 0) {
      v.unavailable = s.reason;
      out.push_back(std::move(v));
      continue;
    }
    RawCount now;
    Status st = impl_->ReadRaw(s, &now);
    if (!st.ok()) return st;
    v.raw = now.value - s.start.value;
    v.time_enabled_ns = now.enabled - s.start.enabled;
    v.time_running_ns = now.running - s.start.running;
    if (v.time_running_ns == 0 && v.time_enabled_ns > 0) {
      v.unavailable = "never on a PMU counter during the " +
                      std::to_string(v.time_enabled_ns) +
                      " ns it was enabled (counters taken by other events or "
                      "the hypervisor)";
    } else if (v.scaled()) {
      v.value =
          static_cast<double>(v.raw) * (static_cast<double>(v.time_enabled_ns) /
                                        static_cast<double>(v.time_running_ns));
    } else {
      v.value = static_cast<double>(v.raw);
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<PerfEvent> PerfCounterGroup::events() const {
  std::vector<PerfEvent> e;
  for (const Impl::Slot& s : impl_->slots) e.push_back(s.event);
  return e;
}

bool PerfCounterGroup::available(PerfEvent e) const {
  for (const Impl::Slot& s : impl_->slots) {
    if (s.event == e) return s.fd >= 0;
  }
  return false;
}

std::string PerfCounterGroup::unavailable_reason(PerfEvent e) const {
  for (const Impl::Slot& s : impl_->slots) {
    if (s.event == e) return s.reason;
  }
  return std::string(PerfEventName(e)) + " was not requested";
}

}  // namespace qins
