#include "qins/targets.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "hwy/highway.h"
#include "hwy/targets.h"

namespace qins {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Bits of `mask`, best target (lowest bit) first.
std::vector<Target> BitsBestFirst(int64_t mask) {
  std::vector<Target> out;
  for (int i = 0; i < 63; ++i) {
    const int64_t bit = int64_t{1} << i;
    if (mask & bit) out.push_back(Target{bit});
  }
  return out;
}

std::string JoinNames(const std::vector<Target>& ts) {
  std::string s;
  for (const Target& t : ts) {
    if (!s.empty()) s += ",";
    s += TargetName(t);
  }
  return s;
}

}  // namespace

std::string TargetName(Target t) { return Lower(hwy::TargetName(t.bit)); }

std::vector<Target> CompiledTargets() { return BitsBestFirst(HWY_TARGETS); }

std::vector<Target> SupportedTargets() {
  return BitsBestFirst(hwy::SupportedTargets() & HWY_TARGETS);
}

Target BestTarget() { return SupportedTargets().front(); }

bool IsCompiled(Target t) {
  return t.bit != 0 && (t.bit & (t.bit - 1)) == 0 && (t.bit & HWY_TARGETS);
}

bool IsSupported(Target t) {
  return IsCompiled(t) && (hwy::SupportedTargets() & t.bit);
}

std::string SupportedTargetNames() { return JoinNames(SupportedTargets()); }

StatusOr<Target> ParseTarget(std::string_view name) {
  const std::string want = Lower(name);
  const std::string valid =
      "valid targets on this CPU: " + SupportedTargetNames();
  for (int i = 0; i < 63; ++i) {
    const Target t{int64_t{1} << i};
    const std::string n = TargetName(t);
    if (n != want || n == "unknown") continue;
    if (!IsCompiled(t)) {
      return Unsupported("target '" + std::string(name) +
                         "' is not compiled into this build (compiled: " +
                         JoinNames(CompiledTargets()) + "); " + valid);
    }
    if (!IsSupported(t)) {
      return Unsupported("target '" + std::string(name) +
                         "' is compiled but this CPU does not support it; " +
                         valid);
    }
    return t;
  }
  // Names Highway knows only when compiling for their own architecture.
  for (const char* other : {"avx3_dl", "avx3", "avx2", "sse4", "ssse3", "neon",
                            "sve", "sve2", "sve_256", "sve2_128", "emu128"}) {
    if (want == other) {
      return Unsupported("target '" + std::string(name) +
                         "' is for another architecture or not compiled into "
                         "this build (compiled: " +
                         JoinNames(CompiledTargets()) + "); " + valid);
    }
  }
  return InvalidArgument("unknown target '" + std::string(name) + "'; " +
                         valid);
}

}  // namespace qins
