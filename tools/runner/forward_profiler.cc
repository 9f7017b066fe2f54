#include "tools/runner/forward_profiler.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "tools/runner/report.h"

namespace qins::runner {
namespace {

constexpr PerfEvent kEvents[] = {
    PerfEvent::kCycles,        PerfEvent::kInstructions,
    PerfEvent::kLlcLoadMisses, PerfEvent::kTaskClock,
    PerfEvent::kPageFaults,    PerfEvent::kContextSwitches,
};
constexpr int kNumEvents = sizeof(kEvents) / sizeof(kEvents[0]);

std::string Fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof(b), f, v);
  return b;
}

}  // namespace

const char* RegionKindName(RegionKind k) {
  switch (k) {
    case RegionKind::kGemv:
      return "gemv";
    case RegionKind::kGemm:
      return "gemm";
    case RegionKind::kAttention:
      return "attention";
    case RegionKind::kRmsNorm:
      return "rmsnorm";
    case RegionKind::kRope:
      return "rope";
    case RegionKind::kSwiGlu:
      return "swiglu";
    case RegionKind::kResidual:
      return "residual";
    case RegionKind::kEmbedding:
      return "embedding";
    case RegionKind::kSampling:
      return "sampling";
  }
  return "?";
}

StatusOr<ForwardProfiler> ForwardProfiler::Create(bool counters) {
  ForwardProfiler p;
  if (counters) {
    PerfCounterOptions o;
    o.events.assign(std::begin(kEvents), std::end(kEvents));
    o.inherit = true;
    StatusOr<PerfCounterGroup> g = PerfCounterGroup::Open(o);
    if (!g.ok()) return g.status();
    p.counters_.emplace(std::move(*g));
    Status st = p.counters_->Start();
    if (!st.ok()) return st;
  }
  p.Mark();
  return p;
}

std::vector<PerfEvent> ForwardProfiler::events() const {
  if (!counters_) return {};
  return counters_->events();
}

std::vector<std::string> ForwardProfiler::unavailable_reasons() const {
  std::vector<std::string> r;
  for (PerfEvent e : events()) r.push_back(counters_->unavailable_reason(e));
  return r;
}

void ForwardProfiler::ReadCounters(std::vector<double>* out) {
  out->assign(counters_ ? kNumEvents : 0, 0.0);
  if (!counters_) return;
  StatusOr<std::vector<PerfValue>> v = counters_->Read();
  if (!v.ok()) return;  // a failed read counts nothing
  for (size_t i = 0; i < v->size() && i < out->size(); ++i)
    (*out)[i] = (*v)[i].value.value_or(0.0);
}

void ForwardProfiler::Mark() {
  ReadCounters(&last_counts_);
  last_ = std::chrono::steady_clock::now();
}

void ForwardProfiler::Lap(int region, double bytes, double flops) {
  const auto now = std::chrono::steady_clock::now();
  RegionStats& r = regions_[region];
  r.seconds += std::chrono::duration<double>(now - last_).count();
  r.bytes += bytes;
  r.flops += flops;
  ++r.calls;
  if (counters_) {
    ReadCounters(&now_counts_);
    r.counters.resize(now_counts_.size(), 0.0);
    for (size_t i = 0; i < now_counts_.size(); ++i)
      r.counters[i] += now_counts_[i] - last_counts_[i];
    std::swap(last_counts_, now_counts_);
  }
  last_ = std::chrono::steady_clock::now();
}

int ForwardProfiler::Region(RegionKind kind) {
  const int key = static_cast<int>(kind) << 16;
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  RegionStats r;
  r.name = RegionKindName(kind);
  r.kind = kind;
  regions_.push_back(r);
  return ids_[key] = static_cast<int>(regions_.size()) - 1;
}

