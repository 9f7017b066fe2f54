// Internal (tests and benches; the library itself never changes the FP
// environment). Sets the CPU's flush-to-zero modes for the current thread while
// in scope and restores the previous control word when it leaves, also when an
// assertion returns early: x86 MXCSR DAZ (bit 6: subnormal inputs read as
// zero) and FTZ (bit 15: subnormal results written as zero); Arm64 FPCR.FZ
// (bit 24: both, for single and double precision). Processes that set these
// (ML frameworks, audio and game engines) are callers the library must give
// the same results to, and on Intel cores a subnormal operand costs a
// microcode assist, so a kernel whose results change under these flags both
// is wrong there and runs slowly on Intel.
//
// Threads created while the flags are set (a Context's oneTBB workers)
// inherit them through oneTBB's arena FP-settings capture; FlushedOnThisThread
// tells whether a given thread really flushes.
#ifndef QINS_DISPATCH_FLUSH_TO_ZERO_H_
#define QINS_DISPATCH_FLUSH_TO_ZERO_H_

#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace qins {

// Whether this architecture's flush flags are known to this header.
constexpr bool kHaveFlushFlags =
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
    true;
#else
    false;
#endif

class ScopedFlushToZero {
 public:
  ScopedFlushToZero() : saved_(ReadAll()) { Write(saved_ | kBits); }
  ~ScopedFlushToZero() { Write(saved_); }
  ScopedFlushToZero(const ScopedFlushToZero&) = delete;
  ScopedFlushToZero& operator=(const ScopedFlushToZero&) = delete;

  // The flag bits this class sets, and the current control word.
#if defined(__x86_64__) || defined(__i386__)
  static constexpr uint64_t kBits = 0x8040;  // FTZ | DAZ
  // The control bits (masks, rounding, DAZ, FTZ), not the sticky exception
  // flags (bits 0-5), which any arithmetic may set.
  static uint64_t Read() { return _mm_getcsr() & ~uint64_t{0x3F}; }
  static uint64_t ReadAll() { return _mm_getcsr(); }
  static void Write(uint64_t v) { _mm_setcsr(static_cast<unsigned>(v)); }
#elif defined(__aarch64__)
  static constexpr uint64_t kBits = uint64_t{1} << 24;  // FPCR.FZ
  static uint64_t Read() {  // FPCR holds control bits only (flags: FPSR)
    uint64_t v;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
    return v;
  }
  static uint64_t ReadAll() { return Read(); }
  static void Write(uint64_t v) {
    __asm__ __volatile__("msr fpcr, %0" ::"r"(v));
  }
#else
  static constexpr uint64_t kBits = 0;
  static uint64_t Read() { return 0; }
  static uint64_t ReadAll() { return 0; }
  static void Write(uint64_t) {}
#endif

 private:
  uint64_t saved_;
};

// True if a subnormal product computed on the calling thread is flushed:
// the observable effect of the flags, not just their bits.
inline bool FlushedOnThisThread() {
  volatile float tiny = 0x1p-140f;  // an f32 subnormal
  volatile float one = 1.0f;
  const float r = tiny * one;
  return r == 0.0f;
}

}  // namespace qins

#endif  // QINS_DISPATCH_FLUSH_TO_ZERO_H_
