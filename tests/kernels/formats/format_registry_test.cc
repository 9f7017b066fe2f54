#include <set>
#include <string>

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
  for (const char* must : {"f32", "bf16", "f16", "q8_0", "i8row", "q4_0",
                           "iq4_nl", "qins8-seed", "qins8-seed-row", "qins8", "qins4"}) {
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
  EXPECT_DOUBLE_EQ(bpw("iq4_nl"), 18.0 / 32);
  EXPECT_DOUBLE_EQ(bpw("qins4"), 18.0 / 32);  // no more than iq4_nl
  EXPECT_DOUBLE_EQ(bpw("i8row"), 1.0 + 4.0 / 4096);  // f32 scale per row
  EXPECT_DOUBLE_EQ(bpw("qins8"), 1.0 + 8.0 / 4096);  // scale + exponent width
  EXPECT_DOUBLE_EQ(bpw("qins8-seed"), 2.0);          // code + sign byte
  EXPECT_DOUBLE_EQ(bpw("qins8-seed-row"), 2.0 + 8.0 / 4096);
}

TEST(FormatRegistryTest, UnknownNamesAreErrorsListingValidOnes) {
  StatusOr<Format> p = ParseFormat("q3_k");
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
