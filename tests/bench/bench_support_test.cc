// The benches' hardware-counter columns: computed from the counts that are
// available, absent for the ones that are not (never zero), flagged when the
// kernel multiplexed them. The machines this runs on may have no PMU, so the
// counts here are made up; PerfCounterGroup itself is tested in
// tests/dispatch/perf_counters_test.cc.
#include "bench/bench_support.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace qins::bench {
namespace {

PerfValue Counted(PerfEvent e, double v, bool scaled = false) {
  PerfValue p;
  p.event = e;
  p.value = v;
  p.raw = static_cast<uint64_t>(scaled ? v / 2 : v);
  p.time_enabled_ns = 1000;
  p.time_running_ns = scaled ? 500 : 1000;
  return p;
}

PerfValue Unavailable(PerfEvent e) {
  PerfValue p;
  p.event = e;
  p.unavailable = "ENOENT (No such file or directory): no PMU";
  return p;
}

TEST(BenchSupportTest, CounterColumnsFromAvailableEvents) {
  // 4096 weights, 2048 bytes (0.5 byte/weight).
  const auto c =
      HardwareCounterColumns({Counted(PerfEvent::kCycles, 8192),
                              Counted(PerfEvent::kInstructions, 12288),
                              Counted(PerfEvent::kLlcLoadMisses, 64)},
                             4096, 2048);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_DOUBLE_EQ(c.at("cycles/weight"), 2.0);
  EXPECT_DOUBLE_EQ(c.at("instr/weight"), 3.0);
  EXPECT_DOUBLE_EQ(c.at("IPC"), 1.5);
  EXPECT_DOUBLE_EQ(c.at("LLC-miss/KiB"), 32.0);  // 64 misses over 2 KiB
  EXPECT_EQ(c.count("counters_scaled"), 0u);
}

TEST(BenchSupportTest, UnavailableEventsGiveNoColumn) {
  auto c = HardwareCounterColumns(
      {Unavailable(PerfEvent::kCycles), Unavailable(PerfEvent::kInstructions),
       Unavailable(PerfEvent::kLlcLoadMisses)},
      4096, 2048);
  EXPECT_TRUE(c.empty());
  // Instructions without cycles: instr/weight, but no IPC.
  c = HardwareCounterColumns({Unavailable(PerfEvent::kCycles),
                              Counted(PerfEvent::kInstructions, 4096)},
                             4096, 2048);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_DOUBLE_EQ(c.at("instr/weight"), 1.0);
  // Zero cycles (a region too short to count) gives no IPC either.
  c = HardwareCounterColumns(
      {Counted(PerfEvent::kCycles, 0), Counted(PerfEvent::kInstructions, 10)},
      4096, 2048);
  EXPECT_EQ(c.count("IPC"), 0u);
  EXPECT_EQ(c.count("cycles/weight"), 1u);
  // No weights (a row that never ran): nothing.
  EXPECT_TRUE(
      HardwareCounterColumns({Counted(PerfEvent::kCycles, 10)}, 0, 0).empty());
}

TEST(BenchSupportTest, MultiplexedCountsAreFlagged) {
  const auto c = HardwareCounterColumns(
      {Counted(PerfEvent::kCycles, 8192, /*scaled=*/true),
       Counted(PerfEvent::kInstructions, 8192)},
      4096, 2048);
  EXPECT_DOUBLE_EQ(c.at("cycles/weight"), 2.0);  // the scaled value is used
  EXPECT_EQ(c.at("counters_scaled"), 1.0);
}

}  // namespace
}  // namespace qins::bench
