#!/usr/bin/env python3
"""Writes the q4_1 / q5_0 / q5_1 test fixtures from llama.cpp's gguf-py.

For each of ggml's Q4_1, Q5_0 and Q5_1 this quantizes a fixed set of
deterministic weight matrices with gguf.quants.quantize and dequantizes the
bytes with gguf.quants.dequantize, and writes weights, bytes and decoded
floats to tests/data/ggml_blocks/<format>.bin. The C++ test
(tests/kernels/formats/ggml_block_codecs_test.cc) checks that the library's
Quantize gives these bytes exactly and that its scalar and SIMD decoders give
these floats bit for bit; it needs no Python.

Run it with the oracle interpreter (tools/python-env.sh, gguf==0.19.0):

    $(tools/python-env.sh) tools/make_ggml_block_fixtures.py [--out DIR]

File layout (little endian):
    magic      8 bytes  b"QGGMLBK1"
    ggml_type  u32      3 (Q4_1), 6 (Q5_0) or 7 (Q5_1)
    block      u32      bytes per block of 32 weights (20, 22, 24)
    n_cases    u32
    per case:
      name_len u32, name (ASCII)
      rows u32, cols u32
      weights  f32[rows * cols]
      bytes    u8[rows * ceil(cols / 32) * block]
      decoded  f32[rows * cols]
A row whose length is not a multiple of 32 is zero-padded to one for
gguf-py (which refuses it), as the library pads its last block; only the
first `cols` decoded values are kept.

The "f32_subnormal" case makes 1/d overflow, so that the code gguf-py
stores is numpy's cast of Inf or NaN to uint8: 0 on x86 (the C cast's
cvttss2si); Arm's conversion saturates (not checked). Only the stored codes
would differ, not the values (d is 0 in f16). Generate on x86.
"""
import argparse
import importlib.metadata
import os
import struct
import sys

import numpy as np

try:
    from gguf import GGMLQuantizationType as T
    from gguf import quants
except ImportError:  # pragma: no cover
    sys.exit("make_ggml_block_fixtures: needs gguf (run it with "
             "$(tools/python-env.sh))")

FORMATS = [("q4_1", T.Q4_1, 20), ("q5_0", T.Q5_0, 22), ("q5_1", T.Q5_1, 24)]
MAGIC = b"QGGMLBK1"


def ties_block_min(qmax, step, offset, rng):
    # min = offset, max = offset + qmax * step: d = step and 1/d exact
    # (powers of two), so (x - min) * id + 0.5 is exactly k + 1 for
    # x = min + (k + 0.5) step: every code is a rounding tie.
    k = rng.integers(0, qmax, size=32)
    x = offset + (k + 0.5) * step
    x[5] = offset
    x[20] = offset + qmax * step
    return x


def ties_block_signed(step, rng):
    # max = -16 step: d = step, 1/d = 1/step exact; x * id + 16.5 is an
    # integer for x = (k + 0.5) step.
    k = rng.integers(-16, 16, size=32)
    x = (k + 0.5) * step
    x[7] = -16 * step
    return x


def cases():
    rng = np.random.default_rng(20261206)
    out = []
    out.append(("normal_4x96", rng.normal(0, 0.02, (4, 96))))
    out.append(("normal_1x32", rng.normal(0, 1.0, (1, 32))))
    out.append(("normal_1x160", rng.normal(0.5, 0.1, (1, 160))))
    # 32 x 9 columns, each block at its own scale (1e-3 .. 1e3).
    wide = rng.uniform(-1, 1, (3, 288))
    wide *= np.repeat(10.0 ** rng.uniform(-3, 3, (3, 9)), 32, axis=1)
    out.append(("scaled_blocks_3x288", wide))
    ties = np.concatenate([
        ties_block_min(15, 2.0 ** -3, 0.0, rng),
        ties_block_min(15, 2.0 ** -5, -3.0, rng),
        ties_block_min(31, 2.0 ** -4, 0.0, rng),
        ties_block_min(31, 2.0 ** -6, -1.5, rng),
        ties_block_signed(2.0 ** -3, rng),
        ties_block_signed(2.0 ** 2, rng),
    ])
    out.append(("ties_1x192", ties.reshape(1, -1)))
    special = np.zeros((1, 192))
    special[0, 32:64] = 0.3                     # all equal, positive
    special[0, 64:96] = -1.7                    # all equal, negative
    special[0, 96:128] = 1e-3
    special[0, 100] = 0.0                       # equal but one zero
    b = rng.normal(0, 0.1, 32)
    b[3], b[9] = -0.5, 0.5                      # |max| twice, signs differ
    special[0, 128:160] = b
    b = rng.normal(0, 0.1, 32)
    b[4], b[30] = 0.5, -0.5
    special[0, 160:192] = b
    out.append(("zeros_equal_signties_1x192", special))
    huge = np.concatenate([
        rng.uniform(-6e4, 6e4, 32),
        np.linspace(-65000, 65000, 32),
        rng.uniform(3e4, 6.5e4, 32),
        -rng.uniform(3e4, 6.5e4, 32),
    ])
    out.append(("huge_1x128", huge.reshape(1, -1)))
    small = np.concatenate([
        rng.normal(0, 1e-5, 32),     # d in f16's subnormal range
        rng.normal(0, 1e-7, 32),     # d below f16's smallest subnormal
        rng.normal(0, 1e-20, 32),    # d is 0 in f16, 1/d finite
        rng.normal(0, 1e-36, 32),
        rng.uniform(1.0, 1.0 + 1e-6, 32),  # max - min tiny against min
    ])
    out.append(("small_1x160", small.reshape(1, -1)))
    out.append(("padded_2x45", rng.normal(0, 0.05, (2, 45))))
    out.append(("padded_1x7", rng.normal(0, 0.05, (1, 7))))
    sub = rng.normal(0, 1e-39, (1, 32)).astype(np.float32)
    sub[0, 0] = 0.0
    out.append(("f32_subnormal", sub))
    return [(n, np.ascontiguousarray(w, dtype=np.float32)) for n, w in out]


def write(path, qtype, block, all_cases):
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<III", int(qtype), block, len(all_cases)))
        for name, w in all_cases:
            rows, cols = w.shape
            padded_cols = (cols + 31) // 32 * 32
            padded = np.zeros((rows, padded_cols), dtype=np.float32)
            padded[:, :cols] = w
            with np.errstate(all="ignore"):
                q = quants.quantize(padded, qtype)
            assert q.dtype == np.uint8
            assert q.shape == (rows, padded_cols // 32 * block), q.shape
            back = quants.dequantize(q, qtype)
            assert back.dtype == np.float32 and back.shape == padded.shape
            f.write(struct.pack("<I", len(name)))
            f.write(name.encode("ascii"))
            f.write(struct.pack("<II", rows, cols))
            f.write(w.astype("<f4").tobytes())
            f.write(q.tobytes())
            f.write(np.ascontiguousarray(back[:, :cols]).astype("<f4").tobytes())


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "data",
                                                  "ggml_blocks"),
                    help="output directory (default: tests/data/ggml_blocks)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    all_cases = cases()
    for name, qtype, block in FORMATS:
        path = os.path.join(args.out, name + ".bin")
        write(path, qtype, block, all_cases)
        print(f"{os.path.relpath(path)}: {len(all_cases)} cases, "
              f"{os.path.getsize(path)} bytes (gguf "
              f"{importlib.metadata.version('gguf')}, numpy {np.__version__})")


if __name__ == "__main__":
    main()
