// The llama2.c checkpoint loader on a corpus of malformed files, generated
// here from a valid tiny checkpoint: every header-field truncation, body
// truncations, trailing bytes, zero/negative/huge header fields, heads not
// dividing dim, KV heads not dividing heads, odd head_dim, bad version-1
// headers, and NaN/Inf weights. Each must give a non-OK Status whose message
// names the problem; none may crash (the asan preset runs this too) or
// allocate by what the header claims (the loader maps the file and checks
// sizes first).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tools/runner/llama2c_source.h"

namespace qins::runner {
namespace {

// dim 8, hidden 16, 2 layers, 2 heads, 1 KV head, vocab 12, seq 4, tied.
std::vector<uint8_t> TinyCheckpoint(bool untied = false) {
  const int32_t h[7] = {8, 16, 2, 2, 1, untied ? -12 : 12, 4};
  const size_t dim = 8, hidden = 16, L = 2, kv = 4, vocab = 12, hd = 4;
  size_t n = vocab * dim + L * dim + L * dim * dim + 2 * L * kv * dim +
             L * dim * dim + L * dim + 3 * L * hidden * dim + dim +
             4 * hd / 2 * 2 + (untied ? vocab * dim : 0);
  std::vector<uint8_t> b(28 + 4 * n);
  std::memcpy(b.data(), h, 28);
  for (size_t i = 0; i < n; ++i) {
    const float v = 0.01f * static_cast<float>((i * 37) % 19) - 0.09f;
    std::memcpy(b.data() + 28 + 4 * i, &v, 4);
  }
  return b;
}

struct Case {
  std::string name;
  std::vector<uint8_t> bytes;
  std::string expect;    // substring of the error message
  bool at_read = false;  // the error comes from ReadTensor, not opening
};

std::vector<Case> Corpus() {
  std::vector<Case> cs;
  const std::vector<uint8_t> ok = TinyCheckpoint();
  for (size_t n = 0; n < 28; ++n) {
    cs.push_back({"header_truncated_" + std::to_string(n),
                  std::vector<uint8_t>(ok.begin(), ok.begin() + n),
                  "too small for a llama2.c header"});
  }
  for (size_t n : {28ul, 29ul, 100ul, 333ul, ok.size() / 2, ok.size() - 4,
                   ok.size() - 1}) {
    cs.push_back({"body_truncated_" + std::to_string(n),
                  std::vector<uint8_t>(ok.begin(), ok.begin() + n),
                  "truncated: the header"});
  }
  for (size_t extra : {1ul, 4ul, 1000ul}) {
    std::vector<uint8_t> b = ok;
    b.resize(b.size() + extra, 0);
    cs.push_back({"trailing_" + std::to_string(extra), b, "trailing bytes"});
  }
  auto with_field = [&](int field, int32_t v) {
    std::vector<uint8_t> b = ok;
    std::memcpy(b.data() + 4 * field, &v, 4);
    return b;
  };
  const char* names[7] = {"dim",     "hidden", "layers", "heads",
                          "kvheads", "vocab",  "seq"};
  for (int f = 0; f < 7; ++f) {
    cs.push_back({std::string("zero_") + names[f], with_field(f, 0),
                  "bad llama2.c header"});
    cs.push_back({std::string("huge_") + names[f], with_field(f, INT32_MAX),
                  "bad llama2.c header"});
    if (f != 5) {
      cs.push_back({std::string("negative_") + names[f], with_field(f, -3),
                    "bad llama2.c header"});
    }
  }
  cs.push_back(
      {"vocab_int_min", with_field(5, INT32_MIN), "bad llama2.c header"});
  // Plausible-looking headers that describe a much larger model than the
  // file: no allocation by the header, a size error.
  {
    std::vector<uint8_t> b = ok;
    const int32_t big[7] = {4096, 11008, 32, 32, 32, 32000, 4096};
    std::memcpy(b.data(), big, 28);
    cs.push_back({"claims_7b", b, "truncated: the header"});
  }
  {
    std::vector<uint8_t> b = with_field(3, 3);  // 8 % 3 != 0
    cs.push_back({"heads_not_dividing_dim", b, "bad llama2.c header"});
  }
  {
    std::vector<uint8_t> b = with_field(4, 3);  // 2 heads % 3 KV heads
    cs.push_back({"kv_heads_not_dividing_heads", b, "bad llama2.c header"});
  }
  {
    std::vector<uint8_t> b = with_field(4, 4);  // more KV heads than heads
    cs.push_back({"kv_heads_above_heads", b, "bad llama2.c header"});
  }
  {
    std::vector<uint8_t> b = with_field(3, 8);  // head_dim 1: odd
    cs.push_back({"odd_head_dim", b, "bad llama2.c header"});
  }
  // Version-1 headers: magic "ak42".
  {
    std::vector<uint8_t> b(256, 0);
    const uint32_t magic = 0x616b3432;
    std::memcpy(b.data(), &magic, 4);
    int32_t v = 2;
    std::memcpy(b.data() + 4, &v, 4);
    cs.push_back({"version_2", b, "version 2"});
    v = 7;
    std::memcpy(b.data() + 4, &v, 4);
    cs.push_back({"version_7", b, "version 7"});
    v = 1;
    std::memcpy(b.data() + 4, &v, 4);
    cs.push_back({"version_1_short",
                  std::vector<uint8_t>(b.begin(), b.begin() + 100),
                  "too small for a version-1 header"});
    const int32_t h[7] = {8, 16, 2, 2, 1, -12, 4};
    std::memcpy(b.data() + 8, h, 28);
    cs.push_back({"version_1_negative_vocab", b, "must be positive"});
    // Issue 19 item 10: any non-zero byte was taken as "shared".
    const int32_t h_ok[7] = {8, 16, 2, 2, 1, 12, 4};
    std::memcpy(b.data() + 8, h_ok, 28);
    b[36] = 2;
    cs.push_back({"version_1_shared_classifier_2", b,
                  "shared_classifier is 2 (must be 0 or 1)"});
  }
  // Non-finite weights: the file opens; reading the tensor names it.
  const size_t body = 28;
  for (size_t idx : {0ul, 5ul, 97ul, 200ul, 500ul, 1000ul}) {
    for (float bad : {NAN, INFINITY, -INFINITY}) {
      std::vector<uint8_t> b = ok;
      std::memcpy(b.data() + body + 4 * idx, &bad, 4);
      cs.push_back({"nonfinite_" + std::to_string(idx) + "_" +
                        (std::isnan(bad) ? "nan"
                         : bad > 0       ? "inf"
                                         : "ninf"),
                    b, std::isnan(bad) ? "NaN" : "Inf", true});
    }
  }
  return cs;
}

TEST(Llama2cMalformedTest, EveryCaseIsAClearError) {
  const std::vector<Case> cs = Corpus();
  ASSERT_GE(cs.size(), 50u);
  for (const Case& c : cs) {
    SCOPED_TRACE(c.name);
    const std::string path =
        ::qins::testing::TempDir() + "/malformed_" + c.name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(c.bytes.data()),
               static_cast<std::streamsize>(c.bytes.size()));
    StatusOr<std::unique_ptr<ModelSource>> s = OpenLlama2cSource(path);
    std::string msg;
    if (!c.at_read) {
      ASSERT_FALSE(s.ok());
      msg = s.status().message();
    } else {
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      // Read every tensor; one of them must fail.
      const ModelConfig& cfg = (*s)->config();
      std::vector<float> buf;
      for (int t = 0;
           t <= static_cast<int>(TensorClass::kFinalNorm) && msg.empty(); ++t) {
        if (t == static_cast<int>(TensorClass::kOutput)) continue;
        for (int l = 0; l < cfg.n_layers && msg.empty(); ++l) {
          size_t r = 0, k = 0;
          TensorShape(cfg, static_cast<TensorClass>(t), &r, &k);
          buf.resize(r * k);
          Status st =
              (*s)->ReadTensor(static_cast<TensorClass>(t), l, buf.data());
          if (!st.ok()) msg = st.message();
        }
      }
      ASSERT_FALSE(msg.empty()) << "no tensor read reported the bad value";
    }
    EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << "names the file: " << msg;
  }
}

TEST(Llama2cMalformedTest, TheValidBaseOpens) {
  for (bool untied : {false, true}) {
    const std::vector<uint8_t> b = TinyCheckpoint(untied);
    const std::string path = ::qins::testing::TempDir() + "/tiny_valid.bin";
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()),
               static_cast<std::streamsize>(b.size()));
    auto s = OpenLlama2cSource(path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ((*s)->config().tied_classifier, !untied);
  }
}

}  // namespace
}  // namespace qins::runner
