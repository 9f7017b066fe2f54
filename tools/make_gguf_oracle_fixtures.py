#!/usr/bin/env python3
"""Writes GGUF fixtures in every common ggml type with llama.cpp's own `gguf`
package (gguf-py, pinned by tools/python-env.sh), for the tests that check the
runner's GGUF loader and the library's decoders against it
(tests/tools/runner/gguf_oracle_test.cc). Nothing here is committed: the
test setup runs this script into the build tree.

For each type T of TYPES it writes into OUT:
  types/T.gguf      tensors in type T with odd shapes: 1-row tensors, row
                    lengths of 32 x odd blocks (or 256 x odd super-blocks for
                    the K-quants and IQ4_XS; 172 for F32/F16/BF16), GQA-sized
                    K/V matrices;
  types/T_deq.gguf  the same names as F32: gguf.quants.dequantize of exactly
                    the bytes stored in types/T.gguf;
  types/T_src.gguf  where gguf-py has a quantizer: the F32 weights that
                    gguf.quants.quantize turned into types/T.gguf (the
                    library's Quantize must give the same bytes);
  models/T.gguf     a small random llama model (1 layer, GQA 4 query / 2 KV
                    heads, untied output) whose linear weights are all T;
  models/T_deq.gguf the same model with every linear weight dequantized by
                    gguf-py and stored as F32.
Where gguf-py has a quantizer (F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) the
bytes are gguf.quants.quantize of N(0, 0.02) weights; elsewhere (K-quants,
IQ4_NL, IQ4_XS) they are random blocks whose f16 scales are set to small
random values, so every code and sub-scale occurs.

Usage: $(tools/python-env.sh) tools/make_gguf_oracle_fixtures.py --out DIR
"""
import argparse
import importlib.metadata
import os
import sys

import numpy as np
import gguf

Q = gguf.GGMLQuantizationType

# ggml type -> byte offsets of the f16 scale fields within one block.
SCALE_FIELDS = {
    Q.Q8_0: [0], Q.Q4_0: [0], Q.Q4_1: [0, 2], Q.Q5_0: [0], Q.Q5_1: [0, 2],
    Q.IQ4_NL: [0], Q.IQ4_XS: [0],
    Q.Q2_K: [80, 82], Q.Q3_K: [108], Q.Q4_K: [0, 2], Q.Q5_K: [0, 2],
    Q.Q6_K: [208],
}
QUANTIZABLE = {Q.Q8_0, Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1}
TYPES = [Q.F32, Q.F16, Q.BF16, Q.Q8_0, Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1,
         Q.Q2_K, Q.Q3_K, Q.Q4_K, Q.Q5_K, Q.Q6_K, Q.IQ4_NL, Q.IQ4_XS]


def block_of(t):
    return gguf.GGML_QUANT_SIZES[t][0]


