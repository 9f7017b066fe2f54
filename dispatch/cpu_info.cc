#include "qins/cpu_info.h"

#include <cpuinfo.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

#include "dispatch/arm_i8mm.h"
#include "oneapi/tbb/info.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace qins {
namespace {

struct UarchName {
  cpuinfo_uarch uarch;
  const char* name;
};
constexpr UarchName kUarchNames[] = {
#include "dispatch/cpu_uarch_names.inc"
};

const char* UarchToName(cpuinfo_uarch u) {
  for (const UarchName& n : kUarchNames) {
    if (n.uarch == u) return n.name;
  }
  return "unknown";
}

const char* VendorName(cpuinfo_vendor v) {
  switch (v) {
    case cpuinfo_vendor_intel:
      return "Intel";
    case cpuinfo_vendor_amd:
      return "AMD";
    case cpuinfo_vendor_arm:
      return "ARM";
    case cpuinfo_vendor_qualcomm:
      return "Qualcomm";
    case cpuinfo_vendor_apple:
      return "Apple";
    case cpuinfo_vendor_samsung:
      return "Samsung";
    case cpuinfo_vendor_nvidia:
      return "NVIDIA";
    case cpuinfo_vendor_cavium:
      return "Cavium";
    case cpuinfo_vendor_huawei:
      return "Huawei";
    case cpuinfo_vendor_hygon:
      return "Hygon";
    case cpuinfo_vendor_broadcom:
      return "Broadcom";
    case cpuinfo_vendor_apm:
      return "APM";
    default:
      return "unknown";
  }
}

std::string ReadFirstLine(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  if (f) std::getline(f, line);
  return line;
}

// Parses sysfs cache sizes such as "32K", "1024K", "32M".
std::optional<uint64_t> ParseSysfsSize(const std::string& s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9')
    v = v * 10 + (s[i++] - '0');
  if (i == 0) return std::nullopt;
  if (i < s.size()) {
    if (s[i] == 'K')
      v <<= 10;
    else if (s[i] == 'M')
      v <<= 20;
    else if (s[i] == 'G')
      v <<= 30;
  }
  return v;
}

// Cache of `level` and kind ("Data"/"Unified") from cpu0's sysfs entries.
[[maybe_unused]] CacheLevel SysfsCache(int level) {
  CacheLevel c;
  for (int idx = 0; idx < 8; ++idx) {
    const std::string dir =
        "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(idx) + "/";
    const std::string lvl = ReadFirstLine(dir + "level");
    if (lvl.empty()) break;
    if (std::stoi(lvl) != level) continue;
    const std::string type = ReadFirstLine(dir + "type");
    if (type != "Data" && type != "Unified") continue;
    c.size_bytes = ParseSysfsSize(ReadFirstLine(dir + "size"));
    const std::string line = ReadFirstLine(dir + "coherency_line_size");
    if (!line.empty()) c.line_bytes = static_cast<uint32_t>(std::stoul(line));
    if (c.size_bytes) c.source = "sysfs";
    return c;
  }
  c.source = "unknown";
  return c;
}

CacheLevel FromCpuinfo(const cpuinfo_cache* cache, uint32_t count) {
  CacheLevel c;
  if (cache == nullptr || count == 0 || cache->size == 0) {
    c.source = "unknown";
    return c;
  }
  c.size_bytes = cache->size;
  c.instances = count;
  c.line_bytes = cache->line_size;
  c.source = "cpuinfo";
  return c;
}

// qemu-user runs aarch64 code on an x86 host and passes the host's /proc and
// /sys through: the caches and frequencies found there are not the emulated
// CPU's.
bool LooksEmulated() {
#if defined(__aarch64__)
  std::ifstream f("/proc/cpuinfo");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string s = ss.str();
  return s.find("vendor_id") != std::string::npos ||
         s.find("GenuineIntel") != std::string::npos ||
         s.find("AuthenticAMD") != std::string::npos;
#else
  return false;
#endif
}

CpuInfo Detect() {
  CpuInfo info;
#if defined(__x86_64__)
  info.arch = "x86_64";
#elif defined(__aarch64__)
  info.arch = "aarch64";
#else
  info.arch = "other";
#endif
  info.emulated = LooksEmulated();
  for (tbb::numa_node_id n : tbb::info::numa_nodes())
    info.numa_nodes.push_back(n);
  const bool ok = cpuinfo_initialize();
  if (ok) {
    info.packages = cpuinfo_get_packages_count();
    info.cores = cpuinfo_get_cores_count();
    info.processors = cpuinfo_get_processors_count();
    if (const cpuinfo_package* p = cpuinfo_get_package(0)) {
      info.package_name = p->name;
    }
    if (const cpuinfo_core* core = cpuinfo_get_core(0)) {
      info.vendor = VendorName(core->vendor);
      info.uarch = UarchToName(core->uarch);
#if CPUINFO_ARCH_X86 || CPUINFO_ARCH_X86_64
      // CPUID leaf 1 EAX: display family = base + extended (when base is
      // 15), display model = extended << 4 | base (families 6 and 15+).
      const uint32_t sig = core->cpuid;
      const uint32_t base_family = (sig >> 8) & 0xF;
      info.family = base_family + (base_family == 0xF ? (sig >> 20) & 0xFF : 0);
      info.model = (sig >> 4) & 0xF;
      if (base_family == 0x6 || base_family == 0xF)
        info.model |= ((sig >> 16) & 0xF) << 4;
#elif CPUINFO_ARCH_ARM || CPUINFO_ARCH_ARM64
      info.family = (core->midr >> 24) & 0xFF;  // implementer
      info.model = (core->midr >> 4) & 0xFFF;   // part number
#endif
    }
  }
  if (info.vendor.empty()) info.vendor = "unknown";
  if (info.uarch.empty()) info.uarch = "unknown";

  if (info.emulated) {
    CacheLevel unknown;
    unknown.source = "unknown (emulated)";
    info.l1d = info.l2 = info.l3 = unknown;
  } else {
#if defined(__x86_64__)
    // x86: cpuinfo reads CPUID cache leaves: real data.
    if (ok) {
      info.l1d =
          FromCpuinfo(cpuinfo_get_l1d_caches(), cpuinfo_get_l1d_caches_count());
      info.l2 =
          FromCpuinfo(cpuinfo_get_l2_caches(), cpuinfo_get_l2_caches_count());
      info.l3 =
          FromCpuinfo(cpuinfo_get_l3_caches(), cpuinfo_get_l3_caches_count());
    }
#else
    // Arm: cpuinfo's cache sizes are guesses from a per-core table, so use the
    // kernel's sysfs description (from firmware) or report unknown.
    info.l1d = SysfsCache(1);
    info.l2 = SysfsCache(2);
    info.l3 = SysfsCache(3);
#endif
    const std::string khz =
        ReadFirstLine("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
    if (!khz.empty()) info.max_frequency_hz = std::stoull(khz) * 1000;
  }

  auto add = [&](const char* name, bool v) {
    info.features.emplace_back(name, v);
  };
#if defined(__x86_64__)
  add("sse4.1", ok && cpuinfo_has_x86_sse4_1());
  add("avx2", ok && cpuinfo_has_x86_avx2());
  add("fma", ok && cpuinfo_has_x86_fma3());
  add("f16c", ok && cpuinfo_has_x86_f16c());
  add("avx512f", ok && cpuinfo_has_x86_avx512f());
  add("avx512bw", ok && cpuinfo_has_x86_avx512bw());
  add("avx512vl", ok && cpuinfo_has_x86_avx512vl());
  add("avx512vbmi", ok && cpuinfo_has_x86_avx512vbmi());
  add("avx512vbmi2", ok && cpuinfo_has_x86_avx512vbmi2());
  add("avx512vnni", ok && cpuinfo_has_x86_avx512vnni());
  add("avx512bf16", ok && cpuinfo_has_x86_avx512bf16());
  add("gfni", ok && cpuinfo_has_x86_gfni());
#elif defined(__aarch64__)
  unsigned long hwcap2 = getauxval(AT_HWCAP2);
  add("neon", ok && cpuinfo_has_arm_neon());
  add("fp16", ok && cpuinfo_has_arm_neon_fp16_arith());
  add("dotprod", ok && cpuinfo_has_arm_neon_dot());
  add("bf16", ok && cpuinfo_has_arm_bf16());
  add("i8mm", CpuHasArmI8mm());
  add("sve", ok && cpuinfo_has_arm_sve());
  add("sve2", ok && cpuinfo_has_arm_sve2());
  add("sme", (hwcap2 & (1UL << 23)) != 0);  // HWCAP2_SME
#endif
  return info;
}

}  // namespace

std::string CpuInfo::Description() const {
  std::string d = vendor;
  if (!package_name.empty()) {
    // cpuinfo's package name often repeats the vendor ("AMD EPYC").
    if (package_name.rfind(vendor, 0) == 0) {
      d = package_name;
    } else {
      d += " " + package_name;
    }
  }
  d += " (";
  if (family != 0 || model != 0) {
    d += (arch == "aarch64" ? "implementer " : "family ") +
         std::to_string(family) + (arch == "aarch64" ? ", part " : ", model ") +
         std::to_string(model) + ", ";
  }
  d += "uarch " + uarch + ", " + arch + ")";
  return d;
}

uint64_t CpuInfo::LastLevelCacheBytes(uint64_t fallback) const {
  if (l3.size_bytes) return *l3.size_bytes;
  if (l2.size_bytes) return *l2.size_bytes;
  if (l1d.size_bytes) return *l1d.size_bytes;
  return fallback;
}

const CpuInfo& GetCpuInfo() {
  static const CpuInfo info = Detect();
  return info;
}

}  // namespace qins
