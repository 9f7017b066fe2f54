// PerfCounterGroup: software events must really count (CPU time of a busy
// loop, page faults of freshly touched pages, threads created under inherit);
// hardware events are either counted (machines with a PMU: cycles > 0) or
// unavailable with a reason and no value (machines without one, such as the
// VMs this project is built on). Both branches assert something.
#include "qins/perf_counters.h"

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace qins {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

// CPU time of the calling thread, seconds.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}

// Spins until this thread has used `seconds` of CPU time; returns a value
// that depends on every iteration so the loop cannot be removed.
uint64_t BusyLoop(double seconds) {
  const double end = ThreadCpuSeconds() + seconds;
  uint64_t x = 1;
  while (ThreadCpuSeconds() < end) {
    for (int i = 0; i < 10000; ++i) x = x * 6364136223846793005ull + 1;
  }
  return x;
}

const PerfValue& Find(const std::vector<PerfValue>& v, PerfEvent e) {
  for (const PerfValue& p : v) {
    if (p.event == e) return p;
  }
  ADD_FAILURE() << "event " << PerfEventName(e) << " missing from Read()";
  static const PerfValue none;
  return none;
}

// Opens `events`; skips the test (with the kernel's reason) only when the
// software events themselves are refused: no perf_event_open at all (non
// Linux, seccomp, qemu-user) or perf_event_paranoid 3. Any other refusal of
// a software event is a failure.
std::optional<PerfCounterGroup> OpenOrSkip(const PerfCounterOptions& o,
                                           std::string* skip) {
  StatusOr<PerfCounterGroup> g = PerfCounterGroup::Open(o);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  if (!g.ok()) return std::nullopt;
  if (!g->available(PerfEvent::kTaskClock)) {
    const std::string r = g->unavailable_reason(PerfEvent::kTaskClock);
    EXPECT_FALSE(r.empty());
#if defined(__linux__)
    const bool expected = r.rfind("ENOSYS", 0) == 0 ||
                          r.rfind("EACCES", 0) == 0 || r.rfind("EPERM", 0) == 0;
    EXPECT_TRUE(expected) << "task-clock refused for an unexpected reason: "
                          << r;
#endif
    *skip = "software perf events unavailable here: " + r;
    return std::nullopt;
  }
  return std::move(*g);
}

#define OPEN_OR_SKIP(var, options)                           \
  std::string skip_reason_;                                  \
  std::optional<PerfCounterGroup> var##_opt =                \
      OpenOrSkip(options, &skip_reason_);                    \
  if (!var##_opt) {                                          \
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_; \
    return;                                                  \
  }                                                          \
  PerfCounterGroup& var = *var##_opt

PerfCounterOptions Software() {
  PerfCounterOptions o;
  o.events = {PerfEvent::kTaskClock, PerfEvent::kPageFaults,
              PerfEvent::kContextSwitches};
  return o;
}

TEST(PerfCountersTest, NamesRoundTripAndUnknownNamesAreErrors) {
  const std::vector<PerfEvent> all = AllPerfEvents();
  EXPECT_EQ(all.size(), 11u);
  for (PerfEvent e : all) {
    StatusOr<PerfEvent> p = ParsePerfEvent(PerfEventName(e));
    ASSERT_TRUE(p.ok()) << PerfEventName(e);
    EXPECT_EQ(*p, e);
  }
  EXPECT_TRUE(IsHardwarePerfEvent(PerfEvent::kCycles));
  EXPECT_TRUE(IsHardwarePerfEvent(PerfEvent::kLlcLoadMisses));
  EXPECT_FALSE(IsHardwarePerfEvent(PerfEvent::kTaskClock));
  StatusOr<PerfEvent> bad = ParsePerfEvent("cycels");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("LLC-load-misses"), std::string::npos)
      << bad.status().message();
}

TEST(PerfCountersTest, InvalidEventListsAreErrors) {
  PerfCounterOptions empty;
  empty.events.clear();
  StatusOr<PerfCounterGroup> g = PerfCounterGroup::Open(empty);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);

  PerfCounterOptions twice;
  twice.events = {PerfEvent::kTaskClock, PerfEvent::kPageFaults,
                  PerfEvent::kTaskClock};
  g = PerfCounterGroup::Open(twice);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("task-clock requested twice"),
            std::string::npos)
      << g.status().message();

  PerfCounterOptions out_of_range;
  out_of_range.events = {static_cast<PerfEvent>(99)};
  g = PerfCounterGroup::Open(out_of_range);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
}

