#include "qins/cpu_info.h"

#include <string>

#include "gtest/gtest.h"

namespace qins {
namespace {

bool Has(const CpuInfo& c, const std::string& name, bool* value) {
  for (const auto& [n, v] : c.features) {
    if (n == name) {
      *value = v;
      return true;
    }
  }
  return false;
}

TEST(CpuInfoTest, TopologyIsPlausible) {
  const CpuInfo& c = GetCpuInfo();
  EXPECT_GE(c.cores, 1u);
  EXPECT_GE(c.processors, c.cores);
  EXPECT_FALSE(c.vendor.empty());
  EXPECT_FALSE(c.uarch.empty());
  EXPECT_EQ(&c, &GetCpuInfo());  // detected once
}

TEST(CpuInfoTest, FeaturesForThisArchitectureAreListed) {
  const CpuInfo& c = GetCpuInfo();
  bool v = false;
#if defined(__x86_64__)
  EXPECT_EQ(c.arch, "x86_64");
  for (const char* f : {"avx2", "fma", "f16c", "avx512f", "avx512bw",
                        "avx512vl", "avx512vbmi", "avx512vnni", "avx512bf16"}) {
    EXPECT_TRUE(Has(c, f, &v)) << f;
  }
#elif defined(__aarch64__)
  EXPECT_EQ(c.arch, "aarch64");
  for (const char* f : {"neon", "dotprod", "i8mm", "sve", "sve2", "sme"}) {
    EXPECT_TRUE(Has(c, f, &v)) << f;
  }
  ASSERT_TRUE(Has(c, "neon", &v));
  EXPECT_TRUE(v);  // every aarch64 CPU has Advanced SIMD
#endif
}

TEST(CpuInfoTest, CachesAreKnownOrMarkedUnknown) {
  const CpuInfo& c = GetCpuInfo();
  for (const CacheLevel* l : {&c.l1d, &c.l2, &c.l3}) {
    if (l->size_bytes) {
      EXPECT_GT(*l->size_bytes, 0u);
      EXPECT_NE(l->source.find("unknown"), 0u);
    } else {
      EXPECT_NE(l->source.find("unknown"), std::string::npos) << l->source;
    }
  }
  if (c.emulated) {
    EXPECT_FALSE(c.l1d.size_bytes.has_value());
    EXPECT_FALSE(c.max_frequency_hz.has_value());
  }
  EXPECT_EQ(c.LastLevelCacheBytes(12345), c.l3.size_bytes    ? *c.l3.size_bytes
                                          : c.l2.size_bytes  ? *c.l2.size_bytes
                                          : c.l1d.size_bytes ? *c.l1d.size_bytes
                                                             : 12345u);
}

// The one-line description names the vendor (or the marketing name that
// starts with it) and the microarchitecture; on x86 the CPUID family, which
// every x86 CPU since the 486 reports, is nonzero.
TEST(CpuInfoTest, DescriptionNamesTheCpu) {
  const CpuInfo& c = GetCpuInfo();
  const std::string d = c.Description();
  EXPECT_NE(d.find(c.vendor == "unknown" ? c.package_name : c.vendor),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("uarch " + c.uarch), std::string::npos) << d;
  EXPECT_NE(d.find(c.arch), std::string::npos) << d;
#if defined(__x86_64__)
  EXPECT_GT(c.family, 0u) << d;
  EXPECT_NE(d.find("family " + std::to_string(c.family)), std::string::npos)
      << d;
#endif
}

}  // namespace
}  // namespace qins
