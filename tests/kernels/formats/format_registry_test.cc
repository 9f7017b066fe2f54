#include <set>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "qins/format.h"

namespace qins {
namespace {

TEST(FormatRegistryTest, NamesAreUniqueAndParseBack) {
  std::set<std::string> names;
  for (Format f : AllFormats()) {
    const FormatInfo info = GetFormatInfo(f);
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    StatusOr<Format> p = ParseFormat(info.name);
    ASSERT_TRUE(p.ok()) << info.name;
    EXPECT_EQ(*p, f);
    EXPECT_GT(info.bytes_per_weight, 0) << info.name;
    EXPECT_FALSE(info.summary.empty());
  }
  for (const char* must :
       {"f32", "bf16", "f16", "q8_0", "i8row", "q4_0", "iq4_nl", "q4_1", "q5_0",
        "q5_1", "qins8-seed", "qins8-seed-row", "qins8", "qins4"}) {
    EXPECT_TRUE(names.count(must)) << must;
  }
}

TEST(FormatRegistryTest, BytesPerWeightFollowTheLayouts) {
  auto bpw = [](const char* n) {
    return GetFormatInfo(*ParseFormat(n)).bytes_per_weight;
  };
  EXPECT_DOUBLE_EQ(bpw("f32"), 4.0);
  EXPECT_DOUBLE_EQ(bpw("bf16"), 2.0);
  EXPECT_DOUBLE_EQ(bpw("f16"), 2.0);
  EXPECT_DOUBLE_EQ(bpw("q8_0"), 34.0 / 32);
  EXPECT_DOUBLE_EQ(bpw("q4_0"), 18.0 / 32);
  EXPECT_DOUBLE_EQ(bpw("q4_1"), 20.0 / 32);  // d, m, 16 code bytes
  EXPECT_DOUBLE_EQ(bpw("q5_0"), 22.0 / 32);  // d, qh, 16 code bytes
  EXPECT_DOUBLE_EQ(bpw("q5_1"), 24.0 / 32);  // d, m, qh, 16 code bytes
  EXPECT_DOUBLE_EQ(bpw("iq4_nl"), 18.0 / 32);
  EXPECT_DOUBLE_EQ(bpw("qins4"), 18.0 / 32);  // no more than iq4_nl
  EXPECT_DOUBLE_EQ(bpw("i8row"), 1.0 + 4.0 / 4096);  // f32 scale per row
  EXPECT_DOUBLE_EQ(bpw("qins8"), 1.0 + 8.0 / 4096);  // scale + exponent width
  EXPECT_DOUBLE_EQ(bpw("qins8-seed"), 2.0);          // code + sign byte
  EXPECT_DOUBLE_EQ(bpw("qins8-seed-row"), 2.0 + 8.0 / 4096);
  // ggml's super-blocks of 256 (sizeof(block_q2_K) .. sizeof(block_iq4_xs)).
  EXPECT_DOUBLE_EQ(bpw("q2_k"), 84.0 / 256);
  EXPECT_DOUBLE_EQ(bpw("q3_k"), 110.0 / 256);
  EXPECT_DOUBLE_EQ(bpw("q4_k"), 144.0 / 256);
  EXPECT_DOUBLE_EQ(bpw("q5_k"), 176.0 / 256);
  EXPECT_DOUBLE_EQ(bpw("q6_k"), 210.0 / 256);
  EXPECT_DOUBLE_EQ(bpw("iq4_xs"), 136.0 / 256);
}

TEST(FormatRegistryTest, GgmlTypesMapToTheFormatsWithTheirBytes) {
  // ggml.h: GGML_TYPE_F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6,
  // Q5_1 = 7, Q8_0 = 8, Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13,
  // Q6_K = 14, IQ4_NL = 20, IQ4_XS = 23, BF16 = 30 (the same in gguf-py's
  // GGMLQuantizationType).
  const std::pair<uint32_t, const char*> known[] = {
      {0, "f32"},   {1, "f16"},    {2, "q4_0"},    {3, "q4_1"},
      {6, "q5_0"},  {7, "q5_1"},   {8, "q8_0"},    {10, "q2_k"},
      {11, "q3_k"}, {12, "q4_k"},  {13, "q5_k"},   {14, "q6_k"},
      {20, "iq4_nl"}, {23, "iq4_xs"}, {30, "bf16"}};
  for (const auto& [type, name] : known) {
    StatusOr<Format> f = FormatForGgmlType(type);
    ASSERT_TRUE(f.ok()) << type;
    EXPECT_EQ(FormatName(*f), name);
    EXPECT_EQ(GetFormatInfo(*f).ggml_type, static_cast<int>(type));
  }
  StatusOr<Format> none = FormatForGgmlType(1000);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("ggml type 1000"), std::string::npos);
  EXPECT_NE(none.status().message().find("q8_0 (8)"), std::string::npos);
  EXPECT_EQ(GetFormatInfo(*ParseFormat("qins8")).ggml_type, -1);
  for (Format f : AllFormats()) {
    EXPECT_GE(GetFormatInfo(f).col_multiple, 1u) << FormatName(f);
  }
  for (const char* k : {"q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_xs"}) {
    EXPECT_EQ(GetFormatInfo(*ParseFormat(k)).col_multiple, 256u) << k;
    EXPECT_EQ(GetFormatInfo(*ParseFormat(k)).block, 256u) << k;
  }
}

TEST(FormatRegistryTest, UnknownNamesAreErrorsListingValidOnes) {
  StatusOr<Format> p = ParseFormat("q9_0");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("qins8"), std::string::npos);
  EXPECT_FALSE(ParseFormatList("f32,,q8_0").ok());
  EXPECT_FALSE(ParseFormatList("f32,nope").ok());
  StatusOr<std::vector<Format>> two = ParseFormatList("f32,q8_0");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
  StatusOr<std::vector<Format>> all = ParseFormatList("all");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), AllFormats().size());
}

}  // namespace
}  // namespace qins
