#!/usr/bin/env python3
"""Writes a GGUF file's weights dequantized to F32, everything else kept.

    make_f32_gguf.py IN.gguf OUT.gguf

Every tensor is dequantized by gguf-py (`gguf.quants.dequantize`, the
oracle the library's decoders are tested against) and written as F32 with
its name and shape; every metadata key is copied with its type. The result
is the "dequantized-FP32 model" of issue 18: llama.cpp (`llama-perplexity`,
`tools/make-reference-logits`) runs it with F32 weights, so neither side
quantizes activations, and `qins-run eval` can be compared with it.

Run it with the oracle interpreter: `$(tools/python-env.sh)
tools/make_f32_gguf.py ...`. Needs memory for one tensor at a time plus the
output (SmolLM2-135M: 0.5 GiB, Gemma-3-270M: 1.1 GiB on disk).
"""
import os
import sys

import numpy as np

try:
    import gguf
    from gguf import GGUFReader, GGUFValueType, GGUFWriter
except ImportError:
    sys.exit("make_f32_gguf: needs the gguf package: run it with "
             "$(tools/python-env.sh)")

# Keys GGUFWriter writes itself.
_SKIP = {"GGUF.version", "GGUF.tensor_count", "GGUF.kv_count"}


def copy_field(w, field):
    vtype = field.types[0]
    if vtype == GGUFValueType.ARRAY:
        sub = field.types[1] if len(field.types) > 1 else None
        w.add_key_value(field.name, field.contents(), vtype, sub_type=sub)
    else:
        w.add_key_value(field.name, field.contents(), vtype)


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) == 2 else 2
    src, dst = argv[1], argv[2]
    if not os.path.isfile(src):
        sys.exit(f"make_f32_gguf: {src}: no such file")
    r = GGUFReader(src)
    arch_field = r.fields.get("general.architecture")
    if arch_field is None:
        sys.exit(f"make_f32_gguf: {src}: no general.architecture key")
    arch = arch_field.contents()
    tmp = dst + ".tmp"
    w = GGUFWriter(tmp, arch)
    # GGUFWriter adds general.architecture in its constructor.
    for name, field in r.fields.items():
        # general.file_type is rewritten: 0 = ALL_F32.
        if name in _SKIP or name in ("general.architecture",
                                     "general.file_type"):
            continue
        copy_field(w, field)
    w.add_file_type(0)
    n = len(r.tensors)
    for i, t in enumerate(r.tensors):
        # t.shape is ggml's ne (fastest first); dequantize returns numpy's
        # order (slowest first), which add_tensor writes back as ggml's.
        data = gguf.quants.dequantize(t.data, t.tensor_type)
        data = np.ascontiguousarray(data, dtype=np.float32)
        w.add_tensor(t.name, data)
        print(f"\rmake_f32_gguf: tensor {i + 1}/{n}", end="", file=sys.stderr)
    print(file=sys.stderr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
