// X rows -> int8 blocks for the integer-dot GEMM (dot_x_rows.h), through
// the `dot` GEMV's own quantizer so that both round x identically.
#include "kernels/gemm/dot_x_rows.h"

#include <atomic>
#include <cstring>

#include "dispatch/parallel.h"
#include "kernels/gemv/quantize_x.h"

namespace qins {

bool DotX::Quantize(const Context& ctx, const float* x, size_t m, size_t k,
                    size_t ldx) {
  const size_t blocks = (k + kDotBlock - 1) / kDotBlock;
  q_ = hwy::AllocateAligned<int8_t>(m * blocks * kDotBlock);
  d_ = hwy::AllocateAligned<float>(m * blocks);
  sum_ = hwy::AllocateAligned<float>(m * blocks);
  neg_bias_ = hwy::AllocateAligned<int32_t>(m * blocks);
  neg_bias16_ = hwy::AllocateAligned<int32_t>(2 * m * blocks);
  if (!q_ || !d_ || !sum_ || !neg_bias_ || !neg_bias16_) return false;
  finite_.assign(m, 0);
  std::atomic<bool> ok{true};
  ParallelFor(ctx, m, 16, [&](size_t i0, size_t i1) {
    Q8X q8;
    if (!q8.Init(k)) {
      ok = false;
      return;
    }
    for (size_t i = i0; i < i1; ++i) {
      finite_[i] = q8.Quantize(x + i * ldx, k) ? 1 : 0;
      const Q8Blocks& v = q8.blocks();
      std::memcpy(q_.get() + i * blocks * kDotBlock, v.q, blocks * kDotBlock);
      for (size_t b = 0; b < blocks; ++b) {
        d_[i * blocks + b] = v.d[b];
        sum_[i * blocks + b] = static_cast<float>(v.sum[b]);
        neg_bias_[i * blocks + b] = -128 * v.sum[b];
        for (size_t h = 0; h < 2; ++h) {
          int32_t half = 0;
          for (size_t t = 0; t < 16; ++t)
            half += v.q[b * kDotBlock + 16 * h + t];
          neg_bias16_[2 * (i * blocks + b) + h] = -128 * half;
        }
      }
    }
  });
  view_.blocks = blocks;
  view_.q = q_.get();
  view_.d = d_.get();
  view_.neg_bias = neg_bias_.get();
  view_.sum = sum_.get();
  view_.neg_bias16 = neg_bias16_.get();
  return ok;
}

}  // namespace qins