TEST(PerfCountersTest, StartStopResumeReadOrderIsChecked) {
  // Independent of what the kernel grants: the state machine is the same
  // with every event unavailable.
  StatusOr<PerfCounterGroup> g = PerfCounterGroup::Open(Software());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_FALSE(g->Read().ok());    // before Start
  EXPECT_FALSE(g->Stop().ok());    // not counting
  EXPECT_FALSE(g->Resume().ok());  // never started
  ASSERT_TRUE(g->Start().ok());
  EXPECT_TRUE(g->counting());
  const Status twice = g->Start();
  EXPECT_FALSE(twice.ok());
  EXPECT_EQ(twice.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(g->Resume().ok());  // already counting
  EXPECT_TRUE(g->Read().ok());     // reading while counting is allowed
  ASSERT_TRUE(g->Stop().ok());
  EXPECT_FALSE(g->counting());
  EXPECT_FALSE(g->Stop().ok());
  EXPECT_TRUE(g->Resume().ok());
  EXPECT_TRUE(g->Stop().ok());
  // Moving keeps the opened events.
  PerfCounterGroup moved = std::move(*g);
  EXPECT_EQ(moved.events().size(), 3u);
  EXPECT_TRUE(moved.Start().ok());
  EXPECT_TRUE(moved.Stop().ok());
}

TEST(PerfCountersTest, TaskClockMeasuresABusyLoopAndStopsWhenStopped) {
  OPEN_OR_SKIP(g, Software());
  const double cpu0 = ThreadCpuSeconds();
  ASSERT_TRUE(g.Start().ok());
  volatile uint64_t sink = BusyLoop(0.05);
  ASSERT_TRUE(g.Stop().ok());
  const double cpu = ThreadCpuSeconds() - cpu0;
  StatusOr<std::vector<PerfValue>> v = g.Read();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const PerfValue tc = Find(*v, PerfEvent::kTaskClock);  // v is reassigned
  ASSERT_TRUE(tc.value.has_value()) << tc.unavailable;
  EXPECT_TRUE(tc.unavailable.empty());
  EXPECT_FALSE(tc.scaled());  // software events are never multiplexed
  // task-clock is CPU time in ns: at least the 50 ms spun, at most the
  // thread's CPU time over the whole region.
  EXPECT_GE(*tc.value, 0.045e9);
  EXPECT_LE(*tc.value, cpu * 1e9 * 1.05 + 1e6) << "thread cpu " << cpu;

  // Stopped: another loop does not count.
  sink = sink + BusyLoop(0.02);
  v = g.Read();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Find(*v, PerfEvent::kTaskClock).raw, tc.raw);

  // Resumed: the next loop adds to the same count.
  ASSERT_TRUE(g.Resume().ok());
  sink = sink + BusyLoop(0.03);
  ASSERT_TRUE(g.Stop().ok());
  v = g.Read();
  ASSERT_TRUE(v.ok());
  EXPECT_GE(*Find(*v, PerfEvent::kTaskClock).value, *tc.value + 0.025e9);

  // Start() zeroes.
  ASSERT_TRUE(g.Start().ok());
  ASSERT_TRUE(g.Stop().ok());
  v = g.Read();
  ASSERT_TRUE(v.ok());
  EXPECT_LT(*Find(*v, PerfEvent::kTaskClock).value, 0.02e9);
}

#if defined(__linux__)
TEST(PerfCountersTest, PageFaultsCountFreshlyTouchedPages) {
  OPEN_OR_SKIP(g, Software());
  ASSERT_TRUE(g.available(PerfEvent::kPageFaults))
      << g.unavailable_reason(PerfEvent::kPageFaults);
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t pages = 4096;
  const size_t bytes = pages * page;
  void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  // One fault per base page, not per transparent huge page.
  madvise(m, bytes, MADV_NOHUGEPAGE);
  char* p = static_cast<char*>(m);

  ASSERT_TRUE(g.Start().ok());
  for (size_t i = 0; i < bytes; i += page) p[i] = 1;
  ASSERT_TRUE(g.Stop().ok());
  StatusOr<std::vector<PerfValue>> v = g.Read();
  ASSERT_TRUE(v.ok());
  const PerfValue& faults = Find(*v, PerfEvent::kPageFaults);
  ASSERT_TRUE(faults.value.has_value()) << faults.unavailable;
  EXPECT_GE(*faults.value, 0.9 * pages);
  // AddressSanitizer reads one shadow byte per 8 bytes written: the shadow
  // of fresh pages faults too (one page per 8).
  EXPECT_LE(*faults.value, (1.1 + (kAsan ? 0.125 : 0.0)) * pages + 64);

  // Touching the same pages again faults (almost) nothing.
  ASSERT_TRUE(g.Start().ok());
  for (size_t i = 0; i < bytes; i += page) p[i] = 2;
  ASSERT_TRUE(g.Stop().ok());
  v = g.Read();
  ASSERT_TRUE(v.ok());
  EXPECT_LT(*Find(*v, PerfEvent::kPageFaults).value, 64.0);
  munmap(m, bytes);
}
#endif

