// Synthetic presets: shapes, determinism, N(0, 0.02)-like statistics, and
// the refusal of a model that does not fit in memory.
#include "tools/runner/synthetic_source.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace qins::runner {
namespace {

TEST(SyntheticSourceTest, PresetsHaveThePublishedShapes) {
  const std::vector<std::string> names = SyntheticPresetNames();
  ASSERT_GE(names.size(), 4u);
  for (const std::string& n : names) {
    StatusOr<std::unique_ptr<ModelSource>> s = OpenSyntheticSource(n);
    ASSERT_TRUE(s.ok()) << n << ": " << s.status().ToString();
    EXPECT_TRUE(ValidateConfig((*s)->config()).ok()) << n;
    EXPECT_EQ((*s)->Describe(), "synthetic " + n);
  }
  const ModelConfig phi = *SyntheticPresetConfig("phi-3.5-mini");
  EXPECT_EQ(phi.dim, 3072);
  EXPECT_EQ(phi.hidden_dim, 8192);
  EXPECT_EQ(phi.n_layers, 32);
  EXPECT_EQ(phi.n_heads, 32);
  EXPECT_EQ(phi.n_kv_heads, 32);
  EXPECT_EQ(phi.vocab_size, 32064);
  EXPECT_EQ(phi.seq_len, 4096);
  const ModelConfig tiny = *SyntheticPresetConfig("tinyllama-1.1b");
  EXPECT_EQ(tiny.n_kv_heads, 4);
  EXPECT_EQ(tiny.kv_dim(), 256);
  const ModelConfig l2 = *SyntheticPresetConfig("llama-2-7b");
  EXPECT_EQ(l2.hidden_dim, 11008);
  // Weight counts as published: Phi-3.5-mini 3.82 G, Llama-2-7B 6.74 G.
  EXPECT_NEAR(EstimateConvertedBytes(phi, 1.0).weight_bytes / 1e9, 3.82, 0.01);
  EXPECT_NEAR(EstimateConvertedBytes(l2, 1.0).weight_bytes / 1e9, 6.74, 0.01);
  StatusOr<ModelConfig> bad = SyntheticPresetConfig("gpt-5");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown synthetic preset 'gpt-5' "
                                        "(valid: phi-3.5-mini"),
            std::string::npos)
      << bad.status().message();
}

TEST(SyntheticSourceTest, DeterministicAndIndependentOfRowSplits) {
  StatusOr<std::unique_ptr<ModelSource>> s = OpenSyntheticSource("stories15m");
  ASSERT_TRUE(s.ok());
  const ModelConfig& c = (*s)->config();
  size_t rows = 0, cols = 0;
  TensorShape(c, TensorClass::kFfnDown, &rows, &cols);
  std::vector<float> a(rows * cols), b(rows * cols), parts(rows * cols);
  ASSERT_TRUE((*s)->ReadTensor(TensorClass::kFfnDown, 3, a.data()).ok());
  StatusOr<std::unique_ptr<ModelSource>> s2 = OpenSyntheticSource("stories15m");
  ASSERT_TRUE((*s2)->ReadTensor(TensorClass::kFfnDown, 3, b.data()).ok());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4));
  for (size_t r0 = 0; r0 < rows; r0 += 37) {
    const size_t n = std::min<size_t>(37, rows - r0);
    GenerateSyntheticRows(TensorClass::kFfnDown, 3, cols, r0, n,
                          parts.data() + r0 * cols);
  }
  EXPECT_EQ(0, std::memcmp(a.data(), parts.data(), a.size() * 4));
  // Other layers and classes differ.
  ASSERT_TRUE((*s)->ReadTensor(TensorClass::kFfnDown, 4, b.data()).ok());
  EXPECT_NE(0, std::memcmp(a.data(), b.data(), a.size() * 4));
  std::vector<float> gate(c.hidden_dim * c.dim), up(c.hidden_dim * c.dim);
  ASSERT_TRUE((*s)->ReadTensor(TensorClass::kFfnGate, 0, gate.data()).ok());
  ASSERT_TRUE((*s)->ReadTensor(TensorClass::kFfnUp, 0, up.data()).ok());
  EXPECT_NE(0, std::memcmp(gate.data(), up.data(), gate.size() * 4));
  // Norms are 1; the tied classifier and bad layers are errors.
  std::vector<float> norm(c.dim);
  ASSERT_TRUE((*s)->ReadTensor(TensorClass::kAttnNorm, 0, norm.data()).ok());
  for (float v : norm) EXPECT_EQ(v, 1.0f);
  EXPECT_FALSE((*s)->ReadTensor(TensorClass::kOutput, 0, norm.data()).ok());
  EXPECT_FALSE((*s)->ReadTensor(TensorClass::kAttnNorm, 6, norm.data()).ok());
}

