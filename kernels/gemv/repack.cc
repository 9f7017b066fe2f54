// qins::Repack (qins/gemv.h): builds a block matrix's interleaved copy
// (kernels/gemv/repacked_nibbles.h) once, on the context's threads.
#include <cstring>
#include <memory>
#include <string>

#include "dispatch/parallel.h"
#include "kernels/formats/block_rows.h"
#include "kernels/formats/kquant_blocks.h"
#include "kernels/formats/matrix_data.h"
#include "kernels/gemv/repacked_nibbles.h"
#include "qins/gemv.h"
#include "qins/quantize.h"

namespace qins {
namespace {

// The 32 codes (nibbles) of panel row i of one block into its 256 bytes:
// byte 64 h + 4 i + t holds column 8 h + t low, 8 h + 4 + t high.
void PutCodes(const uint8_t* code, size_t i, uint8_t* out) {
  for (size_t h = 0; h < 4; ++h) {
    for (size_t t = 0; t < 4; ++t) {
      out[64 * h + 4 * i + t] =
          static_cast<uint8_t>(code[8 * h + t] | (code[8 * h + 4 + t] << 4));
    }
  }
}

// The fifth bits (0 or 1) of 32 codes of panel row i into their 64 bytes
// (q5_0, q5_1, Q5_K; repacked_nibbles.h): bit 2 h of byte 4 i + t that of
// column 8 h + t, bit 2 h + 1 that of column 8 h + 4 + t.
void PutFifthBits(const uint8_t* fifth, size_t i, uint8_t* out) {
  for (size_t h = 0; h < 4; ++h) {
    for (size_t t = 0; t < 4; ++t) {
      out[4 * i + t] |= static_cast<uint8_t>(
          fifth[8 * h + t] << (2 * h) | fifth[8 * h + 4 + t] << (2 * h + 1));
    }
  }
}

// fn(out, i, src) for each of the first `count` blocks (K-quants: super-
// blocks) b of panel p and each of its rows i in the matrix: out the
// copy's block, src the row's (src_bytes each).
template <class Fn>
void ForEachBlockRow(const QuantizedMatrix::Data& d, size_t p, size_t count,
                     size_t src_bytes, RepackedNibbles* r, Fn fn) {
  for (size_t b = 0; b < count; ++b) {
    uint8_t* out = r->bytes.get() + (p * r->blocks + b) * r->block_bytes;
    for (size_t i = 0; i < kRepackRows; ++i) {
      const size_t row = p * kRepackRows + i;
      if (row >= d.rows) break;
      fn(out, i, d.row(row) + b * src_bytes);
    }
  }
}

// Panel p of W into the copy: for each block, each row's 16 nibble bytes
// (ggml's order: column j < 16 the low nibble of byte j, j >= 16 the high
// nibble of byte j - 16) regrouped by columns 8 h + t and 8 h + 4 + t, and
// its f16 scale (qins4: its 16-bit header, 12-bit scale and table; q4_1,
// q5_1: then its min; q5_0, q5_1: then the fifth bits, ggml's qh bit l for
// column l). Scalar: ~64 byte ops per block and row, once per matrix.
void PackPanel(const QuantizedMatrix::Data& d, size_t p, RepackedNibbles* r) {
  const FormatKind kind = r->kind;
  const bool with_min = kind == FormatKind::kQ4_1 || kind == FormatKind::kQ5_1;
  // ggml's block bytes: f16 d, (f16 m), (4 bytes qh), 16 bytes qs.
  const size_t qh = kind == FormatKind::kQ5_0   ? 2
                    : kind == FormatKind::kQ5_1 ? 4
                                                : 0;
  const size_t qs = 2 + (with_min ? 2 : 0) + (qh != 0 ? 4 : 0);
  const size_t fifth_at = kRepackCodeBytes + (with_min ? 64 : 32);
  ForEachBlockRow(d, p, (d.cols + kWeightBlock - 1) / kWeightBlock, qs + 16, r,
                  [&](uint8_t* out, size_t i, const uint8_t* blk) {
                    uint8_t code[32];
                    for (size_t j = 0; j < 16; ++j) {
                      code[j] = blk[qs + j] & 0xF;
                      code[j + 16] = blk[qs + j] >> 4;
                    }
                    PutCodes(code, i, out);
                    std::memcpy(out + kRepackCodeBytes + 2 * i, blk, 2);
                    if (with_min)
                      std::memcpy(out + kRepackCodeBytes + 32 + 2 * i, blk + 2,
                                  2);
                    if (qh != 0) {
                      uint32_t h;
                      std::memcpy(&h, blk + qh, 4);
                      uint8_t fifth[32];
                      for (size_t l = 0; l < 32; ++l) fifth[l] = (h >> l) & 1;
                      PutFifthBits(fifth, i, out + fifth_at);
                    }
                  });
}

// Q4_K: super-block s of each row of panel p: block j's 32 codes (the low
// nibbles of qs[32 (j / 2) + l] for even j, the high ones for odd j) in
// the nibble layout of the other formats, its 6-bit scale and min
// (Q4KScaleMin), d and dmin.
void PackPanelQ4K(const QuantizedMatrix::Data& d, size_t p,
                  RepackedNibbles* r) {
  ForEachBlockRow(
      d, p, r->blocks, q4_k::kBytes, r,
      [](uint8_t* out, size_t i, const uint8_t* sb) {
        for (int j = 0; j < 8; ++j) {
          const uint8_t* qs = sb + q4_k::kQs + 32 * (j / 2);
          const int shift = 4 * (j % 2);
          uint8_t code[32];
          for (size_t l = 0; l < 32; ++l) code[l] = (qs[l] >> shift) & 0xF;
          uint8_t* blk = out + j * kRepackCodeBytes;
          PutCodes(code, i, blk);
          int sc, m;
          Q4KScaleMin(sb + q4_k::kScales, j, &sc, &m);
          out[kRepackQ4KScales + 16 * j + i] = static_cast<uint8_t>(sc);
          out[kRepackQ4KMins + 16 * j + i] = static_cast<uint8_t>(m);
        }
        std::memcpy(out + kRepackQ4KD + 2 * i, sb + q4_k::kD, 2);
        std::memcpy(out + kRepackQ4KDmin + 2 * i, sb + q4_k::kDmin, 2);
      });
}

// Q5_K: super-block s of each row of panel p: d, dmin, the 6-bit scales
// and mins (Q4KScaleMin), and block j's 32 codes as Q4_K's nibbles
// followed by their fifth bits (repacked_nibbles.h).
void PackPanelQ5K(const QuantizedMatrix::Data& d, size_t p,
                  RepackedNibbles* r) {
  ForEachBlockRow(
      d, p, r->blocks, q5_k::kBytes, r,
      [](uint8_t* out, size_t i, const uint8_t* sb) {
        for (int j = 0; j < 8; ++j) {
          const uint8_t* qs = sb + q5_k::kQs + 32 * (j / 2);
          const int shift = 4 * (j % 2);
          uint8_t low[32], fifth[32];
          for (size_t l = 0; l < 32; ++l) {
            low[l] = (qs[l] >> shift) & 0xF;
            fifth[l] = (sb[q5_k::kQh + l] >> j) & 1;
          }
          uint8_t* blk = out + kRepackQ5KBlock + j * kRepackQ5KBlockBytes;
          PutCodes(low, i, blk);
          PutFifthBits(fifth, i, blk + kRepackQ5KHigh);
          int sc, m;
          Q4KScaleMin(sb + q5_k::kScales, j, &sc, &m);
          out[kRepackQ5KScales + 16 * j + i] = static_cast<uint8_t>(sc);
          out[kRepackQ5KMins + 16 * j + i] = static_cast<uint8_t>(m);
        }
        std::memcpy(out + kRepackQ5KD + 2 * i, sb + q5_k::kD, 2);
        std::memcpy(out + kRepackQ5KDmin + 2 * i, sb + q5_k::kDmin, 2);
      });
}

// Q6_K: super-block s of each row of panel p: d, the two int8 scales of
// each block's halves, and block j's 32 codes' low 4 bits in the nibble
// layout of the other formats followed by their high 2 bits
// (repacked_nibbles.h).
void PackPanelQ6K(const QuantizedMatrix::Data& d, size_t p,
                  RepackedNibbles* r) {
  ForEachBlockRow(
      d, p, r->blocks, q6_k::kBytes, r,
      [](uint8_t* out, size_t i, const uint8_t* sb) {
        for (int j = 0; j < 8; ++j) {
          uint8_t q[32], low[32];
          Q6KBlockCodes(sb, j, q);
          for (size_t l = 0; l < 32; ++l) low[l] = q[l] & 0xF;
          uint8_t* blk = out + kRepackQ6KBlock + j * kRepackQ6KBlockBytes;
          PutCodes(low, i, blk);
          uint8_t* high = blk + kRepackQ6KHigh;
          for (size_t h = 0; h < 4; ++h) {
            const int shift = 4 * static_cast<int>(h % 2);
            for (size_t t = 0; t < 4; ++t) {
              high[64 * (h / 2) + 4 * i + t] |=
                  static_cast<uint8_t>((q[8 * h + t] >> 4) << shift |
                                       (q[8 * h + 4 + t] >> 4) << (shift + 2));
            }
          }
          for (size_t half = 0; half < 2; ++half) {
            out[kRepackQ6KScales + 32 * j + 16 * half + i] =
                sb[q6_k::kScales + 2 * j + half];
          }
        }
        std::memcpy(out + kRepackQ6KD + 2 * i, sb + q6_k::kD, 2);
      });
}

// Q2_K / Q3_K: the low 2 bits of block j's 32 codes of panel row i into
// its 128 bytes (repacked_nibbles.h): byte 64 half + 4 i + t, bits 2 s.
void PutCodes2Bit(const uint8_t* low, size_t i, uint8_t* out) {
  for (size_t half = 0; half < 2; ++half) {
    for (size_t t = 0; t < 4; ++t) {
      uint8_t v = 0;
      for (size_t s = 0; s < 4; ++s)
        v |= static_cast<uint8_t>((low[16 * half + 4 * s + t] & 3) << (2 * s));
      out[64 * half + 4 * i + t] = v;
    }
  }
}

// Q2_K: super-block s of each row of panel p: d, dmin, the scale bytes of
// each block's halves, and block j's 32 codes (Q2KBlockCodes).
void PackPanelQ2K(const QuantizedMatrix::Data& d, size_t p,
                  RepackedNibbles* r) {
  ForEachBlockRow(
      d, p, r->blocks, q2_k::kBytes, r,
      [](uint8_t* out, size_t i, const uint8_t* sb) {
        for (int j = 0; j < 8; ++j) {
          int8_t c[32];
          Q2KBlockCodes(sb, j, c);
          PutCodes2Bit(reinterpret_cast<const uint8_t*>(c), i,
                       out + kRepackQ2KBlock + j * kRepackQ2KBlockBytes);
          for (size_t half = 0; half < 2; ++half) {
            out[kRepackQ2KScales + 32 * j + 16 * half + i] =
                sb[q2_k::kScales + 2 * j + half];
          }
        }
        std::memcpy(out + kRepackQ2KD + 2 * i, sb + q2_k::kD, 2);
        std::memcpy(out + kRepackQ2KDmin + 2 * i, sb + q2_k::kDmin, 2);
      });
}

// Q3_K: super-block s of each row of panel p: d, the scales sc - 32 of each
// block's halves, block j's codes + 4 (Q3KBlockCodes: 0..7) as their low 2
// bits and their third bit.
void PackPanelQ3K(const QuantizedMatrix::Data& d, size_t p,
                  RepackedNibbles* r) {
  ForEachBlockRow(
      d, p, r->blocks, q3_k::kBytes, r,
      [](uint8_t* out, size_t i, const uint8_t* sb) {
        for (int j = 0; j < 8; ++j) {
          int8_t c[32];
          Q3KBlockCodes(sb, j, c);
          uint8_t u[32];
          for (size_t l = 0; l < 32; ++l) u[l] = static_cast<uint8_t>(c[l] + 4);
          uint8_t* blk = out + kRepackQ3KBlock + j * kRepackQ3KBlockBytes;
          PutCodes2Bit(u, i, blk);
          for (size_t half = 0; half < 2; ++half) {
            for (size_t t = 0; t < 4; ++t) {
              for (size_t s = 0; s < 4; ++s) {
                blk[kRepackQ3KHigh + 4 * i + t] |= static_cast<uint8_t>(
                    (u[16 * half + 4 * s + t] >> 2) << (4 * half + s));
              }
            }
            out[kRepackQ3KScales + 32 * j + 16 * half + i] =
                static_cast<uint8_t>(static_cast<int8_t>(Q3KScale(
                    sb + q3_k::kScales, 2 * j + static_cast<int>(half))));
          }
        }
        std::memcpy(out + kRepackQ3KD + 2 * i, sb + q3_k::kD, 2);
      });
}

// IQ4_XS: super-block s of each row of panel p: d, the 8 block scales
// ls - 32 (IQ4XSScale), and block j's 32 nibbles (qs[16 j + l]: low for
// column l, high for l + 16) in the nibble layout.
void PackPanelIQ4XS(const QuantizedMatrix::Data& d, size_t p,
                    RepackedNibbles* r) {
  ForEachBlockRow(
      d, p, r->blocks, iq4_xs::kBytes, r,
      [](uint8_t* out, size_t i, const uint8_t* sb) {
        for (int j = 0; j < 8; ++j) {
          const uint8_t* qs = sb + iq4_xs::kQs + 16 * j;
          uint8_t code[32];
          for (size_t l = 0; l < 16; ++l) {
            code[l] = qs[l] & 0xF;
            code[l + 16] = qs[l] >> 4;
          }
          PutCodes(code, i, out + kRepackIQ4XSBlock + j * kRepackCodeBytes);
          out[kRepackIQ4XSScales + 16 * j + i] =
              static_cast<uint8_t>(static_cast<int8_t>(IQ4XSScale(sb, j)));
        }
        std::memcpy(out + kRepackIQ4XSD + 2 * i, sb + iq4_xs::kD, 2);
      });
}

}  // namespace

bool HasRepack(const Format& f) {
  return f.kind == FormatKind::kQ4_0 || f.kind == FormatKind::kIQ4_NL ||
         f.kind == FormatKind::kQ4_1 || f.kind == FormatKind::kQ5_0 ||
         f.kind == FormatKind::kQ5_1 || f.kind == FormatKind::kQ2_K ||
         f.kind == FormatKind::kQ3_K || f.kind == FormatKind::kQ4_K ||
         f.kind == FormatKind::kQ5_K || f.kind == FormatKind::kQ6_K ||
         f.kind == FormatKind::kIQ4_XS || f.kind == FormatKind::kQins4;
}

size_t RepackedBytes(const QuantizedMatrix& w) {
  if (w.empty()) return 0;
  const RepackedNibbles* r = w.data().repack.load(std::memory_order_acquire);
  return r == nullptr ? 0 : r->size();
}

Status Repack(const Context& ctx, const QuantizedMatrix& w) {
  if (w.empty()) return InvalidArgument("Repack: empty matrix");
  if (!HasRepack(w.format()))
    return InvalidArgument("Repack: format '" + FormatName(w.format()) +
                           "' has no interleaved copy (q4_0, q4_1, q5_0, "
                           "q5_1, iq4_nl, q2_k .. q6_k, iq4_xs and qins4 "
                           "do)");
  const QuantizedMatrix::Data& d = w.data();
  Status st = Status::Ok();
  std::call_once(d.repack_once, [&] {
    auto r = std::make_shared<RepackedNibbles>();
    r->kind = d.format.kind;
    r->rows = d.rows;
    r->cols = d.cols;
    r->panels = (d.rows + kRepackRows - 1) / kRepackRows;
    const FormatKind kind = r->kind;
    const size_t super_bytes = kind == FormatKind::kQ2_K     ? kRepackQ2KBytes
                               : kind == FormatKind::kQ3_K   ? kRepackQ3KBytes
                               : kind == FormatKind::kQ4_K   ? kRepackQ4KBytes
                               : kind == FormatKind::kQ5_K   ? kRepackQ5KBytes
                               : kind == FormatKind::kQ6_K   ? kRepackQ6KBytes
                               : kind == FormatKind::kIQ4_XS ? kRepackIQ4XSBytes
                                                             : 0;
    r->blocks = super_bytes != 0
                    ? d.cols / kSuperBlock
                    : ((d.cols + kWeightBlock - 1) / kWeightBlock + 7) / 8 * 8;
    r->block_bytes =
        super_bytes != 0
            ? super_bytes
            : kRepackCodeBytes +
                  (kind == FormatKind::kQ4_1 || kind == FormatKind::kQ5_1
                       ? 64
                       : 32) +
                  (kind == FormatKind::kQ5_0 || kind == FormatKind::kQ5_1
                       ? kRepackFifthBytes
                       : 0);
    r->bytes = hwy::AllocateAligned<uint8_t>(r->size());
    if (!r->bytes) {
      st = Status(
          StatusCode::kResourceExhausted,
          "Repack: cannot allocate " + std::to_string(r->size()) + " bytes");
      return;
    }
    std::memset(r->bytes.get(), 0, r->size());
    RepackedNibbles* raw = r.get();
    ParallelFor(ctx, r->panels, 4, [&](size_t p0, size_t p1) {
      for (size_t p = p0; p < p1; ++p) {
        switch (kind) {
          case FormatKind::kQ2_K:
            PackPanelQ2K(d, p, raw);
            break;
          case FormatKind::kQ3_K:
            PackPanelQ3K(d, p, raw);
            break;
          case FormatKind::kQ4_K:
            PackPanelQ4K(d, p, raw);
            break;
          case FormatKind::kQ5_K:
            PackPanelQ5K(d, p, raw);
            break;
          case FormatKind::kQ6_K:
            PackPanelQ6K(d, p, raw);
            break;
          case FormatKind::kIQ4_XS:
            PackPanelIQ4XS(d, p, raw);
            break;
          default:
            PackPanel(d, p, raw);
        }
      }
    });
    d.repack_owner = r;
    d.repack.store(raw, std::memory_order_release);
  });
  if (!st.ok()) return st;
  if (d.repack.load(std::memory_order_acquire) == nullptr)
    return Status(StatusCode::kResourceExhausted,
                  "Repack: an earlier call could not allocate the copy");
  return Status::Ok();
}

}  // namespace qins