TEST(PerfCountersTest, InheritCountsThreadsCreatedAfterOpen) {
  PerfCounterOptions with = Software();
  with.inherit = true;
  OPEN_OR_SKIP(g, with);
  StatusOr<PerfCounterGroup> own = PerfCounterGroup::Open(Software());
  ASSERT_TRUE(own.ok());
  ASSERT_TRUE(g.Start().ok());
  ASSERT_TRUE(own->Start().ok());
  std::thread t([] {
    volatile uint64_t s = BusyLoop(0.06);
    (void)s;
  });
  t.join();
  ASSERT_TRUE(own->Stop().ok());
  ASSERT_TRUE(g.Stop().ok());
  StatusOr<std::vector<PerfValue>> inherited = g.Read();
  StatusOr<std::vector<PerfValue>> calling = own->Read();
  ASSERT_TRUE(inherited.ok() && calling.ok());
  // The child's 60 ms of CPU time are in the inherited count only; the
  // calling thread itself mostly waited in join().
  EXPECT_GE(*Find(*inherited, PerfEvent::kTaskClock).value, 0.055e9);
  EXPECT_LT(*Find(*calling, PerfEvent::kTaskClock).value, 0.03e9);
}

// Whether the kernel registered a core PMU (sysfs event source).
bool HasCorePmu() {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& d :
       fs::directory_iterator("/sys/bus/event_source/devices", ec)) {
    const std::string n = d.path().filename().string();
    if (n == "cpu" || n == "cpu_core" || n == "cpu_atom" ||
        n.rfind("armv8", 0) == 0 || n.rfind("armv7", 0) == 0) {
      return true;
    }
  }
  return false;
}

TEST(PerfCountersTest, HardwareEventsAreCountedOrUnavailableWithAReason) {
  StatusOr<PerfCounterGroup> g = PerfCounterGroup::Open();
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_TRUE(g->Start().ok());
  volatile uint64_t sink = BusyLoop(0.02);
  (void)sink;
  ASSERT_TRUE(g->Stop().ok());
  StatusOr<std::vector<PerfValue>> v = g->Read();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_EQ(v->size(), AllPerfEvents().size());
  for (const PerfValue& p : *v) {
    SCOPED_TRACE(PerfEventName(p.event));
    // Exactly one of a value and a reason.
    EXPECT_NE(p.value.has_value(), !p.unavailable.empty()) << p.unavailable;
    if (!g->available(p.event)) {
      EXPECT_FALSE(p.value.has_value());
      EXPECT_EQ(p.unavailable, g->unavailable_reason(p.event));
      EXPECT_EQ(p.raw, 0u);
    } else {
      EXPECT_TRUE(g->unavailable_reason(p.event).empty());
    }
  }
  const PerfValue& cycles = Find(*v, PerfEvent::kCycles);
  if (!HasCorePmu()) {
    // No PMU (this project's VMs): the kernel must refuse, and say why.
    EXPECT_FALSE(g->available(PerfEvent::kCycles));
    EXPECT_FALSE(cycles.value.has_value());
#if defined(__linux__)
    EXPECT_TRUE(cycles.unavailable.rfind("ENOENT", 0) == 0 ||
                cycles.unavailable.rfind("EOPNOTSUPP", 0) == 0 ||
                cycles.unavailable.rfind("ENODEV", 0) == 0 ||
                cycles.unavailable.rfind("ENOSYS", 0) == 0)
        << cycles.unavailable;
#endif
  } else if (cycles.value) {
    // A PMU that counts: a 20 ms busy loop takes millions of cycles.
    EXPECT_GT(*cycles.value, 1e6);
    const PerfValue& instr = Find(*v, PerfEvent::kInstructions);
    if (instr.value) {
      EXPECT_GT(*instr.value, 1e6);
    }
  } else {
    // A PMU the kernel would not let us use (paranoid level, busy counters).
    EXPECT_FALSE(cycles.unavailable.empty());
  }
  std::printf("cycles: %s\n",
              cycles.value ? std::to_string(*cycles.value).c_str()
                           : ("unavailable: " + cycles.unavailable).c_str());
}

}  // namespace
}  // namespace qins
