// q4_1, q5_0 and q5_1 against the outside oracle, llama.cpp's gguf-py
// 0.19.0: tests/data/ggml_blocks/<format>.bin hold weights, the bytes
// gguf.quants.quantize stores for them and the floats gguf.quants.dequantize
// returns (made by tools/make_ggml_block_fixtures.py; no Python at run
// time). Quantize must give those bytes exactly, and the scalar decoder and
// every target's SIMD decoder those floats bit for bit.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "dispatch/decode_kernels.h"
#include "dispatch/f32_kernels.h"
#include "gtest/gtest.h"
#include "hwy/aligned_allocator.h"
#include "kernels/formats/codec.h"
#include "kernels/formats/matrix_data.h"
#include "qins/gemv.h"
#include "qins/quantize.h"
#include "tests/support/per_target.h"
#include "tests/support/reference.h"

namespace qins {
namespace {

constexpr const char* kFormats[] = {"q4_1", "q5_0", "q5_1"};

struct Case {
  std::string name;
  size_t rows = 0, cols = 0;
  std::vector<float> w;
  std::vector<uint8_t> bytes;  // gguf-py's, rows * row_bytes
  std::vector<float> decoded;  // gguf-py's, rows * cols
  size_t row_bytes = 0;
};

struct Fixture {
  uint32_t ggml_type = 0, block_bytes = 0;
  std::vector<Case> cases;
};

// Reads tests/data/ggml_blocks/<format>.bin (layout:
// tools/make_ggml_block_fixtures.py --help). Fails the test on a short or
// malformed file.
Fixture LoadFixture(const std::string& format) {
  const std::string path =
      std::string(QINS_TEST_DATA_DIR) + "/ggml_blocks/" + format + ".bin";
  std::ifstream in(path, std::ios::binary);
  Fixture fx;
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return fx;
  }
  auto read = [&](void* p, size_t n) {
    in.read(static_cast<char*>(p), static_cast<std::streamsize>(n));
    return static_cast<bool>(in);
  };
  auto u32 = [&]() {
    uint8_t b[4] = {};
    read(b, 4);
    return static_cast<uint32_t>(b[0]) | static_cast<uint32_t>(b[1]) << 8 |
           static_cast<uint32_t>(b[2]) << 16 |
           static_cast<uint32_t>(b[3]) << 24;
  };
  char magic[8];
  if (!read(magic, 8) || std::memcmp(magic, "QGGMLBK1", 8) != 0) {
    ADD_FAILURE() << path << ": bad magic";
    return fx;
  }
  fx.ggml_type = u32();
  fx.block_bytes = u32();
  const uint32_t n = u32();
  for (uint32_t i = 0; i < n && in; ++i) {
    Case c;
    c.name.resize(u32());
    read(c.name.data(), c.name.size());
    c.rows = u32();
    c.cols = u32();
    c.row_bytes = (c.cols + 31) / 32 * fx.block_bytes;
    c.w.resize(c.rows * c.cols);
    c.bytes.resize(c.rows * c.row_bytes);
    c.decoded.resize(c.rows * c.cols);
    read(c.w.data(), c.w.size() * 4);  // little-endian host
    read(c.bytes.data(), c.bytes.size());
    read(c.decoded.data(), c.decoded.size() * 4);
    fx.cases.push_back(std::move(c));
  }
  if (!in || in.peek() != std::char_traits<char>::eof()) {
    ADD_FAILURE() << path << ": truncated or trailing bytes";
    fx.cases.clear();
  }
  return fx;
}

StatusOr<QuantizedMatrix> FromGgufBytes(Format f, const Case& c) {
  return QuantizedMatrix::FromParts(f, c.rows, c.cols, c.bytes.data(),
                                    c.bytes.size(), {}, {});
}

// The first float of `got` whose bits differ from `want`, or "".
std::string FirstDifference(const float* want, const float* got, size_t n,
                            size_t cols) {
  for (size_t i = 0; i < n; ++i) {
    if (std::memcmp(&want[i], &got[i], 4) != 0) {
      char buf[160];
      std::snprintf(buf, sizeof(buf),
                    "row %zu column %zu: gguf-py %.9g, got %.9g", i / cols,
                    i % cols, want[i], got[i]);
      return buf;
    }
  }
  return "";
}

TEST(GgmlBlockCodecsTest, FixturesMatchTheFormatTable) {
  for (const char* name : kFormats) {
    SCOPED_TRACE(name);
    const Fixture fx = LoadFixture(name);
    const Format f = *ParseFormat(name);
    EXPECT_EQ(static_cast<int>(fx.ggml_type), GetFormatInfo(f).ggml_type);
    EXPECT_EQ(fx.block_bytes, GetCodec(f.kind).row_payload_bytes(32, 0));
    EXPECT_DOUBLE_EQ(GetFormatInfo(f).bytes_per_weight, fx.block_bytes / 32.0);
    EXPECT_GE(fx.cases.size(), 11u);
  }
}

TEST(GgmlBlockCodecsTest, QuantizeGivesGgufPyBytesExactly) {
  for (const char* name : kFormats) {
    const Fixture fx = LoadFixture(name);
    const Format f = *ParseFormat(name);
    for (const Case& c : fx.cases) {
      SCOPED_TRACE(std::string(name) + " " + c.name);
      StatusOr<QuantizedMatrix> q = Quantize(f, c.w.data(), c.rows, c.cols);
      ASSERT_TRUE(q.ok()) << q.status().ToString();
      ASSERT_EQ(q->row_payload_bytes(), c.row_bytes);
      for (size_t r = 0; r < c.rows; ++r) {
        const uint8_t* want = c.bytes.data() + r * c.row_bytes;
        const uint8_t* got = q->row(r);
        for (size_t i = 0; i < c.row_bytes; ++i) {
          ASSERT_EQ(got[i], want[i])
              << "row " << r << ", block " << i / fx.block_bytes << ", byte "
              << i % fx.block_bytes;
        }
      }
    }
  }
}

TEST(GgmlBlockCodecsTest, ReferenceDecodeGivesGgufPyFloatsBitForBit) {
  for (const char* name : kFormats) {
    const Fixture fx = LoadFixture(name);
    const Format f = *ParseFormat(name);
    for (const Case& c : fx.cases) {
      SCOPED_TRACE(std::string(name) + " " + c.name);
      StatusOr<QuantizedMatrix> q = FromGgufBytes(f, c);
      ASSERT_TRUE(q.ok()) << q.status().ToString();
      std::vector<float> out(c.rows * c.cols, -1.0f);
      ASSERT_TRUE(DequantizeReference(*q, out.data()).ok());
      EXPECT_EQ(
          FirstDifference(c.decoded.data(), out.data(), out.size(), c.cols),
          "");
    }
  }
}

class GgmlBlockDecodeTest : public testing::PerTargetTest {};

TEST_P(GgmlBlockDecodeTest, SimdDecodeGivesGgufPyFloatsBitForBit) {
  const Context ctx = testing::MakeContext(target(), 1);
  for (const char* name : kFormats) {
    const Fixture fx = LoadFixture(name);
    const Format f = *ParseFormat(name);
    for (const Case& c : fx.cases) {
      SCOPED_TRACE(std::string(name) + " " + c.name);
      StatusOr<QuantizedMatrix> q = FromGgufBytes(f, c);
      ASSERT_TRUE(q.ok()) << q.status().ToString();
      std::vector<float> out(c.rows * c.cols, -1.0f);
      ASSERT_TRUE(Dequantize(ctx, *q, out.data()).ok());
      EXPECT_EQ(
          FirstDifference(c.decoded.data(), out.data(), out.size(), c.cols),
          "");
    }
  }
}

// The GEMV on gguf-py's bytes: `decode` is the f32 GEMV on gguf-py's floats
// bit for bit (exact decoder, then the f32 kernel); every strategy (the
// fused `direct` too) is within gemv_test's f32 summation bound of the
// exact product of those floats.
TEST_P(GgmlBlockDecodeTest, GemvOnGgufPyBytesMatchesTheF32GemvOnItsFloats) {
  const Context ctx = testing::MakeContext(target(), 2);
  const double lanes = static_cast<double>(GetF32Kernels(target()).f32_lanes());
  for (const char* name : kFormats) {
    const Fixture fx = LoadFixture(name);
    const Format f = *ParseFormat(name);
    for (const Case& c : fx.cases) {
      SCOPED_TRACE(std::string(name) + " " + c.name);
      StatusOr<QuantizedMatrix> q = FromGgufBytes(f, c);
      ASSERT_TRUE(q.ok());
      std::vector<float> x(c.cols), y(c.rows), ref(c.rows);
      for (size_t i = 0; i < c.cols; ++i) x[i] = 0.25f * (i % 7) - 0.75f;
      GemvOptions decode;
      decode.strategy = GemvStrategy::kDecode;
      ASSERT_TRUE(Gemv(ctx, *q, x.data(), y.data(), decode).ok());
      ASSERT_TRUE(GemvF32(ctx, c.decoded.data(), c.rows, c.cols, c.cols,
                          x.data(), ref.data())
                      .ok());
      EXPECT_EQ(0, std::memcmp(y.data(), ref.data(), c.rows * 4));
      std::vector<double> exact, abs_sum;
      testing::GemvReference(c.decoded.data(), c.rows, c.cols, c.cols, x.data(),
                             exact, abs_sum);
      const double m =
          std::ceil(c.cols / (2 * lanes)) + 3 + std::log2(lanes) + 2;
      for (GemvStrategy s : GemvStrategies(f)) {
        // dot rounds x to int8: bounded in gemv_dot_test.cc; so does auto
        // where it picks dot (q4_1 on x86; gemv_test checks that auto runs
        // the strategy GemvAutoStrategy names, bit for bit).
        if (s == GemvStrategy::kDot ||
            (s == GemvStrategy::kAuto &&
             GemvAutoStrategy(f, target()) == GemvStrategy::kDot))
          continue;
        SCOPED_TRACE(GemvStrategyName(s));
        GemvOptions o;
        o.strategy = s;
        ASSERT_TRUE(Gemv(ctx, *q, x.data(), y.data(), o).ok());
        for (size_t r = 0; r < c.rows; ++r) {
          EXPECT_NEAR(y[r], exact[r],
                      1.05 * m * std::ldexp(1.0, -24) * abs_sum[r])
              << r;
        }
      }
    }
  }
}

// A block whose f16 d (or m) is NaN or Inf decodes to non-finite values
// in every lane (code 0 gives 0 * Inf = NaN; q5_0's code 16 gives
// 0 * d too), so FromParts refuses it; a fuzzer-made matrix never reaches
// a decoder with one. The decoders themselves agree on such bytes anyway:
// the SIMD decoder of every target gives the scalar codec's value in every
// lane (NaN where it gives NaN).
TEST_P(GgmlBlockDecodeTest, NonFiniteBlockHeadersAreRefusedAndDecodeAlike) {
  const DecodeKernels& k = GetDecodeKernels(target());
  for (const char* name : kFormats) {
    const Format f = *ParseFormat(name);
    const Codec& codec = GetCodec(f.kind);
    const size_t block = codec.row_payload_bytes(32, 0);
    const bool has_min = f.kind != FormatKind::kQ5_0;
    // Two blocks: every code 0..31 once (block 0 holds the bad header),
    // then a finite block, in a row of 45 (padded last block).
    std::vector<uint8_t> bytes(2 * block, 0);
    for (size_t b = 0; b < 2; ++b) {
      uint8_t* blk = bytes.data() + b * block;
      const uint16_t d = 0x3400, m = 0xB800;  // 0.25, -0.5
      std::memcpy(blk, &d, 2);
      if (has_min) std::memcpy(blk + 2, &m, 2);
      const size_t qs = block - 16;
      for (size_t j = 0; j < 16; ++j)
        blk[qs + j] = static_cast<uint8_t>(j | (15 - j) << 4);
      if (f.kind != FormatKind::kQ4_1) {
        const uint32_t qh = 0xA5C3F00Fu;
        std::memcpy(blk + (has_min ? 4 : 2), &qh, 4);
      }
    }
    for (size_t field : {size_t{0}, size_t{2}}) {
      if (field == 2 && !has_min) continue;
      for (uint16_t bad : {uint16_t{0x7E00}, uint16_t{0x7C00}, uint16_t{0xFC00},
                           uint16_t{0x7C01}}) {
        SCOPED_TRACE(::testing::Message() << name << " field " << field
                                          << " f16 0x" << std::hex << bad);
        std::vector<uint8_t> b = bytes;
        std::memcpy(b.data() + field, &bad, 2);
        StatusOr<QuantizedMatrix> q =
            QuantizedMatrix::FromParts(f, 1, 45, b.data(), b.size(), {}, {});
        ASSERT_FALSE(q.ok());
        EXPECT_EQ(q.status().code(), StatusCode::kDataLoss);
        // The decoders on the same bytes, past FromParts.
        QuantizedMatrix::Data d;
        d.format = f;
        d.rows = 1;
        d.cols = 45;
        d.row_payload = b.size();
        d.row_stride = (b.size() + 63) / 64 * 64;
        d.bytes = hwy::AllocateAligned<uint8_t>(d.row_stride + kRowReadSlack);
        d.base = d.bytes.get();
        std::memset(d.bytes.get(), 0, d.row_stride + kRowReadSlack);
        std::memcpy(d.bytes.get(), b.data(), b.size());
        float ref[45], got[45];
        codec.decode_row(d, 0, ref);
        ASSERT_NE(k.row[static_cast<int>(f.kind)], nullptr);
        k.row[static_cast<int>(f.kind)](d, 0, got);
        for (size_t i = 0; i < 45; ++i) {
          if (i < 32) {
            EXPECT_FALSE(std::isfinite(ref[i])) << i;
          }
          if (std::isnan(ref[i])) {
            EXPECT_TRUE(std::isnan(got[i])) << i << ": " << got[i];
          } else {
            EXPECT_EQ(std::memcmp(&ref[i], &got[i], 4), 0)
                << i << ": " << ref[i] << " vs " << got[i];
          }
        }
      }
    }
  }
}

QINS_INSTANTIATE_PER_TARGET(GgmlBlockDecodeTest);

// Finite weights whose block scale or min overflows f16 are refused, as for
// q4_0; the largest magnitudes each keeps are stored.
TEST(GgmlBlockCodecsTest, QuantizeRefusesAnF16OverflowOfScaleOrMin) {
  std::vector<float> w(64, 0.01f);
  // q4_1 / q5_1: m = -7e4 (beyond f16) while d stays small.
  for (size_t i = 32; i < 64; ++i) w[i] = -7.0e4f;
  for (const char* name : {"q4_1", "q5_1"}) {
    StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat(name), w.data(), 1, 64);
    ASSERT_FALSE(q.ok()) << name;
    EXPECT_EQ(q.status().code(), StatusCode::kOutOfRange) << name;
  }
  // A kept extreme: m = -65504, d = (65504 + 65504) / 15 or / 31.
  for (size_t i = 32; i < 64; ++i) w[i] = (i % 2 ? 1.0f : -1.0f) * 65504.0f;
  for (const char* name : {"q4_1", "q5_1", "q5_0"}) {
    EXPECT_TRUE(Quantize(*ParseFormat(name), w.data(), 1, 64).ok()) << name;
  }
  // d beyond f16 for a max of 2.2e6: q5_0's max / -16, q4_1's range / 15,
  // q5_1's range / 31 (2265504 / 31 = 73081).
  w[40] = 2.2e6f;
  for (const char* name : {"q4_1", "q5_0", "q5_1"}) {
    StatusOr<QuantizedMatrix> q = Quantize(*ParseFormat(name), w.data(), 1, 64);
    ASSERT_FALSE(q.ok()) << name;
    EXPECT_EQ(q.status().code(), StatusCode::kOutOfRange) << name;
    EXPECT_NE(q.status().message().find("column 40"), std::string::npos)
        << q.status().message();
  }
}

