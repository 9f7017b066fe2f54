// Format policies: --format, --format-map and the seed-adaptive rule.
#include "tools/runner/format_policy.h"

#include <string>

#include "gtest/gtest.h"

namespace qins::runner {
namespace {

TEST(FormatPolicyTest, SeedAdaptiveIsTheDocumentsRule) {
  auto p = ParseFormatPolicy("", "", "seed-adaptive");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(FormatName(p->For(TensorClass::kOutput)), "fpins3-seed");
  EXPECT_EQ(FormatName(p->For(TensorClass::kAttnQ)), "fpins2-seed");
  EXPECT_EQ(FormatName(p->For(TensorClass::kAttnK)), "fpins2-seed");
  EXPECT_EQ(FormatName(p->For(TensorClass::kAttnV)), "fpins2-seed");
  EXPECT_EQ(FormatName(p->For(TensorClass::kEmbedding)), "fpins1-seed");
  for (TensorClass t : {TensorClass::kAttnO, TensorClass::kFfnGate,
                        TensorClass::kFfnUp, TensorClass::kFfnDown}) {
    EXPECT_EQ(FormatName(p->For(t)), "fpins0-seed") << TensorClassName(t);
  }
  EXPECT_EQ(FormatName(p->ForTiedEmbedding()), "fpins3-seed");
  EXPECT_FALSE(ParseFormatPolicy("qins8", "", "seed-adaptive").ok());
  EXPECT_FALSE(ParseFormatPolicy("", "", "adaptive").ok());
}

TEST(FormatPolicyTest, FormatAndMap) {
  auto p = ParseFormatPolicy("qins8", "output=f32,ffn_down=q4_0", "");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(FormatName(p->For(TensorClass::kAttnQ)), "qins8");
  EXPECT_EQ(FormatName(p->For(TensorClass::kEmbedding)), "qins8");
  EXPECT_EQ(FormatName(p->For(TensorClass::kOutput)), "f32");
  EXPECT_EQ(FormatName(p->For(TensorClass::kFfnDown)), "q4_0");
  EXPECT_EQ(p->name, "qins8,output=f32,ffn_down=q4_0");
  auto d = ParseFormatPolicy("", "", "");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(FormatName(d->For(TensorClass::kAttnO)), "f32");
  auto bad_class = ParseFormatPolicy("", "attn=f32", "");
  ASSERT_FALSE(bad_class.ok());
  EXPECT_NE(bad_class.status().message().find("attn_q"), std::string::npos);
  EXPECT_FALSE(ParseFormatPolicy("", "output", "").ok());
  EXPECT_FALSE(ParseFormatPolicy("", "output=nope", "").ok());
  EXPECT_FALSE(ParseFormatPolicy("nope", "", "").ok());
}

// --formats entries with a GEMV strategy: "q8_0@dot".
TEST(FormatPolicyTest, ListItemWithGemvStrategy) {
  auto d = ParsePolicyListItem("q8_0@dot");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->name, "q8_0@dot");
  EXPECT_EQ(d->gemv_strategy, GemvStrategy::kDot);
  EXPECT_EQ(FormatName(d->For(TensorClass::kFfnUp)), "q8_0");
  auto plain = ParsePolicyListItem("q4_0");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->name, "q4_0");
  EXPECT_EQ(plain->gemv_strategy, GemvStrategy::kAuto);
  auto stored = ParsePolicyListItem("stored@dot");
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_TRUE(stored->stored);
  EXPECT_EQ(stored->name, "stored@dot");
  auto sa = ParsePolicyListItem("seed-adaptive");
  ASSERT_TRUE(sa.ok());
  EXPECT_EQ(sa->name, "seed-adaptive");
  // Unknown strategy: the valid ones are listed.
  auto bad = ParsePolicyListItem("q8_0@fast");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("dot"), std::string::npos)
      << bad.status().message();
  // A strategy the policy's formats lack: their strategies are named.
  auto lacks = ParsePolicyListItem("qins8-seed@dot");
  ASSERT_FALSE(lacks.ok());
  EXPECT_NE(lacks.status().message().find("qins8-seed has auto"),
            std::string::npos)
      << lacks.status().message();
  EXPECT_FALSE(ParsePolicyListItem("seed-adaptive@dot").ok());
  EXPECT_FALSE(ParsePolicyListItem("nope@dot").ok());
  EXPECT_FALSE(ParsePolicyListItem("q8_0@").ok());
  FormatPolicy p = *ParseFormatPolicy("q4_1", "output=qins8", "");
  EXPECT_TRUE(PolicyHasGemvStrategy(p, GemvStrategy::kDot));
  ASSERT_TRUE(SetGemvStrategy(&p, GemvStrategy::kDot).ok());
  EXPECT_EQ(p.name, "q4_1,output=qins8@dot");
}

// eval/bench --format-map on a --formats entry: the overrides apply before
// the strategy is checked, so "f32@dot" with ffn_down=q6_k runs dot on the
// q6_k matrices alone (the K-quants' quality measurement, docs/runner.md);
// f32@dot without a map has no dot matrix and is an error.
TEST(FormatPolicyTest, ListItemWithFormatMap) {
  auto p = ParsePolicyListItem("f32@dot", "ffn_down=q6_k");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->name, "f32,ffn_down=q6_k@dot");
  EXPECT_EQ(p->gemv_strategy, GemvStrategy::kDot);
  EXPECT_EQ(FormatName(p->For(TensorClass::kFfnDown)), "q6_k");
  EXPECT_EQ(FormatName(p->For(TensorClass::kFfnUp)), "f32");
  EXPECT_FALSE(ParsePolicyListItem("f32@dot").ok());
  EXPECT_FALSE(ParsePolicyListItem("stored", "ffn_down=q6_k").ok());
  EXPECT_FALSE(ParsePolicyListItem("seed-adaptive", "ffn_down=q6_k").ok());
  EXPECT_FALSE(ParsePolicyListItem("f32", "ffn_down").ok());
}

// llama.cpp's fallbacks for rows that are not whole K-quant super-blocks.
TEST(FormatPolicyTest, FallbackFormatForRowsThatDoNotFit) {
  auto fb = [](const char* name, size_t cols) {
    return FormatName(FallbackFormat(*ParseFormat(name), cols));
  };
  for (const char* k : {"q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_xs"}) {
    EXPECT_EQ(fb(k, 512), k);
  }
  EXPECT_EQ(fb("iq4_xs", 300), "iq4_nl");
  EXPECT_EQ(fb("q2_k", 64), "q4_0");
  EXPECT_EQ(fb("q3_k", 64), "q4_0");
  EXPECT_EQ(fb("q4_k", 64), "q5_0");
  EXPECT_EQ(fb("q5_k", 64), "q5_1");
  EXPECT_EQ(fb("q6_k", 384), "q8_0");
  EXPECT_EQ(fb("qins8", 7), "qins8");
  EXPECT_EQ(fb("q4_0", 33), "q4_0");
}

}  // namespace
}  // namespace qins::runner
