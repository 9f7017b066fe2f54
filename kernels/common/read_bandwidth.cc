// Read-bandwidth measurement on a Context (qins/bandwidth.h).
#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dispatch/f32_kernels.h"
#include "dispatch/parallel.h"
#include "hwy/aligned_allocator.h"
#include "qins/bandwidth.h"

namespace qins {

float ParallelSumF32(const Context& ctx, const float* p, size_t n) {
  const F32Kernels& k = GetF32Kernels(ctx.target());
  constexpr size_t kChunk = 4096;  // floats per task unit (16 KiB)
  const size_t chunks = (n + kChunk - 1) / kChunk;
  const int threads = ctx.num_threads();
  // One partial sum per contiguous share; summed in a fixed order.
  std::vector<float> partial(chunks, 0.0f);
  const size_t grain = std::max<size_t>(1, chunks / (4 * static_cast<size_t>(threads)));
  ParallelFor(ctx, chunks, grain, [&](size_t c0, size_t c1) {
    const size_t b = c0 * kChunk, e = std::min(n, c1 * kChunk);
    partial[c0] = k.read_sum(p + b, e - b);
  });
  float s = 0;
  for (float v : partial) s += v;
  return s;
}

StatusOr<ReadBandwidth> MeasureReadBandwidth(const Context& ctx,
                                             size_t bytes_per_buffer,
                                             size_t buffers, double min_seconds,
                                             int repetitions) {
  if (bytes_per_buffer < sizeof(float) || buffers == 0 || repetitions < 1 ||
      !(min_seconds >= 0)) {
    return InvalidArgument("MeasureReadBandwidth: need bytes_per_buffer >= 4, "
                           "buffers >= 1, repetitions >= 1, min_seconds >= 0");
  }
  const size_t n = bytes_per_buffer / sizeof(float);
  std::vector<hwy::AlignedFreeUniquePtr<float[]>> bufs;
  for (size_t b = 0; b < buffers; ++b) {
    bufs.push_back(hwy::AllocateAligned<float>(n));
    if (!bufs.back()) {
      return Status(StatusCode::kResourceExhausted,
                    "MeasureReadBandwidth: cannot allocate " +
                        std::to_string(bytes_per_buffer * buffers) + " bytes");
    }
    // Touch every page from the threads that will read it (first touch).
    float* p = bufs.back().get();
    ParallelFor(ctx, n, 4096, [&](size_t i0, size_t i1) {
      for (size_t i = i0; i < i1; ++i) p[i] = 1.0f + static_cast<float>(i & 7);
    });
  }
  using Clock = std::chrono::steady_clock;
  volatile float sink = 0;
  size_t next = 0;
  auto pass = [&] {
    sink = sink + ParallelSumF32(ctx, bufs[next].get(), n);
    next = (next + 1) % buffers;
  };
  for (size_t b = 0; b < buffers; ++b) pass();  // warm-up: one full rotation
  std::vector<double> rates;
  for (int r = 0; r < repetitions; ++r) {
    size_t passes = 0;
    const auto t0 = Clock::now();
    double elapsed = 0;
    do {
      pass();
      ++passes;
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    } while (elapsed < min_seconds || passes < buffers);
    rates.push_back(static_cast<double>(passes) * bytes_per_buffer / elapsed);
  }
  std::sort(rates.begin(), rates.end());
  ReadBandwidth out;
  out.bytes_per_second = rates.back();
  out.median_bytes_per_second = rates[rates.size() / 2];
  out.bytes_per_pass = n * sizeof(float);
  out.buffers = buffers;
  out.repetitions = repetitions;
  return out;
}

}  // namespace qins