def encode(t, a, rng):
    """The bytes (uint8 array, rows x row bytes) of a in type t."""
    if t == Q.F32:
        return a.astype(np.float32).view(np.uint8)
    if t == Q.F16:
        return a.astype(np.float16).view(np.uint8)
    if t == Q.BF16 or t in QUANTIZABLE:
        return gguf.quants.quantize(a, t)
    blk, size = gguf.GGML_QUANT_SIZES[t]
    rows, cols = a.shape
    n = rows * cols // blk
    raw = rng.integers(0, 256, size=(n, size), dtype=np.uint8)
    for off in SCALE_FIELDS[t]:
        # Small positive or negative f16 scales (minima too): |x| ~ 1e-3.
        s = (rng.standard_normal(n) * 1e-3).astype(np.float16)
        raw[:, off:off + 2] = s.view(np.uint8).reshape(n, 2)
    return raw.reshape(rows, cols // blk * size)


def writer(path, arch=None):
    w = gguf.GGUFWriter(path, arch or 'fixture')
    return w


def finish(w):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def add(w, name, t, data):
    if t == Q.F32:
        w.add_tensor(name, data.view(np.float32))
    elif t == Q.F16:
        w.add_tensor(name, data.view(np.float16))
    else:
        w.add_tensor(name, data, raw_dtype=t)


def tensor_shapes(t):
    """(name, rows, cols) of the odd shapes for type t."""
    b = block_of(t)
    if b == 1:
        cols = [172, 32 * 9, 1]
    elif b == 32:
        cols = [32 * 9, 32, 32 * 3]
    else:
        cols = [256 * 3, 256]
    out = []
    for i, c in enumerate(cols):
        out.append((f'one_row_{i}', 1, c))
        out.append((f'rows7_{i}', 7, c))
    c = cols[0]
    out.append(('attn_k_gqa', 2 * 16 if b < 256 else 2 * 64, c))  # kv_dim rows
    return out


def write_types(out, t, rng):
    os.makedirs(os.path.join(out, 'types'), exist_ok=True)
    base = os.path.join(out, 'types', t.name)
    w, wd = writer(base + '.gguf'), writer(base + '_deq.gguf')
    quantized = t in QUANTIZABLE or t in (Q.F32, Q.F16, Q.BF16)
    ws = writer(base + '_src.gguf') if quantized else None
    for name, rows, cols in tensor_shapes(t):
        a = (rng.standard_normal((rows, cols)) * 0.02).astype(np.float32)
        if name.startswith('rows7'):
            a[0, :] = 0          # an all-zero row
            a[1, :min(cols, 32)] = 0.5  # a block of equal weights
        data = encode(t, a, rng)
        add(w, name, t, data)
        if ws is not None:
            ws.add_tensor(name, np.ascontiguousarray(a))
        deq = gguf.quants.dequantize(data, t).astype(np.float32)
        assert deq.shape == (rows, cols), (t.name, name, deq.shape)
        wd.add_tensor(name, np.ascontiguousarray(deq))
    finish(w)
    finish(wd)
    if ws is not None:
        finish(ws)


def write_model(out, t, rng):
    os.makedirs(os.path.join(out, 'models'), exist_ok=True)
    base = os.path.join(out, 'models', t.name)
    b = block_of(t)
    if b == 256:
        dim, hidden, heads, kv_heads = 256, 512, 4, 2
    else:
        dim, hidden, heads, kv_heads = 96, 160, 4, 2  # 32 x 3, 32 x 5
    vocab, seq = 67, 64
    kv_dim = dim // heads * kv_heads
    shapes = [('token_embd.weight', vocab, dim),
              ('blk.0.attn_q.weight', dim, dim),
              ('blk.0.attn_k.weight', kv_dim, dim),
              ('blk.0.attn_v.weight', kv_dim, dim),
              ('blk.0.attn_output.weight', dim, dim),
              ('blk.0.ffn_gate.weight', hidden, dim),
              ('blk.0.ffn_up.weight', hidden, dim),
              ('blk.0.ffn_down.weight', dim, hidden),
              ('output.weight', vocab, dim)]
    ws = []
    for path in (base + '.gguf', base + '_deq.gguf'):
        w = gguf.GGUFWriter(path, 'llama')
        w.add_context_length(seq)
        w.add_embedding_length(dim)
        w.add_feed_forward_length(hidden)
        w.add_block_count(1)
        w.add_head_count(heads)
        w.add_head_count_kv(kv_heads)
        w.add_rope_freq_base(10000.0)
        w.add_layer_norm_rms_eps(1e-5)
        ws.append(w)
    w, wd = ws
    for name, rows, cols in shapes:
        # Embedding rows scaled up so the residual stream is not all norm.
        scale = 1.0 if name == 'token_embd.weight' else 0.05
        a = (rng.standard_normal((rows, cols)) * scale).astype(np.float32)
        data = encode(t, a, rng)
        add(w, name, t, data)
        wd.add_tensor(name, np.ascontiguousarray(
            gguf.quants.dequantize(data, t).astype(np.float32)))
    for name in ('blk.0.attn_norm.weight', 'blk.0.ffn_norm.weight',
                 'output_norm.weight'):
        n = (1 + 0.1 * rng.standard_normal(dim)).astype(np.float32)
        w.add_tensor(name, n)
        wd.add_tensor(name, n)
    finish(w)
    finish(wd)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--out', required=True, help='output directory')
    ap.add_argument('--seed', type=int, default=20261206)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    for t in TYPES:
        write_types(args.out, t, rng)
        write_model(args.out, t, rng)
    with open(os.path.join(args.out, 'VERSION'), 'w') as f:
        f.write(f'gguf {importlib.metadata.version("gguf")} numpy '
                f'{np.__version__} seed {args.seed}\n')
    print(f'wrote {len(TYPES)} types x 4 files to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
