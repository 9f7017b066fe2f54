#!/usr/bin/env python3
"""Writes a copy of a llama2.c checkpoint whose layer-0 attention RMSNorm
gains are 1e30: every weight stays finite (the loaders accept it), but the
attention scores overflow float32, so the forward pass meets Inf and NaN in
layer 0. The runner must stop with an error naming the position and layer
instead of sampling token 0 or printing perplexity -nan.

  make_overflow_model.py IN.bin OUT.bin
"""
import struct
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    data = bytearray(open(src, "rb").read())
    dim, _hidden, _layers, _heads, _kv, vocab, _seq = struct.unpack_from(
        "<7i", data, 0)
    off = 28 + abs(vocab) * dim * 4  # after the token embedding
    struct.pack_into("<%df" % dim, data, off, *([1e30] * dim))
    open(dst, "wb").write(bytes(data))


if __name__ == "__main__":
    main()
