#!/usr/bin/env python3
"""Writes a llama GGUF of a real model's shape with deterministic random
weights (N(0, 0.02), norms 1) in one ggml type, with llama.cpp's own `gguf`
package: a file for memory and speed measurements of the GGUF path
(`qins-run bench --model FILE`, llama.cpp's `llama-bench -m FILE`) without a
download. The weights carry no meaning; use real models for quality.

Usage: $(tools/python-env.sh) tools/make_synthetic_gguf.py \\
           --shape tinyllama-1.1b --type Q8_0 --out FILE
Types: those gguf-py can quantize (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0,
Q5_1). Takes about a minute and 3 GB of RAM for tinyllama-1.1b.
"""
import argparse
import sys

import numpy as np
import gguf

# dim, hidden, layers, heads, kv heads, vocab, context (as the synthetic
# presets of qins-run --synthetic)
SHAPES = {
    'tinyllama-1.1b': (2048, 5632, 22, 32, 4, 32000, 2048),
    'stories15m': (288, 768, 6, 6, 6, 32000, 256),
    'llama-2-7b': (4096, 11008, 32, 32, 32, 32000, 4096),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--shape', choices=sorted(SHAPES), default='tinyllama-1.1b')
    ap.add_argument('--type', default='Q8_0', help='ggml type name')
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()
    Q = gguf.GGMLQuantizationType
    try:
        qt = Q[args.type]
    except KeyError:
        ap.error(f'unknown ggml type {args.type}')
    dim, hidden, layers, heads, kv, vocab, seq = SHAPES[args.shape]
    rng = np.random.default_rng(args.seed)
    w = gguf.GGUFWriter(args.out, 'llama')
    w.add_context_length(seq)
    w.add_embedding_length(dim)
    w.add_feed_forward_length(hidden)
    w.add_block_count(layers)
    w.add_head_count(heads)
    w.add_head_count_kv(kv)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    kv_dim = dim // heads * kv

    def matrix(name, rows, cols):
        a = rng.standard_normal((rows, cols), dtype=np.float32) * 0.02
        if qt == Q.F32:
            w.add_tensor(name, a)
        elif qt == Q.F16:
            w.add_tensor(name, a.astype(np.float16))
        else:
            w.add_tensor(name, gguf.quants.quantize(a, qt), raw_dtype=qt)

    matrix('token_embd.weight', vocab, dim)
    for layer in range(layers):
        b = f'blk.{layer}.'
        print(f'layer {layer + 1}/{layers}', file=sys.stderr, flush=True)
        w.add_tensor(b + 'attn_norm.weight', np.ones(dim, np.float32))
        matrix(b + 'attn_q.weight', dim, dim)
        matrix(b + 'attn_k.weight', kv_dim, dim)
        matrix(b + 'attn_v.weight', kv_dim, dim)
        matrix(b + 'attn_output.weight', dim, dim)
        w.add_tensor(b + 'ffn_norm.weight', np.ones(dim, np.float32))
        matrix(b + 'ffn_gate.weight', hidden, dim)
        matrix(b + 'ffn_up.weight', hidden, dim)
        matrix(b + 'ffn_down.weight', dim, hidden)
    w.add_tensor('output_norm.weight', np.ones(dim, np.float32))
    matrix('output.weight', vocab, dim)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f'wrote {args.out}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
