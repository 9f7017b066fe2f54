// qins-info: what this machine is and which kernels libqinskernels runs on it.
#include <cstdio>
#include <cstring>
#include <string>

#include "qins/qins.h"

namespace {

void Usage(FILE* f) {
  std::fprintf(
      f,
      "Usage: qins-info [--json] [--help]\n"
      "Prints the CPU (vendor, microarchitecture, cores, caches, ISA "
      "features),\n"
      "the SIMD targets compiled into libqinskernels and supported here, the\n"
      "target in use and the thread count.\n\n"
      "Environment:\n"
      "  QINS_TARGET   force a target (e.g. avx2, sse4, ssse3, scalar, neon, "
      "sve)\n"
      "  QINS_THREADS  number of threads (default: all of the NUMA node)\n");
}

std::string JsonStr(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o + "\"";
}

std::string Opt(const std::optional<uint64_t>& v, bool json) {
  if (!v) return json ? "null" : "unknown";
  return std::to_string(*v);
}

std::string Bytes(const std::optional<uint64_t>& v) {
  if (!v) return "unknown";
  if (*v >= (1u << 20) && *v % (1u << 20) == 0)
    return std::to_string(*v >> 20) + " MiB";
  if (*v >= 1024 && *v % 1024 == 0) return std::to_string(*v >> 10) + " KiB";
  return std::to_string(*v) + " B";
}

std::string TargetList(const std::vector<qins::Target>& ts, bool json) {
  std::string s;
  for (const auto& t : ts) {
    if (!s.empty()) s += json ? ", " : " ";
    s += json ? JsonStr(qins::TargetName(t)) : qins::TargetName(t);
  }
  return json ? "[" + s + "]" : s;
}

std::string CacheJson(const qins::CacheLevel& c) {
  std::string instances = c.instances ? std::to_string(*c.instances) : "null";
  std::string line = c.line_bytes ? std::to_string(*c.line_bytes) : "null";
  return "{\"size_bytes\": " + Opt(c.size_bytes, true) +
         ", \"instances\": " + instances + ", \"line_bytes\": " + line +
         ", \"source\": " + JsonStr(c.source) + "}";
}

std::string CacheText(const qins::CacheLevel& c) {
  std::string s = Bytes(c.size_bytes);
  if (c.instances) s += " x " + std::to_string(*c.instances);
  if (c.line_bytes) s += ", " + std::to_string(*c.line_bytes) + " B lines";
  return s + " (" + c.source + ")";
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) {
      json = true;
    } else if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      Usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "qins-info: unknown argument '%s'; see --help\n",
                   argv[i]);
      return 2;
    }
  }
  auto ctx = qins::Context::Create();
  if (!ctx.ok()) {
    std::fprintf(stderr, "qins-info: %s\n", ctx.status().ToString().c_str());
    return 2;
  }
  const qins::CpuInfo& cpu = qins::GetCpuInfo();
  const std::string in_use = qins::TargetName(ctx->target());
  std::string numa;
  for (int n : cpu.numa_nodes)
    numa += (numa.empty() ? "" : json ? ", " : " ") + std::to_string(n);

  if (json) {
    std::string feats;
    for (const auto& [name, has] : cpu.features) {
      feats += (feats.empty() ? "" : ", ") + JsonStr(name) + ": " +
               (has ? "true" : "false");
    }
    std::printf(
        "{\n  \"version\": %s,\n  \"arch\": %s,\n  \"vendor\": %s,\n"
        "  \"uarch\": %s,\n  \"package_name\": %s,\n  \"family\": %u,\n"
        "  \"model\": %u,\n  \"description\": %s,\n  \"packages\": %u,\n"
        "  \"cores\": %u,\n  \"processors\": %u,\n  \"numa_nodes\": [%s],\n"
        "  \"emulated\": %s,\n  \"max_frequency_hz\": %s,\n"
        "  \"caches\": {\"l1d\": %s, \"l2\": %s, \"l3\": %s},\n"
        "  \"features\": {%s},\n  \"compiled_targets\": %s,\n"
        "  \"supported_targets\": %s,\n  \"target\": %s,\n  \"threads\": "
        "%d\n}\n",
        JsonStr(qins::Version()).c_str(), JsonStr(cpu.arch).c_str(),
        JsonStr(cpu.vendor).c_str(), JsonStr(cpu.uarch).c_str(),
        JsonStr(cpu.package_name).c_str(), cpu.family, cpu.model,
        JsonStr(cpu.Description()).c_str(), cpu.packages, cpu.cores,
        cpu.processors, numa.c_str(), cpu.emulated ? "true" : "false",
        Opt(cpu.max_frequency_hz, true).c_str(), CacheJson(cpu.l1d).c_str(),
        CacheJson(cpu.l2).c_str(), CacheJson(cpu.l3).c_str(), feats.c_str(),
        TargetList(qins::CompiledTargets(), true).c_str(),
        TargetList(qins::SupportedTargets(), true).c_str(),
        JsonStr(in_use).c_str(), ctx->num_threads());
    return 0;
  }
  std::string feats;
  for (const auto& [name, has] : cpu.features) {
    if (has) feats += (feats.empty() ? "" : " ") + name;
  }
  std::string missing;
  for (const auto& [name, has] : cpu.features) {
    if (!has) missing += (missing.empty() ? "" : " ") + name;
  }
  std::printf("libqinskernels %s\n", qins::Version());
  std::printf("cpu:               %s\n", cpu.Description().c_str());
  std::printf(
      "topology:          %u package(s), %u cores, %u logical processors, NUMA "
      "nodes: %s\n",
      cpu.packages, cpu.cores, cpu.processors, numa.c_str());
  if (cpu.emulated)
    std::printf(
        "emulated:          yes (host /proc and /sys are not this CPU's)\n");
  std::printf(
      "max frequency:     %s\n",
      cpu.max_frequency_hz
          ? (std::to_string(*cpu.max_frequency_hz / 1000000) + " MHz").c_str()
          : "unknown");
  std::printf("L1d:               %s\n", CacheText(cpu.l1d).c_str());
  std::printf("L2:                %s\n", CacheText(cpu.l2).c_str());
  std::printf("L3:                %s\n", CacheText(cpu.l3).c_str());
  std::printf("features:          %s\n", feats.c_str());
  std::printf("missing features:  %s\n",
              missing.empty() ? "none" : missing.c_str());
  std::printf("compiled targets:  %s\n",
              TargetList(qins::CompiledTargets(), false).c_str());
  std::printf("supported targets: %s\n",
              TargetList(qins::SupportedTargets(), false).c_str());
  std::printf("target in use:     %s%s\n", in_use.c_str(),
              std::getenv("QINS_TARGET") ? " (forced by QINS_TARGET)" : "");
  std::printf("threads:           %d%s", ctx->num_threads(),
              std::getenv("QINS_THREADS") ? " (QINS_THREADS)" : "");
  if (ctx->concurrency() < ctx->num_threads()) {
    // oneTBB runs no more workers than the hardware threads.
    std::printf(", %d at once on this machine", ctx->concurrency());
  }
  std::printf("\n");
  return 0;
}
