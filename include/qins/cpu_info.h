// What the CPU is: vendor, microarchitecture, cores, caches and the ISA
// features that matter for these kernels. Values the library cannot know
// (frequency inside a VM, caches under an emulator) are empty optionals,
// never guesses.
#ifndef QINS_CPU_INFO_H_
#define QINS_CPU_INFO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "qins/export.h"

namespace qins {

struct CacheLevel {
  std::optional<uint64_t> size_bytes;  // one instance
  std::optional<uint32_t> instances;   // how many in the system
  std::optional<uint32_t> line_bytes;
  std::string source;  // "cpuinfo", "sysfs" or "unknown"
};

struct CpuInfo {
  std::string arch;  // "x86_64", "aarch64", ...
  std::string vendor;
  std::string uarch;         // "zen3", "neoverse-n1", or "unknown"
  std::string package_name;  // marketing name if the CPU reports one
  // x86: display family and model from CPUID leaf 1 (e.g. 25 and 17 for an
  // AMD Zen 4 EPYC, 6 and 143 for an Intel Sapphire Rapids Xeon); Arm: the
  // MIDR's implementer and part number. 0 when unknown. A VM's marketing
  // name is often generic ("AMD EPYC"); these identify the core.
  uint32_t family = 0;
  uint32_t model = 0;
  uint32_t packages = 0;
  uint32_t cores = 0;
  uint32_t processors = 0;  // logical
  CacheLevel l1d, l2, l3;
  std::vector<int> numa_nodes;  // as oneTBB (hwloc) sees them
  // From sysfs cpufreq; absent in most VMs.
  std::optional<uint64_t> max_frequency_hz;
  // True when the process looks emulated (e.g. aarch64 code under qemu-user on
  // an x86 host): caches and frequency are then reported as unknown.
  bool emulated = false;
  // ISA features, in a fixed order for the architecture: {"avx2", true}, ...
  std::vector<std::pair<std::string, bool>> features;

  // One line naming the CPU for a measurement's record: vendor, marketing
  // name, family/model and microarchitecture, e.g. "AMD EPYC (family 25,
  // model 17, uarch zen4)". Figures measured on one vendor's CPU do not carry
  // over to another's.
  QINS_API std::string Description() const;

  // Largest known last-level cache size, or `fallback` if none is known.
  QINS_API uint64_t LastLevelCacheBytes(uint64_t fallback) const;
};

// Detects once and caches; thread-safe.
QINS_API const CpuInfo& GetCpuInfo();

}  // namespace qins

#endif  // QINS_CPU_INFO_H_