// Every code of every format round-trips through its stored layout: codes
// written at known positions decode to d * q (+ m) at those positions.
TEST(GgmlBlockCodecsTest, EveryCodeAtEveryPosition) {
  for (const char* name : kFormats) {
    SCOPED_TRACE(name);
    const Format f = *ParseFormat(name);
    const bool five = f.kind != FormatKind::kQ4_1;
    const int qmax = five ? 31 : 15;
    // Code q = 7 j mod (qmax + 1) at position j: every code (7 is odd),
    // 0 at j = 0 and qmax elsewhere, so that min = 0 and max = qmax 2^-4
    // give d = 2^-4 exactly. q5_0 is signed: weights (q - 16) 2^-4, with
    // -16 2^-4 the largest magnitude, so d = 2^-4 again.
    std::vector<float> w(32);
    for (int j = 0; j < 32; ++j) {
      const int q = 7 * j % (qmax + 1);
      w[j] = std::ldexp(
          static_cast<float>(f.kind == FormatKind::kQ5_0 ? q - 16 : q), -4);
    }
    StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), 1, 32);
    ASSERT_TRUE(q.ok());
    std::vector<float> out(32);
    ASSERT_TRUE(DequantizeReference(*q, out.data()).ok());
    for (int j = 0; j < 32; ++j) EXPECT_EQ(out[j], w[j]) << j;
    // The stored codes: nibbles in qs, bit 4 in qh.
    const uint8_t* blk = q->row(0);
    const size_t qs = q->row_payload_bytes() - 16;
    uint32_t qh = 0;
    if (five) std::memcpy(&qh, blk + qs - 4, 4);
    for (int j = 0; j < 32; ++j) {
      const int nib = j < 16 ? blk[qs + j] & 0xF : blk[qs + j - 16] >> 4;
      EXPECT_EQ(nib | static_cast<int>(qh >> j & 1) << 4, 7 * j % (qmax + 1))
          << j;
    }
  }
}

}  // namespace
}  // namespace qins
