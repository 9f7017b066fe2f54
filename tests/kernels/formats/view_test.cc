// QuantizedMatrix::View: rows used in place from the caller's memory (a
// mapped GGUF tensor) decode, multiply and check exactly as an owned copy of
// the same bytes, at any alignment and row stride, on every target.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "qins/context.h"
#include "qins/gemm.h"
#include "qins/gemv.h"
#include "qins/quantize.h"
#include "tests/support/per_target.h"
#include "tests/support/reference.h"

namespace qins {
namespace {

// The formats whose rows hold everything (the ones a GGUF can store).
std::vector<Format> ViewableFormats() {
  std::vector<Format> out;
  for (Format f : AllFormats()) {
    if (GetFormatInfo(f).ggml_type >= 0) out.push_back(f);
  }
  return out;
}

// Cols that fit the format: 9 blocks of 32 (odd), or 3 super-blocks.
size_t ColsFor(Format f) {
  const size_t m = GetFormatInfo(f).col_multiple;
  return m > 1 ? 3 * m : 9 * 32 + 5;
}

// The owned matrix, and a buffer holding its rows at an odd offset and an
// odd stride (payload + 3) with read slack after the last row; for f32, f16
// and bf16, offset and stride odd multiples of the element size.
struct Viewed {
  QuantizedMatrix owned;
  std::shared_ptr<std::vector<uint8_t>> buf;
  const uint8_t* first = nullptr;
  size_t stride = 0;
  size_t readable = 0;
};

Viewed Make(Format f, size_t rows, size_t cols) {
  Viewed v;
  const std::vector<float> w =
      testing::RandomFloats(rows * cols, 7 + cols, 0.02f);
  StatusOr<QuantizedMatrix> q = Quantize(f, w.data(), rows, cols);
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  v.owned = *q;
  const size_t payload = q->row_payload_bytes();
  const size_t elem = GetFormatInfo(f).block == 1 ? payload / cols : 1;
  v.stride = payload + 3 * elem;
  v.readable = (rows - 1) * v.stride + payload + QuantizedMatrix::kReadSlack;
  // vector<uint8_t>'s data is aligned for any scalar type.
  v.buf = std::make_shared<std::vector<uint8_t>>(elem + v.readable, 0xA5);
  v.first = v.buf->data() + elem;
  for (size_t r = 0; r < rows; ++r) {
    std::memcpy(v.buf->data() + elem + r * v.stride, q->row(r), payload);
  }
  return v;
}

class ViewTest : public testing::PerTargetTest {};

TEST_P(ViewTest, DecodesAndMultipliesExactlyAsTheOwnedCopy) {
  const Context ctx = testing::MakeContext(target(), 2);
  for (Format f : ViewableFormats()) {
    const size_t rows = 5, cols = ColsFor(f);
    SCOPED_TRACE(FormatName(f));
    Viewed v = Make(f, rows, cols);
    StatusOr<QuantizedMatrix> view = QuantizedMatrix::View(
        f, rows, cols, v.first, v.stride, v.readable, v.buf);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    EXPECT_TRUE(view->is_view());
    EXPECT_FALSE(v.owned.is_view());
    EXPECT_EQ(view->allocated_bytes(), 0u);
    EXPECT_EQ(view->payload_bytes(), v.owned.payload_bytes());
    EXPECT_EQ(view->row(1), v.first + v.stride);

    std::vector<float> a(rows * cols), b(rows * cols);
    ASSERT_TRUE(Dequantize(ctx, v.owned, a.data()).ok());
    ASSERT_TRUE(Dequantize(ctx, *view, b.data()).ok());
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4));
    ASSERT_TRUE(DequantizeReference(*view, b.data()).ok());
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4));
    EXPECT_TRUE(CheckFinite(ctx, *view).ok());

    const std::vector<float> x = testing::RandomFloats(cols, 3, 1.0f);
    for (GemvStrategy s : GemvStrategies(f)) {
      SCOPED_TRACE(GemvStrategyName(s));
      std::vector<float> ya(rows), yb(rows);
      ASSERT_TRUE(Gemv(ctx, v.owned, x.data(), ya.data(), {s}).ok());
      ASSERT_TRUE(Gemv(ctx, *view, x.data(), yb.data(), {s}).ok());
      EXPECT_EQ(0, std::memcmp(ya.data(), yb.data(), rows * 4));
    }
    const size_t m = 3;
    const std::vector<float> xm = testing::RandomFloats(m * cols, 4, 1.0f);
    std::vector<float> ga(m * rows), gb(m * rows);
    ASSERT_TRUE(Gemm(ctx, v.owned, xm.data(), m, cols, ga.data(), rows).ok());
    ASSERT_TRUE(Gemm(ctx, *view, xm.data(), m, cols, gb.data(), rows).ok());
    EXPECT_EQ(0, std::memcmp(ga.data(), gb.data(), ga.size() * 4));

    // A clone owns aligned rows with the same values.
    QuantizedMatrix c = view->Clone();
    EXPECT_FALSE(c.is_view());
    EXPECT_EQ(c.row_stride() % 64, 0u);
    ASSERT_TRUE(Dequantize(ctx, c, b.data()).ok());
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * 4));
  }
}

