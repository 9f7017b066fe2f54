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

uint32_t ParallelReadBytes(const Context& ctx, const void* p, size_t bytes) {
  const F32Kernels& k = GetF32Kernels(ctx.target());
  const auto* b = static_cast<const unsigned char*>(p);
  uint32_t s = 0;
  // Leading bytes up to 4-byte alignment, so the kernel sees aligned words.
  size_t head = (4 - reinterpret_cast<uintptr_t>(b) % 4) % 4;
  head = std::min(head, bytes);
  for (size_t i = 0; i < head; ++i) s += b[i];
  const auto* words = reinterpret_cast<const uint32_t*>(b + head);
  const size_t n = (bytes - head) / 4;
  constexpr size_t kChunk = 4096;  // words per task unit (16 KiB)
  const size_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<uint32_t> partial(chunks, 0);
  const size_t grain = std::max<size_t>(
      1, chunks / (4 * static_cast<size_t>(ctx.num_threads())));
  ParallelFor(ctx, chunks, grain, [&](size_t c0, size_t c1) {
    const size_t w0 = c0 * kChunk, w1 = std::min(n, c1 * kChunk);
    partial[c0] = k.read_sum_u32(words + w0, w1 - w0);
  });
  for (uint32_t v : partial) s += v;
  for (size_t i = head + n * 4; i < bytes; ++i) s += b[i];
  return s;
}

StatusOr<ReadBandwidth> MeasureReadBandwidth(const Context& ctx,
                                             size_t bytes_per_buffer,
                                             size_t buffers, double min_seconds,
                                             int repetitions) {
  if (bytes_per_buffer < sizeof(float) || buffers == 0 || repetitions < 1 ||
      !(min_seconds >= 0)) {
    return InvalidArgument(
        "MeasureReadBandwidth: need bytes_per_buffer >= 4, "
        "buffers >= 1, repetitions >= 1, min_seconds >= 0");
  }
  const size_t n = bytes_per_buffer / sizeof(uint32_t);
  std::vector<hwy::AlignedFreeUniquePtr<uint32_t[]>> bufs;
  for (size_t b = 0; b < buffers; ++b) {
    bufs.push_back(hwy::AllocateAligned<uint32_t>(n));
    if (!bufs.back()) {
      return Status(StatusCode::kResourceExhausted,
                    "MeasureReadBandwidth: cannot allocate " +
                        std::to_string(bytes_per_buffer * buffers) + " bytes");
    }
    // Touch every page from the threads that will read it (first touch).
    uint32_t* p = bufs.back().get();
    ParallelFor(ctx, n, 4096, [&](size_t i0, size_t i1) {
      for (size_t i = i0; i < i1; ++i) p[i] = static_cast<uint32_t>(i);
    });
  }
  using Clock = std::chrono::steady_clock;
  volatile uint32_t sink = 0;
  size_t next = 0;
  auto pass = [&] {
    sink =
        sink + ParallelReadBytes(ctx, bufs[next].get(), n * sizeof(uint32_t));
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
  out.bytes_per_pass = n * sizeof(uint32_t);
  out.buffers = buffers;
  out.repetitions = repetitions;
  return out;
}

}  // namespace qins