int ForwardProfiler::Matmul(bool gemm, TensorClass cls, Format format) {
  const RegionKind kind = gemm ? RegionKind::kGemm : RegionKind::kGemv;
  const int key = (static_cast<int>(kind) << 16) |
                  (static_cast<int>(cls) << 8) |
                  (static_cast<int>(format.kind) << 3) | format.level;
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  RegionStats r;
  r.name = std::string(RegionKindName(kind)) + " " + TensorClassName(cls) +
           " " + FormatName(format);
  r.kind = kind;
  r.format = format;
  regions_.push_back(r);
  return ids_[key] = static_cast<int>(regions_.size()) - 1;
}

void ForwardProfiler::Reset() {
  for (RegionStats& r : regions_) {
    r.calls = 0;
    r.seconds = r.bytes = r.flops = 0;
    r.counters.clear();
  }
  Mark();
}

double ForwardProfiler::TotalSeconds() const {
  double s = 0;
  for (const RegionStats& r : regions_) s += r.seconds;
  return s;
}

double ForwardProfiler::KindSeconds(RegionKind kind) const {
  double s = 0;
  for (const RegionStats& r : regions_)
    if (r.kind == kind) s += r.seconds;
  return s;
}

namespace {

// Rows of a report: the regions, or their totals per kind (and format).
std::vector<RegionStats> Totals(const std::vector<RegionStats>& regions) {
  std::vector<RegionStats> out;
  for (const RegionStats& r : regions) {
    const bool mm = r.kind == RegionKind::kGemv || r.kind == RegionKind::kGemm;
    const std::string name =
        mm ? std::string(RegionKindName(r.kind)) + " " + FormatName(r.format)
           : r.name;
    auto it = std::find_if(out.begin(), out.end(), [&](const RegionStats& o) {
      return o.name == name;
    });
    if (it == out.end()) {
      RegionStats t = r;
      t.name = name;
      out.push_back(t);
      continue;
    }
    it->calls += r.calls;
    it->seconds += r.seconds;
    it->bytes += r.bytes;
    it->flops += r.flops;
    it->counters.resize(std::max(it->counters.size(), r.counters.size()), 0);
    for (size_t i = 0; i < r.counters.size(); ++i)
      it->counters[i] += r.counters[i];
  }
  return out;
}

}  // namespace

