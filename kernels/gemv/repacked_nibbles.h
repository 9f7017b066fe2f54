// An interleaved copy of a 4-bit (or 2-, 3- or 6-bit K-quant) matrix's codes
// for the `dot` GEMV (ggml's
// "repack"): 16 rows per panel, per block of 32 columns the 16 rows' nibbles
// arranged so that one 64-byte load holds 8 codes of each row (two groups
// of 4: the low nibbles one group, the high nibbles the next), then the 16
// rows' f16 block scales (qins4: 16-bit headers). A vpdpbusd then multiplies 16
// rows by one broadcast dword of x, with no per-row horizontal sums
// (kernels/gemv/gemv_repacked-inl.h). Built once per matrix by qins::Repack
// (qins/gemv.h) and shared by its copies.
#ifndef QINS_KERNELS_GEMV_REPACKED_NIBBLES_H_
#define QINS_KERNELS_GEMV_REPACKED_NIBBLES_H_

#include <cstddef>
#include <cstdint>

#include "hwy/aligned_allocator.h"
#include "qins/format.h"

namespace qins {

inline constexpr size_t kRepackRows = 16;
// Bytes per (panel, block): 256 of nibbles, 32 of f16 scales (q4_1: then 32
// of f16 mins; qins4: 32 of headers).
inline constexpr size_t kRepackCodeBytes = 256;
// Q4_K: per (panel, super-block of 256 columns) 8 blocks of codes as above,
// then the 16 rows' 6-bit scales (u8, [block][row]), their 6-bit mins
// (likewise), d and dmin (f16, [row]).
inline constexpr size_t kRepackQ4KScales = 8 * kRepackCodeBytes;  // 2048
inline constexpr size_t kRepackQ4KMins = kRepackQ4KScales + 128;  // 2176
inline constexpr size_t kRepackQ4KD = kRepackQ4KMins + 128;       // 2304
inline constexpr size_t kRepackQ4KDmin = kRepackQ4KD + 32;        // 2336
inline constexpr size_t kRepackQ4KBytes = kRepackQ4KDmin + 32;    // 2368
// Q5_K: per (panel, super-block) the 16 rows' d and dmin (f16, [row]),
// 6-bit scales and mins (u8, [block][row]), then per block j at
// kRepackQ5KBlock + j * kRepackQ5KBlockBytes its nibbles as Q4_K's and 64
// bytes of their fifth bits: bit 2 h of byte 4 r + t that of column 8 h +
// t of row r, bit 2 h + 1 that of column 8 h + 4 + t (the codes the low and
// high nibbles of load h hold). 2880 bytes per 4096 weights, Q5_K's own
// 0.6875 per weight.
inline constexpr size_t kRepackQ5KD = 0;
inline constexpr size_t kRepackQ5KDmin = 32;
inline constexpr size_t kRepackQ5KScales = 64;
inline constexpr size_t kRepackQ5KMins = kRepackQ5KScales + 128;  // 192
inline constexpr size_t kRepackQ5KBlock = kRepackQ5KMins + 128;   // 320
inline constexpr size_t kRepackQ5KHigh = kRepackCodeBytes;        // in a block
inline constexpr size_t kRepackQ5KBlockBytes = kRepackCodeBytes + 64;
inline constexpr size_t kRepackQ5KBytes =
    kRepackQ5KBlock + 8 * kRepackQ5KBlockBytes;  // 2880
// Q6_K: per (panel, super-block) the 16 rows' d (f16, [row]) and int8
// scales ([block][half][row], half 0 the block's first 16 columns), then
// per block j at kRepackQ6KBlock + j * kRepackQ6KBlockBytes its codes' low
// 4 bits as above and 128 bytes of their high 2 bits: byte 64 g + 4 r + t
// (g < 2) holds, from bit 0 up in pairs, those of columns 8 h + t, 8 h + 4
// + t, 8 (h + 1) + t, 8 (h + 1) + 4 + t with h = 2 g (the codes the low
// and high nibbles of groups h and h + 1 hold). In the order the kernel
// reads it: with the high bits in a second area, 2 KiB away, the kernel ran
// at 0.65 of the read bandwidth from memory against 1.0 for the row kernel
// (3072x8192, AMD EPYC Zen 4, 2026-12-06; the same speed as this layout
// from cache). 3360 bytes per 4096 weights, Q6_K's own 0.8203 per weight.
inline constexpr size_t kRepackQ6KD = 0;
inline constexpr size_t kRepackQ6KScales = 32;
inline constexpr size_t kRepackQ6KBlock = kRepackQ6KScales + 256;  // 288
inline constexpr size_t kRepackQ6KHigh = kRepackCodeBytes;         // in a block
inline constexpr size_t kRepackQ6KBlockBytes = kRepackCodeBytes + 128;
inline constexpr size_t kRepackQ6KBytes =
    kRepackQ6KBlock + 8 * kRepackQ6KBlockBytes;  // 3360

// q5_0 / q5_1: per (panel, block) q4_0's / q4_1's 288 / 320 bytes, then
// 64 bytes of the codes' fifth bits laid out as Q5_K's (below): 352 / 384
// bytes per 512 weights, the formats' own 0.6875 / 0.75 per weight.
inline constexpr size_t kRepackFifthBytes = 64;

// Q2_K: per (panel, super-block) the 16 rows' d and dmin (f16, [row]),
// their scale bytes as stored (low nibble scale, high nibble min;
// [block][half][row]), then per block j at kRepackQ2KBlock + j *
// kRepackQ2KBlockBytes its codes in 2 64-byte halves: byte 64 half + 4 r +
// t holds at bits 2 s, 2 s + 1 the code of column 16 half + 4 s + t of row
// r, so one load and a shift/and per group of 4 columns give vpdpbusd's
// unsigned operand. 1344 bytes per 4096 weights, Q2_K's own 0.328 per
// weight.
inline constexpr size_t kRepackQ2KD = 0;
inline constexpr size_t kRepackQ2KDmin = 32;
inline constexpr size_t kRepackQ2KScales = 64;
inline constexpr size_t kRepackQ2KBlock = kRepackQ2KScales + 256;  // 320
inline constexpr size_t kRepackQ2KBlockBytes = 128;
inline constexpr size_t kRepackQ2KBytes =
    kRepackQ2KBlock + 8 * kRepackQ2KBlockBytes;  // 1344
// Q3_K: per (panel, super-block) the 16 rows' d (f16, [row]) and scales
// sc - 32 (int8, [block][half][row]), then per block j at kRepackQ3KBlock +
// j * kRepackQ3KBlockBytes the low 2 bits of its codes as Q2_K's, then 64
// bytes of their hmask bits: bit 4 half + s of byte 4 r + t that of column
// 16 half + 4 s + t of row r (code = low | bit << 2, minus 4). 1824 bytes
// per 4096 weights, Q3_K's own 0.430 per weight.
inline constexpr size_t kRepackQ3KD = 0;
inline constexpr size_t kRepackQ3KScales = 32;
inline constexpr size_t kRepackQ3KBlock = kRepackQ3KScales + 256;  // 288
inline constexpr size_t kRepackQ3KHigh = 128;                      // in a block
inline constexpr size_t kRepackQ3KBlockBytes = 192;
inline constexpr size_t kRepackQ3KBytes =
    kRepackQ3KBlock + 8 * kRepackQ3KBlockBytes;  // 1824

// IQ4_XS: per (panel, super-block) the 16 rows' d (f16, [row]) and block
// scales ls - 32 (int8, [block][row]), then its 8 blocks of nibbles (the
// iq4_nl indices) as q4_0's: 2208 bytes per 4096 weights, IQ4_XS's own
// 0.531 per weight.
inline constexpr size_t kRepackIQ4XSD = 0;
inline constexpr size_t kRepackIQ4XSScales = 32;
inline constexpr size_t kRepackIQ4XSBlock = kRepackIQ4XSScales + 128;  // 160
inline constexpr size_t kRepackIQ4XSBytes =
    kRepackIQ4XSBlock + 8 * kRepackCodeBytes;  // 2208

struct RepackedNibbles {
  // q4_0, q4_1, q5_0, q5_1, iq4_nl, q2_k .. q6_k, iq4_xs or qins4
  FormatKind kind = FormatKind::kQ4_0;
  // per (panel, block): 288 (q4_1: 320; q5_0 352; q5_1 384; per
  // super-block: q2_k 1344, q3_k
  // 1824, q4_k 2368, q5_k 2880, q6_k 3360, iq4_xs 2208)
  size_t block_bytes = 0;
  size_t rows = 0, cols = 0;
  size_t panels = 0;  // ceil(rows / 16)
  // ceil(cols / 32) rounded up to a multiple of 8 (the `dot` GEMV's x
  // padding); the blocks past the matrix's hold code 0 and scale 0. The
  // K-quants: the super-blocks, cols / 256.
  size_t blocks = 0;
  // panels * blocks * block_bytes, the buffer 64-byte aligned but not the
  // blocks (288, 320 and 2368 are not multiples of 64: the kernel's loads
  // are unaligned ones): panel p, block b at (p * blocks + b) * block_bytes;
  // within it byte 64 h + 4 r + t (h < 4, r < 16, t < 4) holds the code
  // (nibble) of column 8 h + t of panel row r in its low 4 bits and that of
  // column 8 h + 4 + t in its high 4 bits; then the 16 rows' block scales (f16,
  // ggml's d; q4_1: then the 16 mins m; qins4: the 16 headers, scale12 << 4
  // | table). Rows past `rows` hold code 0 and scale (and min) 0 (qins4:
  // header 0, scale 0 with table 0).
  hwy::AlignedFreeUniquePtr<uint8_t[]> bytes;
  size_t size() const { return panels * blocks * block_bytes; }
  const uint8_t* block(size_t p, size_t b) const {
    return bytes.get() + (p * blocks + b) * block_bytes;
  }
};

}  // namespace qins

#endif  // QINS_KERNELS_GEMV_REPACKED_NIBBLES_H_
