// SIMD targets: which instruction sets the library was compiled for, which the
// CPU supports, and parsing of target names ("avx2", "sse4", "neon", ...).
// A Context (qins/context.h) carries the target its kernels run on.
#ifndef QINS_TARGETS_H_
#define QINS_TARGETS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qins/export.h"
#include "qins/status.h"

namespace qins {

// One SIMD target. `bit` is Highway's target bit (HWY_AVX2 etc.); it is an
// implementation detail kept only so that targets compare and sort cheaply.
struct Target {
  int64_t bit = 0;
  bool operator==(const Target& o) const { return bit == o.bit; }
  bool operator!=(const Target& o) const { return bit != o.bit; }
};

// Lower-case name as accepted by ParseTarget and QINS_TARGET: "avx3_dl",
// "avx3", "avx2", "sse4", "ssse3", "neon", "sve", "sve2", "sve_256",
// "sve2_128", "emu128", "scalar".
QINS_API std::string TargetName(Target t);

// Targets compiled into this library, best first.
QINS_API std::vector<Target> CompiledTargets();
// Compiled targets this CPU can run, best first. Never empty: the portable
// fallback (scalar or emu128) is always compiled and supported.
QINS_API std::vector<Target> SupportedTargets();
// The first of SupportedTargets().
QINS_API Target BestTarget();
QINS_API bool IsCompiled(Target t);
QINS_API bool IsSupported(Target t);

// Parses a target name (case-insensitive). Unknown, not compiled or not
// supported by this CPU are errors whose message lists the valid names.
QINS_API StatusOr<Target> ParseTarget(std::string_view name);

// Comma-separated names of SupportedTargets(), e.g. "avx2,sse4,ssse3,scalar".
QINS_API std::string SupportedTargetNames();

}  // namespace qins

#endif  // QINS_TARGETS_H_
