#!/usr/bin/env python3
"""Writes the K-quant decode fixtures of tests/data/kquant/ (README.md there).

For each of ggml's Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and IQ4_XS: NB super-blocks
of deterministic pseudo-random bytes (numpy's PCG64, seeded per type) whose
f16 scale fields (d, and dmin where the type has one) are replaced by finite
f16 values, plus extreme super-blocks (every scale bit set, all scales zero,
the largest and the smallest subnormal d, negative d), and the floats that
llama.cpp's gguf-py (gguf.quants.dequantize) decodes them to:

  tests/data/kquant/<type>.blocks   the super-blocks, back to back (ggml's bytes)
  tests/data/kquant/<type>.f32      gguf-py's floats, little-endian float32

gguf-py has no quantizer for these types. With --ggml-src (llama.cpp's ggml
directory, e.g. from the llama-cpp-python 0.3.36 sdist's vendor/llama.cpp/ggml)
it also compiles ggml's own ggml-quants.c with cc -O2 -ffp-contract=off and
writes what its reference quantizer quantize_row_<type>_ref makes of
deterministic weights (normal, heavy-tailed, all positive, zeros, outliers):

  tests/data/kquant/<type>.ref_in.f32   the weights, NREF super-blocks
  tests/data/kquant/<type>.ref.blocks   ggml's bytes for them

Run with the oracle's interpreter (tools/python-env.sh prints it):

  $(tools/python-env.sh) tools/make_kquant_fixtures.py [--out DIR]
      [--ggml-src DIR] [--check]

--check regenerates in memory and exits 1 if the files differ (they are
deterministic for a gguf and numpy version).
"""
import argparse
import importlib.metadata
import os
import subprocess
import tempfile
import sys

import numpy as np

try:
    import gguf
    from gguf import GGMLQuantizationType as T
    from gguf.quants import dequantize
except ImportError:  # pragma: no cover
    sys.exit("make_kquant_fixtures: needs gguf-py; run it with $(tools/python-env.sh)")

NB = 15  # super-blocks per type: rows of 1, 3, 5 and 15 super-blocks

# type -> (block bytes, byte offsets of f16 d fields, (offset, length) of
# the packed sub-block scales)
LAYOUTS = {
    "q2_k": (T.Q2_K, 84, [80, 82], (0, 16)),
    "q3_k": (T.Q3_K, 110, [108], (96, 12)),
    "q4_k": (T.Q4_K, 144, [0, 2], (4, 12)),
    "q5_k": (T.Q5_K, 176, [0, 2], (4, 12)),
    "q6_k": (T.Q6_K, 210, [208], (192, 16)),
    "iq4_xs": (T.IQ4_XS, 136, [0], (2, 6)),
}


def finite_f16(rng, n):
    """n random finite f16 values, as uint16 bits (every exponent but 31)."""
    bits = rng.integers(0, 1 << 16, size=n, dtype=np.uint32).astype(np.uint16)
    exp = (bits >> 10) & 0x1F
    bits = np.where(exp == 0x1F, bits & ~np.uint16(0x4000), bits)  # exp 31 -> 15
    return bits.astype(np.uint16)


def make_blocks(name, seed):
    qtype, size, d_offsets, (s_off, s_len) = LAYOUTS[name]
    assert gguf.GGML_QUANT_SIZES[qtype] == (256, size), name
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(NB, size), dtype=np.uint16).astype(np.uint8)

    def set_d(i, off, bits):
        blocks[i, off:off + 2] = np.frombuffer(np.uint16(bits).tobytes(), np.uint8)

    # Random finite d / dmin; the first few get "model-like" scales near 1e-3.
    for off in d_offsets:
        rnd = finite_f16(rng, NB)
        for i in range(NB):
            set_d(i, off, rnd[i])
        for i in range(4):
            v = np.float16(rng.uniform(-2e-3, 2e-3) if off == d_offsets[0]
                           else rng.uniform(0, 1e-3))
            set_d(i, off, v.view(np.uint16))
    # Extremes.
    blocks[NB - 1, s_off:s_off + s_len] = 0xFF         # every scale bit set
    for off in d_offsets:
        set_d(NB - 1, off, 0x7BFF)                     # d = 65504
    blocks[NB - 2, s_off:s_off + s_len] = 0            # zero scales
    for off in d_offsets:
        set_d(NB - 3, off, 0x0001)                     # smallest subnormal
        set_d(NB - 4, off, 0x0000)                     # d = +0
        set_d(NB - 5, off, 0x8000)                     # d = -0
        set_d(NB - 6, off, 0xBC00)                     # d = -1
    blocks[NB - 6, s_off:s_off + s_len] = 0xFF
    return qtype, blocks


NREF = 8  # super-blocks of weights per type for ggml's reference quantizer

HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ggml-quants.h"
void ggml_abort(const char* f, int l, const char* fmt, ...) { abort(); }
size_t ggml_row_size(enum ggml_type t, int64_t n) { abort(); }
const char* ggml_type_name(enum ggml_type t) { abort(); }
size_t ggml_type_size(enum ggml_type t) { abort(); }
int main(int argc, char** argv) {
  const char* t = argv[1];
  const long n = atol(argv[2]);
  float* x = malloc(n * sizeof(float));
  unsigned char* y = calloc(n, 1);
  if (fread(x, sizeof(float), n, stdin) != (size_t)n) return 2;
  size_t bytes;
  if (!strcmp(t, "q2_k")) { quantize_row_q2_K_ref(x, (void*)y, n); bytes = 84; }
  else if (!strcmp(t, "q3_k")) { quantize_row_q3_K_ref(x, (void*)y, n); bytes = 110; }
  else if (!strcmp(t, "q4_k")) { quantize_row_q4_K_ref(x, (void*)y, n); bytes = 144; }
  else if (!strcmp(t, "q5_k")) { quantize_row_q5_K_ref(x, (void*)y, n); bytes = 176; }
  else if (!strcmp(t, "q6_k")) { quantize_row_q6_K_ref(x, (void*)y, n); bytes = 210; }
  else if (!strcmp(t, "iq4_xs")) { quantize_row_iq4_xs_ref(x, (void*)y, n); bytes = 136; }
  else return 3;
  fwrite(y, 1, n / 256 * bytes, stdout);
  return 0;
}
"""


def ref_weights(seed):
    """NREF super-blocks of weights that exercise the quantizers' branches."""
    rng = np.random.default_rng(seed)
    sb = [rng.normal(0, 0.02, 256),                      # model-like
          rng.standard_t(3, 256) * 0.01,                 # heavy tails
          np.abs(rng.normal(0, 1, 256)),                 # all positive: min 0
          -np.abs(rng.normal(0, 1e-3, 256)),             # all negative
          np.where(rng.random(256) < 0.5, 0, rng.normal(0, 1, 256)),  # zeros
          np.zeros(256),                                 # all zero
          rng.normal(0, 0.02, 256),                      # one outlier
          rng.uniform(-100, 100, 256)]                   # large
    sb[6][17] = 3.0
    sb[4][:32] = 0  # a zero sub-block
    return np.concatenate(sb).astype("<f4")


def ggml_reference(ggml_src):
    """{name: (weights, ggml's blocks)} from ggml's quantize_row_*_ref."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        c = os.path.join(tmp, "harness.c")
        exe = os.path.join(tmp, "harness")
        with open(c, "w") as f:
            f.write(HARNESS)
        subprocess.run(["cc", "-std=gnu11", "-O2", "-ffp-contract=off",
                        "-I", os.path.join(ggml_src, "include"),
                        "-I", os.path.join(ggml_src, "src"),
                        c, os.path.join(ggml_src, "src", "ggml-quants.c"),
                        "-o", exe, "-lm"], check=True)
        for i, name in enumerate(LAYOUTS):
            x = ref_weights(2000 + i)
            r = subprocess.run([exe, name, str(x.size)], input=x.tobytes(),
                               capture_output=True, check=True)
            assert len(r.stdout) == NREF * LAYOUTS[name][1], name
            out[name] = (x, r.stdout)
    return out


def fixtures():
    out = {}
    for i, name in enumerate(LAYOUTS):
        qtype, blocks = make_blocks(name, 1000 + i)
        floats = dequantize(blocks.reshape(-1), qtype).astype("<f4")
        assert floats.shape == (NB * 256,), (name, floats.shape)
        assert np.isfinite(floats).all(), name
        out[name + ".blocks"] = blocks.tobytes()
        out[name + ".f32"] = floats.tobytes()
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(here, "..", "tests", "data", "kquant"),
                   help="output directory (default: tests/data/kquant)")
    p.add_argument("--ggml-src", help="llama.cpp's ggml directory: also write "
                   "ggml's reference quantizer fixtures (needs cc)")
    p.add_argument("--check", action="store_true",
                   help="compare with the files in --out instead of writing them")
    a = p.parse_args()
    files = fixtures()
    if a.ggml_src:
        for name, (x, blocks) in ggml_reference(a.ggml_src).items():
            files[name + ".ref_in.f32"] = x.tobytes()
            files[name + ".ref.blocks"] = blocks
    if a.check:
        bad = [n for n, b in files.items()
               if not os.path.exists(os.path.join(a.out, n))
               or open(os.path.join(a.out, n), "rb").read() != b]
        print("make_kquant_fixtures: " + ("differ: " + ", ".join(bad) if bad else "up to date"))
        return 1 if bad else 0
    os.makedirs(a.out, exist_ok=True)
    for n, b in files.items():
        with open(os.path.join(a.out, n), "wb") as f:
            f.write(b)
    print("make_kquant_fixtures: wrote %d files (%d bytes) to %s with gguf %s, numpy %s"
          % (len(files), sum(len(b) for b in files.values()), a.out,
             importlib.metadata.version("gguf"), np.__version__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
