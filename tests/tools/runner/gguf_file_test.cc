// GgufFile: parsing a valid file, typed metadata access, dequantization.
#include "tools/runner/gguf_file.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace qins::runner {
namespace {

const std::string kDir = QINS_TEST_DATA_DIR "/gguf/";

TEST(GgufFileTest, ParsesTinyModel) {
  StatusOr<std::unique_ptr<GgufFile>> f =
      GgufFile::Open(kDir + "tiny_llama.gguf");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.alignment(), 32u);
  EXPECT_EQ(g.data_offset() % 32, 0u);
  EXPECT_EQ(g.tensors().size(), 11u);
  EXPECT_EQ(*g.GetString("general.architecture"), "llama");
  EXPECT_EQ(*g.GetUint("llama.embedding_length"), 32u);
  EXPECT_FLOAT_EQ(static_cast<float>(*g.GetFloat("llama.rope.freq_base")),
                  10000.0f);
  const std::vector<std::string> toks =
      *g.GetStringArray("tokenizer.ggml.tokens");
  ASSERT_EQ(toks.size(), 4u);
  EXPECT_EQ(toks[1], "<s>");
  // Type mismatches and missing keys name the key.
  StatusOr<uint64_t> wrong = g.GetUint("general.architecture");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find(
                "'general.architecture' has type string, expected an integer"),
            std::string::npos)
      << wrong.status().message();
  StatusOr<double> missing = g.GetFloat("no.such.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(
      missing.status().message().find("missing metadata key 'no.such.key'"),
      std::string::npos);

  const GgufTensorInfo* k = g.FindTensor("blk.0.attn_k.weight");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->n_dims, 2u);
  EXPECT_EQ(k->ne[0], 32u);  // cols
  EXPECT_EQ(k->ne[1], 16u);  // rows = kv_dim
  EXPECT_EQ(k->type, static_cast<uint32_t>(GgmlType::kQ8_0));
  EXPECT_EQ(k->n_bytes, 16u * 34u);
  std::vector<float> rows(2 * 32);
  ASSERT_TRUE(g.ReadRowsF32(*k, 14, 2, rows.data()).ok());
  EXPECT_FALSE(g.ReadRowsF32(*k, 15, 2, rows.data()).ok());
  EXPECT_FALSE(g.ReadRowsF32(*k, ~uint64_t{0}, 2, rows.data()).ok());
}

TEST(GgufFileTest, Q8_0RowsMatchTheirBlocks) {
  StatusOr<std::unique_ptr<GgufFile>> f =
      GgufFile::Open(kDir + "tiny_llama.gguf");
  ASSERT_TRUE(f.ok());
  const GgufTensorInfo* q = (*f)->FindTensor("blk.0.attn_q.weight");
  ASSERT_NE(q, nullptr);
  std::vector<float> all(32 * 32), one(32);
  ASSERT_TRUE((*f)->ReadRowsF32(*q, 0, 32, all.data()).ok());
  ASSERT_TRUE((*f)->ReadRowsF32(*q, 7, 1, one.data()).ok());
  EXPECT_EQ(0, std::memcmp(one.data(), all.data() + 7 * 32, 32 * 4));
  // Weights were N(0, 0.02): dequantized values are small and not all equal.
  float amax = 0;
  for (float v : all) amax = std::max(amax, std::fabs(v));
  EXPECT_GT(amax, 0.02f);
  EXPECT_LT(amax, 0.2f);
}

TEST(GgufFileTest, HalfToFloatIsExactOnEveryClass) {
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xc000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(HalfToFloat(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_TRUE(std::signbit(HalfToFloat(0x8000)));
  EXPECT_TRUE(std::isinf(HalfToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7e00)));
  EXPECT_EQ(Bf16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(Bf16ToFloat(0xc0a0), -5.0f);
  // Every half value round-trips through float -> half by the definition of
  // the format: value = (-1)^s * 2^(e-15) * (1 + m/1024) for normals.
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    const uint32_t e = h >> 10, m = h & 0x3ff;
    const float want = e == 0 ? std::ldexp(static_cast<float>(m), -24)
                              : std::ldexp(1.0f + m / 1024.0f, e - 15);
    ASSERT_EQ(HalfToFloat(static_cast<uint16_t>(h)), want) << h;
  }
}

TEST(GgufFileTest, ReadsEveryValueKind) {
  StatusOr<std::unique_ptr<GgufFile>> f =
      GgufFile::Open(kDir + "tiny_llama.gguf");
  ASSERT_TRUE(f.ok());
  const GgufFile& g = **f;
  const GgufValue* nested = g.Find("test.nested");
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(nested->type, GgufType::kArray);
  EXPECT_EQ(nested->elem_type, GgufType::kArray);
  ASSERT_EQ(nested->arrays.size(), 2u);
  ASSERT_EQ(nested->arrays[0].strings.size(), 2u);
  EXPECT_EQ(nested->arrays[0].strings[1], "bc");
  EXPECT_EQ(nested->arrays[1].count, 0u);
  EXPECT_FALSE(g.GetStringArray("test.nested").ok());
  const GgufValue* i16 = g.Find("test.i16s");
  ASSERT_NE(i16, nullptr);
  ASSERT_EQ(i16->count, 3u);
  int16_t last = 0;
  std::memcpy(&last, i16->numeric + 4, 2);
  EXPECT_EQ(last, -300);
  EXPECT_EQ(*g.GetFloat("test.f64"), 2.5);
  EXPECT_EQ(*g.GetBool("test.bool"), true);
  EXPECT_EQ(*g.GetUint("test.u8"), 7u);
  StatusOr<uint64_t> neg = g.GetUint("test.i64");
  ASSERT_FALSE(neg.ok());
  EXPECT_NE(neg.status().message().find("'test.i64' is negative (-5)"),
            std::string::npos);
  EXPECT_EQ(g.Find("test.i64")->i, -5);
}

TEST(GgufFileTest, AcceptsVersion2) {
  std::ifstream in(kDir + "tiny_llama.gguf", std::ios::binary);
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(b.size(), 8u);
  b[4] = 2;  // v2 differs from v3 only by allowing big-endian files in v3
  StatusOr<std::unique_ptr<GgufFile>> f =
      GgufFile::Parse(b.data(), b.size(), "v2");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->version(), 2u);
  EXPECT_EQ((*f)->tensors().size(), 11u);
}

TEST(GgufFileTest, ParseFromMemoryRejectsTinyBuffers) {
  const uint8_t bytes[] = {'G', 'G', 'U', 'F', 3, 0, 0, 0};
  StatusOr<std::unique_ptr<GgufFile>> f =
      GgufFile::Parse(bytes, sizeof bytes, "mem");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(
      f.status().message().find("mem: byte 8: file truncated: tensor count"),
      std::string::npos)
      << f.status().message();
}

TEST(GgufFileTest, OpenNamesAMissingFile) {
  StatusOr<std::unique_ptr<GgufFile>> f = GgufFile::Open(kDir + "no_such.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("no_such.gguf: cannot open"),
            std::string::npos);
}

}  // namespace
}  // namespace qins::runner
