// The forward-pass profiler on stories260K: every region of a generate run
// is charged, the modelled bytes and FLOPs follow the shapes, the regions
// add up to the run, and counters are either counted or reported
// unavailable with a reason (never a silent zero).
#include "tools/runner/forward_profiler.h"

#include <chrono>
#include <string>

#include "gtest/gtest.h"
#include "tools/runner/convert.h"
#include "tools/runner/forward.h"
#include "tools/runner/generate.h"
#include "tools/runner/llama2c_source.h"

namespace qins::runner {
namespace {

const RegionStats* Find(const ForwardProfiler& p, const std::string& name) {
  for (const RegionStats& r : p.regions())
    if (r.name == name) return &r;
  return nullptr;
}

class ForwardProfilerTest : public ::testing::TestWithParam<bool> {};

TEST_P(ForwardProfilerTest, ChargesEveryRegionOfAGenerateRun) {
  const bool counters = GetParam();
  // Created before the Context, as qins-run does, so that inherited
  // counters include the worker threads.
  auto prof = ForwardProfiler::Create(counters);
  ASSERT_TRUE(prof.ok()) << prof.status().ToString();
  ContextOptions o;
  o.num_threads = 2;
  auto ctx = Context::Create(o);
  ASSERT_TRUE(ctx.ok());
  auto src = OpenLlama2cSource(QINS_MODELS_DIR "/stories260K.bin");
  ASSERT_TRUE(src.ok());
  auto w = ConvertModel(*ctx, **src, *ParseFormatPolicy("qins8", "", ""),
                        {.progress = false});
  ASSERT_TRUE(w.ok());
  const ModelConfig& c = w->config;
  auto t = Transformer::Create(*ctx, &*w, 32);
  ASSERT_TRUE(t.ok());
  prof->Reset();
  t->set_profiler(&*prof);
  Sampler greedy(c.vocab_size, 0.0f, 0.0f, 1);
  GenerateOptions g;
  g.max_new_tokens = 6;
  const std::vector<int> prompt = {1, 40, 41, 42};
  const auto t0 = std::chrono::steady_clock::now();
  auto out = Generate(*t, prompt, greedy, g);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 6u);
  // One prefill of 4 tokens (GEMM), then 5 tokens fed back (GEMV).
  const RegionStats* gemm_q = Find(*prof, "gemm attn_q qins8");
  const RegionStats* gemv_q = Find(*prof, "gemv attn_q qins8");
  const RegionStats* gemv_up = Find(*prof, "gemv ffn_up qins8");
  ASSERT_NE(gemm_q, nullptr);
  ASSERT_NE(gemv_q, nullptr);
  ASSERT_NE(gemv_up, nullptr);
  EXPECT_EQ(gemm_q->calls, c.n_layers);
  EXPECT_EQ(gemv_q->calls, 5 * c.n_layers);
  const QuantizedMatrix& wq = w->layers[0].wq;
  EXPECT_DOUBLE_EQ(gemm_q->flops, c.n_layers * 2.0 * 4 * c.dim * c.dim);
  EXPECT_DOUBLE_EQ(gemv_up->bytes, 5 * c.n_layers *
                                       (double(w->layers[0].w_up.rows()) *
                                            w->layers[0].w_up.row_stride() +
                                        4.0 * (c.dim + c.hidden_dim)));
  EXPECT_DOUBLE_EQ(
      gemv_q->bytes,
      5 * c.n_layers * (double(wq.rows()) * wq.row_stride() + 8.0 * c.dim));
  // The tied classifier: prefill's last token and each decode step by GEMV.
  const RegionStats* cls = Find(*prof, "gemv embedding qins8");
  ASSERT_NE(cls, nullptr);
  EXPECT_EQ(cls->calls, 1 + 5);
  for (const char* name : {"attention", "rmsnorm", "rope", "swiglu", "residual",
                           "embedding", "sampling"}) {
    const RegionStats* r = Find(*prof, name);
    ASSERT_NE(r, nullptr) << name;
    EXPECT_GT(r->calls, 0) << name;
    EXPECT_GE(r->seconds, 0) << name;
  }
  EXPECT_EQ(Find(*prof, "sampling")->calls, 6);
  // Regions are consecutive laps inside the run: their sum cannot exceed it.
  EXPECT_GT(prof->TotalSeconds(), 0);
  EXPECT_LE(prof->TotalSeconds(), wall);
  EXPECT_NEAR(prof->KindSeconds(RegionKind::kGemm) +
                  prof->KindSeconds(RegionKind::kGemv) +
                  prof->KindSeconds(RegionKind::kAttention) +
                  prof->KindSeconds(RegionKind::kRmsNorm) +
                  prof->KindSeconds(RegionKind::kRope) +
                  prof->KindSeconds(RegionKind::kSwiGlu) +
                  prof->KindSeconds(RegionKind::kResidual) +
                  prof->KindSeconds(RegionKind::kEmbedding) +
                  prof->KindSeconds(RegionKind::kSampling),
              prof->TotalSeconds(), 1e-12);

  const std::string md = prof->Markdown("profile"), js = prof->Json();
  EXPECT_NE(md.find("| gemm attn_q qins8 |"), std::string::npos);
  EXPECT_NE(md.find("| gemv qins8 |"), std::string::npos);  // per format
  EXPECT_NE(js.find("\"name\": \"attention\""), std::string::npos);
  if (!counters) {
    EXPECT_TRUE(prof->events().empty());
    EXPECT_EQ(md.find("IPC"), std::string::npos);
    return;
  }
  const std::vector<PerfEvent> ev = prof->events();
  const std::vector<std::string> why = prof->unavailable_reasons();
  ASSERT_EQ(ev.size(), why.size());
  ASSERT_FALSE(ev.empty());
  for (size_t i = 0; i < ev.size(); ++i) {
    if (why[i].empty()) continue;
    // Unavailable: named with its reason in the report, null in the JSON.
    EXPECT_NE(md.find(std::string(PerfEventName(ev[i])) + " unavailable: "),
              std::string::npos);
  }
  // task-clock is a software event: where perf_event_open exists at all it
  // is counted, and the GEMM region used CPU time.
  for (size_t i = 0; i < ev.size(); ++i) {
    if (ev[i] != PerfEvent::kTaskClock || !why[i].empty()) continue;
    ASSERT_GT(gemm_q->counters.size(), i);
    EXPECT_GT(gemm_q->counters[i], 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Counters, ForwardProfilerTest, ::testing::Bool());

}  // namespace
}  // namespace qins::runner