std::string ForwardProfiler::Markdown(const std::string& title) const {
  const double total = TotalSeconds();
  const std::vector<PerfEvent> ev = events();
  const std::vector<std::string> why = unavailable_reasons();
  auto avail = [&](PerfEvent e) {
    for (size_t i = 0; i < ev.size(); ++i)
      if (ev[i] == e) return why[i].empty();
    return false;
  };
  auto idx = [&](PerfEvent e) {
    for (size_t i = 0; i < ev.size(); ++i)
      if (ev[i] == e) return static_cast<int>(i);
    return -1;
  };
  std::string s = title + "\n\n";
  std::string head =
      "| region | calls | ms | share % | MB moved | GB/s | GFLOP/s |";
  std::string rule = "|---|---:|---:|---:|---:|---:|---:|";
  if (!ev.empty()) {
    head +=
        " cycles/B | instr/B | IPC | LLC-load-misses/KiB | task-clock ms | "
        "page-faults | ctx-switches |";
    rule += "---:|---:|---:|---:|---:|---:|---:|";
  }
  auto table = [&](std::vector<RegionStats> rows) {
    std::sort(rows.begin(), rows.end(),
              [](const RegionStats& a, const RegionStats& b) {
                return a.seconds > b.seconds;
              });
    std::string t = head + "\n" + rule + "\n";
    for (const RegionStats& r : rows) {
      if (r.calls == 0) continue;
      t +=
          "| " + r.name + " | " + std::to_string(r.calls) + " | " +
          Fmt("%.3f", 1e3 * r.seconds) + " | " +
          Fmt("%.1f", total > 0 ? 100 * r.seconds / total : 0.0) + " | " +
          Fmt("%.3f", r.bytes / 1e6) + " | " +
          (r.seconds > 0 ? Fmt("%.2f", r.bytes / r.seconds / 1e9) : "-") +
          " | " +
          (r.flops > 0 && r.seconds > 0 ? Fmt("%.2f", r.flops / r.seconds / 1e9)
                                        : std::string("-")) +
          " |";
      if (!ev.empty()) {
        auto c = [&](PerfEvent e) {
          const int i = idx(e);
          return i < 0 || i >= static_cast<int>(r.counters.size())
                     ? 0.0
                     : r.counters[i];
        };
        auto cell = [&](PerfEvent e, double v, const char* f) {
          return avail(e) ? Fmt(f, v) : std::string("n/a");
        };
        const double b = std::max(r.bytes, 1.0);
        t += " " + cell(PerfEvent::kCycles, c(PerfEvent::kCycles) / b, "%.3f") +
             " | " +
             cell(PerfEvent::kInstructions, c(PerfEvent::kInstructions) / b,
                  "%.3f") +
             " | " +
             (avail(PerfEvent::kCycles) && avail(PerfEvent::kInstructions) &&
                      c(PerfEvent::kCycles) > 0
                  ? Fmt("%.2f",
                        c(PerfEvent::kInstructions) / c(PerfEvent::kCycles))
                  : std::string("n/a")) +
             " | " +
             cell(PerfEvent::kLlcLoadMisses,
                  c(PerfEvent::kLlcLoadMisses) / (b / 1024), "%.2f") +
             " | " +
             cell(PerfEvent::kTaskClock, c(PerfEvent::kTaskClock) / 1e6,
                  "%.3f") +
             " | " +
             cell(PerfEvent::kPageFaults, c(PerfEvent::kPageFaults), "%.0f") +
             " | " +
             cell(PerfEvent::kContextSwitches, c(PerfEvent::kContextSwitches),
                  "%.0f") +
             " |";
      }
      t += "\n";
    }
    return t;
  };
  s += table(regions_);
  s += "\nTotals per kind (matrix products per format):\n\n";
  s += table(Totals(regions_));
  s += "\nTotal " + Fmt("%.3f", 1e3 * total) +
       " ms. MB moved: modelled minimum traffic (docs/profiling.md).";
  if (!ev.empty()) {
    s += " Counters include every thread of the process created after the "
         "profiler (worker threads too); task-clock is CPU time summed over "
         "threads.";
    for (size_t i = 0; i < ev.size(); ++i) {
      if (!why[i].empty())
        s += std::string("\n- ") + PerfEventName(ev[i]) +
             " unavailable: " + why[i];
    }
  } else {
    s += " Perf counters not requested (--no-counters).";
  }
  return s + "\n";
}

std::string ForwardProfiler::Json() const {
  const std::vector<PerfEvent> ev = events();
  const std::vector<std::string> why = unavailable_reasons();
  std::string s =
      "{\"total_s\": " + Fmt("%.9g", TotalSeconds()) + ", \"counters\": [";
  for (size_t i = 0; i < ev.size(); ++i) {
    s += std::string(i ? ", " : "") +
         "{\"event\": " + JsonString(PerfEventName(ev[i])) +
         ", \"available\": " + (why[i].empty() ? "true" : "false") +
         (why[i].empty() ? "" : ", \"reason\": " + JsonString(why[i])) + "}";
  }
  s += "], \"regions\": [";
  bool first = true;
  for (const RegionStats& r : regions_) {
    if (r.calls == 0) continue;
    s += std::string(first ? "" : ", ") + "{\"name\": " + JsonString(r.name) +
         ", \"kind\": " + JsonString(RegionKindName(r.kind)) +
         ", \"calls\": " + std::to_string(r.calls) +
         ", \"seconds\": " + Fmt("%.9g", r.seconds) +
         ", \"bytes\": " + Fmt("%.17g", r.bytes) +
         ", \"flops\": " + Fmt("%.17g", r.flops);
    if (!ev.empty()) {
      s += ", \"counters\": {";
      for (size_t i = 0; i < ev.size(); ++i) {
        s += std::string(i ? ", " : "") + JsonString(PerfEventName(ev[i])) +
             ": " +
             (why[i].empty() && i < r.counters.size()
                  ? Fmt("%.17g", r.counters[i])
                  : std::string("null"));
      }
      s += "}";
    }
    s += "}";
    first = false;
  }
  return s + "]}";
}

}  // namespace qins::runner