QINS_INSTANTIATE_PER_TARGET(ViewTest);

TEST(ViewCheckTest, KeepsItsOwnerAlive) {
  const Format f = *ParseFormat("q8_0");
  Viewed v = Make(f, 3, 64);
  std::weak_ptr<std::vector<uint8_t>> weak = v.buf;
  StatusOr<QuantizedMatrix> view =
      QuantizedMatrix::View(f, 3, 64, v.first, v.stride, v.readable, v.buf);
  ASSERT_TRUE(view.ok());
  v.buf.reset();
  EXPECT_FALSE(weak.expired());
  std::vector<float> out(3 * 64);
  EXPECT_TRUE(DequantizeReference(*view, out.data()).ok());
  view = Status(StatusCode::kInternal, "dropped");
  EXPECT_TRUE(weak.expired());
}

TEST(ViewCheckTest, RefusesWhatItCannotUseInPlace) {
  const Format q8 = *ParseFormat("q8_0");
  Viewed v = Make(q8, 3, 64);
  auto view = [&](Format f, size_t rows, size_t cols, const uint8_t* p,
                  size_t stride, size_t readable) {
    return QuantizedMatrix::View(f, rows, cols, p, stride, readable, v.buf)
        .status();
  };
  // One byte short of the read slack: the caller must copy.
  Status s = view(q8, 3, 64, v.first, v.stride, v.readable - 1);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("read slack"), std::string::npos) << s.message();
  EXPECT_EQ(view(q8, 3, 64, v.first, 67, v.readable).code(),
            StatusCode::kInvalidArgument);  // stride below the 68-byte payload
  EXPECT_EQ(view(q8, 3, 64, nullptr, v.stride, v.readable).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(view(q8, 0, 64, v.first, v.stride, v.readable).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(view(q8, 3, 64, v.first, SIZE_MAX / 2, SIZE_MAX).code(),
            StatusCode::kInvalidArgument);  // rows x stride overflows
  // f32 rows: stride and address must be whole floats.
  const Format f32 = *ParseFormat("f32");
  Viewed w = Make(f32, 3, 16);
  EXPECT_TRUE(
      QuantizedMatrix::View(f32, 3, 16, w.first, w.stride, w.readable, w.buf)
          .ok());
  s = QuantizedMatrix::View(f32, 3, 16, w.first, w.stride + 1, w.readable + 2,
                            w.buf)
          .status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("multiples of 4"), std::string::npos)
      << s.message();
  EXPECT_EQ(QuantizedMatrix::View(f32, 3, 16, w.first + 1, w.stride,
                                  w.readable - 1, w.buf)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  // Formats with row or tensor parameters cannot be viewed.
  s = view(*ParseFormat("qins8"), 3, 64, v.first, v.stride, v.readable);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("parameters"), std::string::npos);
  EXPECT_EQ(
      view(*ParseFormat("i8row"), 3, 64, v.first, v.stride, v.readable).code(),
      StatusCode::kInvalidArgument);
}

TEST(ViewCheckTest, CheckFiniteNamesANonFiniteWeight) {
  const Format q8 = *ParseFormat("q8_0");
  Viewed v = Make(q8, 3, 64);
  // Row 2, block 1: its f16 scale becomes +Inf (0x7C00).
  uint8_t* scale = v.buf->data() + 1 + 2 * v.stride + 34;  // elem = 1
  scale[0] = 0x00;
  scale[1] = 0x7C;
  StatusOr<QuantizedMatrix> view =
      QuantizedMatrix::View(q8, 3, 64, v.first, v.stride, v.readable, v.buf);
  ASSERT_TRUE(view.ok());
  const Status s = CheckFinite(*Context::Create(), *view);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("row 2, column 32"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace qins
