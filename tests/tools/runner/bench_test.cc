// bench mode on stories260K: every row is filled in consistently (the
// numbers themselves are the machine's).
#include "tools/runner/bench.h"

#include <string>

#include "gtest/gtest.h"
#include "tools/runner/llama2c_source.h"

namespace qins::runner {
namespace {

TEST(BenchTest, RowsAreConsistent) {
  auto src = OpenLlama2cSource(QINS_MODELS_DIR "/stories260K.bin");
  ASSERT_TRUE(src.ok());
  ContextOptions o;
  o.num_threads = 2;
  auto ctx = Context::Create(o);
  ASSERT_TRUE(ctx.ok());
  BenchOptions opt;
  opt.policies = {*ParseFormatPolicy("f32", "", ""),
                  *ParseFormatPolicy("qins8", "", "")};
  opt.prompt_len = 4;
  opt.decode_tokens = 8;
  opt.reps = 2;
  opt.progress = false;
  auto r = RunBench(*ctx, **src, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows.size(), 2u);
  for (const BenchRow& row : r->rows) {
    SCOPED_TRACE(row.name);
    EXPECT_GT(row.decode_tps.mean, 0);
    EXPECT_GT(row.prefill_tps.mean, 0);
    EXPECT_LE(row.decode_tps.min, row.decode_tps.max);
    EXPECT_GT(row.ttft_ms.mean, 0);
    EXPECT_NEAR(
        row.gemv_share + row.gemm_share + row.attention_share + row.other_share,
        1.0, 1e-9);
    // The 4-token prompt runs through GEMM, the 8 decode steps through GEMV.
    EXPECT_GT(row.gemm_share, 0);
    EXPECT_GT(row.gemv_share, 0);
    EXPECT_GT(row.other_share, 0);
    EXPECT_GT(row.read_gbps_same_size, 0);
    EXPECT_GT(row.read_gbps_dram, 0);
    EXPECT_NEAR(row.effective_gbps,
                row.weight_bytes * row.decode_tps.mean / 1e9, 1e-9);
  }
  // f32 stores 4 bytes per weight plus the norms; qins8 about 1.
  EXPECT_GT(r->rows[0].weight_bytes, 4 * r->rows[0].weights);
  EXPECT_LT(r->rows[1].weight_bytes, 2 * r->rows[1].weights);
  const std::string md = BenchMarkdown(*r), js = BenchJson(*r);
  EXPECT_NE(md.find("| qins8 |"), std::string::npos);
  EXPECT_NE(js.find("\"decode_tokens_per_s\""), std::string::npos);
}

TEST(BenchTest, BadOptionsAreErrors) {
  auto src = OpenLlama2cSource(QINS_MODELS_DIR "/stories260K.bin");
  ASSERT_TRUE(src.ok());
  auto ctx = Context::Create();
  ASSERT_TRUE(ctx.ok());
  BenchOptions opt;
  opt.policies = {*ParseFormatPolicy("f32", "", "")};
  opt.prompt_len = 500;
  opt.decode_tokens = 13;  // 513 > seq_len 512
  EXPECT_FALSE(RunBench(*ctx, **src, opt).ok());
  opt.prompt_len = 0;
  EXPECT_FALSE(RunBench(*ctx, **src, opt).ok());
}

}  // namespace
}  // namespace qins::runner