TEST(SyntheticSourceTest, StatisticsAreNormalLikeWithSd002) {
  StatusOr<std::unique_ptr<ModelSource>> s = OpenSyntheticSource("stories15m");
  ASSERT_TRUE(s.ok());
  const ModelConfig& c = (*s)->config();
  std::vector<float> w(size_t(c.vocab_size) * c.dim);  // 9.2 M weights
  ASSERT_TRUE((*s)->ReadTensor(TensorClass::kEmbedding, 0, w.data()).ok());
  double sum = 0, sum2 = 0, sum4 = 0, amax = 0;
  for (float v : w) {
    sum += v;
    sum2 += double(v) * v;
    amax = std::max(amax, double(std::fabs(v)));
  }
  const double n = w.size(), mean = sum / n, var = sum2 / n - mean * mean;
  for (float v : w) sum4 += std::pow(v - mean, 4);
  const double kurt = sum4 / n / (var * var);
  // Standard error of the mean is 0.02 / sqrt(9.2e6) = 6.6e-6.
  EXPECT_NEAR(mean, 0.0, 4e-5);
  EXPECT_NEAR(std::sqrt(var), 0.02, 0.0002);
  // Irwin-Hall(4): kurtosis 3 - 1.2/4 = 2.7, support +-3.46 sigma.
  EXPECT_NEAR(kurt, 2.7, 0.02);
  EXPECT_LE(amax, 0.02 * 2 * std::sqrt(3.0) + 1e-6);
  EXPECT_GT(amax, 0.02 * 3.0);
  // Rows are not correlated with their neighbours.
  const size_t cols = c.dim;
  double cross = 0;
  for (size_t r = 0; r + 1 < 1000; ++r) {
    for (size_t k = 0; k < cols; ++k)
      cross += w[r * cols + k] * w[(r + 1) * cols + k];
  }
  EXPECT_NEAR(cross / (999.0 * cols) / var, 0.0, 0.01);
}

TEST(SyntheticSourceTest, RefusesAModelThatDoesNotFit) {
  const ModelConfig phi = *SyntheticPresetConfig("phi-3.5-mini");
  const MemoryEstimate f32 = EstimateConvertedBytes(phi, 4.0);
  EXPECT_GT(f32.weight_bytes, 15000000000u);
  EXPECT_EQ(f32.kv_cache_bytes, 2ull * 32 * 4096 * 3072 * 4);
  // 16 GiB available: f32 (15.3 GB weights + 3.2 GB cache) is refused, a
  // byte per weight fits.
  const uint64_t avail = 16ull << 30;
  const Status no =
      CheckFitsInMemory(phi, 4.0, avail, "synthetic phi-3.5-mini in f32");
  ASSERT_FALSE(no.ok());
  EXPECT_EQ(no.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(no.message().find("synthetic phi-3.5-mini in f32 needs about"),
            std::string::npos)
      << no.message();
  EXPECT_NE(no.message().find("only 16.00 GiB is available"), std::string::npos)
      << no.message();
  EXPECT_TRUE(CheckFitsInMemory(phi, 1.0, avail, "x").ok());
}

TEST(SyntheticSourceTest, ReadsMemAvailableFromAMeminfoFile) {
  const std::string path = ::qins::testing::TempDir() + "/meminfo_fake";
  {
    std::ofstream f(path);
    f << "MemTotal:       24000000 kB\nMemFree:  100 kB\n"
         "MemAvailable:   12345678 kB\nBuffers: 1 kB\n";
  }
  StatusOr<uint64_t> m = ReadMemAvailable(path);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(*m, 12345678ull * 1024);
  {
    std::ofstream f(path);
    f << "MemTotal: 1 kB\nMemAvailable: lots\n";
  }
  EXPECT_FALSE(ReadMemAvailable(path).ok());
  {
    std::ofstream f(path);
    f << "MemTotal: 1 kB\n";
  }
  EXPECT_NE(ReadMemAvailable(path).status().message().find("no MemAvailable"),
            std::string::npos);
  EXPECT_TRUE(ReadMemAvailable().ok());  // the real /proc/meminfo
  std::remove(path.c_str());
}

}  // namespace
}  // namespace qins::runner
