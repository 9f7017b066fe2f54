#!/usr/bin/env python3
"""Writes the GGUF test files under tests/data/gguf/ (committed; the tests do
not run Python).

1. stories260K_f32.gguf and stories260K_mixed.gguf: the weights of
   ../shared/models/stories260K.bin (llama2.c layout) written by the PyPI
   `gguf` package, llama.cpp's own writer, used here as an independent oracle.
   f32: every tensor F32. mixed: matrices cycle through F16, Q8_0 and BF16
   (Q8_0 only where the row length is a multiple of 32), norms F32; it also
   carries a tokenizer (pieces with U+2581 for spaces).
2. tiny_llama.gguf: a valid tiny llama model written by the raw writer below,
   tiny_gpt2_tokenizer.gguf the same with a made-up byte-level BPE tokenizer,
   checked by gguf.GGUFReader, and malformed/*.gguf: >= 50 corruptions of it
   with malformed/expected.tsv listing, per file, the substrings one of which
   the loader's error must contain ('|' separates alternatives).

Usage: python3 tools/make_test_gguf.py [--stories PATH] [--out DIR]
Needs: pip install gguf (brings numpy).
"""
import argparse
import os
import struct
import sys

import numpy as np
import gguf

# ---- a raw GGUF writer, so that malformed files can be made field by field --

T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, \
    T_I64, T_F64 = range(13)
SCALAR_FMT = {T_U8: '<B', T_I8: '<b', T_U16: '<H', T_I16: '<h', T_U32: '<I',
              T_I32: '<i', T_F32: '<f', T_BOOL: '<B', T_U64: '<Q',
              T_I64: '<q', T_F64: '<d'}
G_F32, G_F16, G_Q4_0, G_Q8_0, G_Q8_1, G_BF16 = 0, 1, 2, 8, 9, 30


def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack('<Q', len(b)) + b


def value(t, v):
    if t == T_STR:
        return gstr(v)
    if t == T_ARR:
        et, items = v
        out = struct.pack('<IQ', et, len(items))
        for it in items:
            out += value(et, it)
        return out
    return struct.pack(SCALAR_FMT[t], v)


def kv(key, t, v):
    return gstr(key) + struct.pack('<I', t) + value(t, v)


class Model:
    """A llama model as (key, type, value) metadata and named tensors."""

    def __init__(self):
        self.kvs = []  # (key, type, value)
        self.tensors = []  # dict(name, dims (ne order), gtype, data bytes)
        self.version = 3
        self.alignment = 32

    def set_kv(self, key, t, v):
        for i, (k, _, _) in enumerate(self.kvs):
            if k == key:
                self.kvs[i] = (key, t, v)
                return
        self.kvs.append((key, t, v))

    def drop_kv(self, key):
        self.kvs = [e for e in self.kvs if e[0] != key]

    def tensor(self, name):
        return next(t for t in self.tensors if t['name'] == name)

    def serialize(self, header_override=None, info_override=None):
        """Bytes of the file. info_override(index, tensor, offset) may return
        raw tensor-info bytes to put in place of the computed ones."""
        out = b'GGUF' + struct.pack('<IQQ', self.version, len(self.tensors),
                                    len(self.kvs))
        if header_override:
            out = header_override(out)
        for k, t, v in self.kvs:
            out += kv(k, t, v)
        offsets, off = [], 0
        for t in self.tensors:
            offsets.append(off)
            off += len(t['data'])
            off += (-off) % self.alignment
        for i, t in enumerate(self.tensors):
            info = gstr(t['name']) + struct.pack('<I', len(t['dims']))
            info += b''.join(struct.pack('<Q', d) for d in t['dims'])
            info += struct.pack('<IQ', t['gtype'], offsets[i])
            if info_override:
                info = info_override(i, t, offsets[i]) or info
            out += info
        out += b'\0' * ((-len(out)) % self.alignment)
        for i, t in enumerate(self.tensors):
            assert len(out) % self.alignment == 0
            out += t['data']
            out += b'\0' * ((-len(out)) % self.alignment)
        return out


def q8_0_bytes(a):
    return gguf.quants.quantize(a.astype(np.float32),
                                gguf.GGMLQuantizationType.Q8_0).tobytes()


def tiny_model():
    """dim 32, hidden 32, 1 layer, 2 heads, 1 KV head, vocab 4: Q8_0 matrices
    (rows of 32), F32 norms; about 7 KB."""
    rng = np.random.default_rng(7)
    dim, hidden, heads, kv_heads, vocab = 32, 32, 2, 1, 4
    kv_dim = dim // heads * kv_heads
    m = Model()
    m.set_kv('general.architecture', T_STR, 'llama')
    m.set_kv('general.alignment', T_U32, 32)
    m.set_kv('llama.embedding_length', T_U32, dim)
    m.set_kv('llama.feed_forward_length', T_U32, hidden)
    m.set_kv('llama.block_count', T_U32, 1)
    m.set_kv('llama.attention.head_count', T_U32, heads)
    m.set_kv('llama.attention.head_count_kv', T_U32, kv_heads)
    m.set_kv('llama.context_length', T_U32, 16)
    m.set_kv('llama.rope.freq_base', T_F32, 10000.0)
    m.set_kv('llama.attention.layer_norm_rms_epsilon', T_F32, 1e-5)
    m.set_kv('tokenizer.ggml.model', T_STR, 'llama')
    m.set_kv('tokenizer.ggml.tokens', T_ARR,
             (T_STR, ['<unk>', '<s>', '</s>', '\u2581a']))
    m.set_kv('tokenizer.ggml.bos_token_id', T_U32, 1)
    m.set_kv('tokenizer.ggml.eos_token_id', T_U32, 2)
    # Every other value kind, for the reader's tests.
    m.set_kv('test.nested', T_ARR, (T_ARR, [(T_STR, ['a', 'bc']),
                                             (T_STR, [])]))
    m.set_kv('test.i16s', T_ARR, (T_I16, [-1, 2, -300]))
    m.set_kv('test.f64', T_F64, 2.5)
    m.set_kv('test.bool', T_BOOL, 1)
    m.set_kv('test.i64', T_I64, -5)
    m.set_kv('test.u8', T_U8, 7)

    def mat(name, rows, cols):
        a = rng.normal(0, 0.02, (rows, cols)).astype(np.float32)
        m.tensors.append(dict(name=name, dims=[cols, rows], gtype=G_Q8_0,
                              data=q8_0_bytes(a)))

    def norm(name):
        m.tensors.append(dict(name=name, dims=[dim], gtype=G_F32,
                              data=np.ones(dim, np.float32).tobytes()))
    mat('token_embd.weight', vocab, dim)
    norm('blk.0.attn_norm.weight')
    mat('blk.0.attn_q.weight', dim, dim)
    mat('blk.0.attn_k.weight', kv_dim, dim)
    mat('blk.0.attn_v.weight', kv_dim, dim)
    mat('blk.0.attn_output.weight', dim, dim)
    norm('blk.0.ffn_norm.weight')
    mat('blk.0.ffn_gate.weight', hidden, dim)
    mat('blk.0.ffn_up.weight', hidden, dim)
    mat('blk.0.ffn_down.weight', dim, hidden)
    norm('output_norm.weight')
    return m


def gpt2_byte_chars():
    """GPT-2's bytes_to_unicode: byte -> its printable stand-in."""
    bs = (list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) +
          list(range(0xAE, 0x100)))
    cs, n = list(bs), 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def tiny_gpt2_model():
    """tiny_model with a made-up GPT-2 style byte-level BPE tokenizer: the
    256 byte stand-ins (ids = bytes), merges that spell "hello" and
    " world", and <|endoftext|> (control, BOS and EOS); vocab 266."""
    m = tiny_model()
    g = gpt2_byte_chars()[ord(' ')]
    merged = ['he', 'll', 'hell', 'hello', g + 'w', g + 'wo', 'rl',
              g + 'worl', g + 'world']
    merges = ['h e', 'l l', 'he ll', 'hell o', g + ' w', g + 'w o', 'r l',
              g + 'wo rl', g + 'worl d']
    chars = gpt2_byte_chars()
    tokens = [chars[b] for b in range(256)] + merged + ['<|endoftext|>']
    types = [1] * (len(tokens) - 1) + [3]
    m.set_kv('tokenizer.ggml.model', T_STR, 'gpt2')
    m.set_kv('tokenizer.ggml.pre', T_STR, 'smollm')
    m.set_kv('tokenizer.ggml.tokens', T_ARR, (T_STR, tokens))
    m.set_kv('tokenizer.ggml.token_type', T_ARR, (T_I32, types))
    m.set_kv('tokenizer.ggml.merges', T_ARR, (T_STR, merges))
    m.set_kv('tokenizer.ggml.bos_token_id', T_U32, len(tokens) - 1)
    m.set_kv('tokenizer.ggml.eos_token_id', T_U32, len(tokens) - 1)
    m.set_kv('tokenizer.ggml.add_bos_token', T_BOOL, 0)
    rng = np.random.default_rng(11)
    t = m.tensor('token_embd.weight')
    t['dims'] = [32, len(tokens)]
    t['data'] = q8_0_bytes(rng.normal(0, 0.02, (len(tokens), 32)))
    return m


def malformed_cases(base):
    """Yields (file name, bytes, expected substrings)."""
    good = base.serialize()
    trunc = 'truncated|cannot fit|past the end'
    yield 'empty', b'', 'empty'
    # Truncation inside every header field, then at points through the
    # metadata, the tensor infos and the data.
    for cut, what in [(1, 'magic'), (3, 'magic'), (4, 'version'),
                      (7, 'version'), (8, 'tensor count'),
                      (15, 'tensor count'), (16, 'metadata count'),
                      (23, 'metadata count')]:
        yield f'trunc_header_{cut}', good[:cut], what
    n_infos_start = len(b'GGUF') + 20 + sum(len(kv(*e)) for e in base.kvs)
    for frac in range(1, 10):
        cut = 24 + (n_infos_start - 24) * frac // 10
        yield f'trunc_metadata_{cut}', good[:cut], trunc
    data_start = good.find(base.tensors[0]['data'])
    for frac in range(1, 6):
        cut = n_infos_start + (data_start - n_infos_start) * frac // 6
        yield f'trunc_tensor_info_{cut}', good[:cut], trunc
    for cut in [data_start, data_start + 100, len(good) - 1]:
        yield f'trunc_data_{cut}', good[:cut], trunc

    def hdr(version=None, n_tensors=None, n_kv=None):
        def f(out):
            v, t, k = struct.unpack('<IQQ', out[4:24])
            return b'GGUF' + struct.pack(
                '<IQQ', v if version is None else version,
                t if n_tensors is None else n_tensors,
                k if n_kv is None else n_kv)
        return f
    yield 'bad_magic', b'GGUX' + good[4:], 'bad magic'
    yield 'bad_magic_gguf_lowercase', b'gguf' + good[4:], 'bad magic'
    for v, exp in [(0, 'version 0'), (1, 'version 1'), (4, 'version 4'),
                   (0xFFFFFFFF, 'version 4294967295'),
                   (0x03000000, 'big-endian')]:
        yield f'version_{v:x}', base.serialize(hdr(version=v)), exp
    yield 'n_tensors_2p63', base.serialize(hdr(n_tensors=1 << 63)), \
        'tensor count'
    yield 'n_tensors_max', base.serialize(hdr(n_tensors=(1 << 64) - 1)), \
        'tensor count'
    yield 'n_kv_2p63', base.serialize(hdr(n_kv=1 << 63)), 'metadata count'
    yield 'n_kv_plus_one', base.serialize(hdr(n_kv=len(base.kvs) + 1)), \
        'tensor' + '|' + trunc  # reads the first tensor info as a key
    # Metadata corruptions (raw bytes after the header).
    head = good[:24]
    rest = good[24:]
    yield 'key_length_huge', head + struct.pack('<Q', 1 << 63) + rest[8:], \
        'runs past the end'
    yield 'key_length_past_end_by_one', head + struct.pack(
        '<Q', len(rest) - 8 + 1) + rest[8:], 'runs past the end'

    def variant(name, mutate, expected, **ser):
        m = tiny_model()
        mutate(m)
        return name, m.serialize(**ser), expected

    def raw_kv_case(name, raw, expected):
        # The model with its first metadata entry replaced by raw bytes.
        m = tiny_model()
        blob = m.serialize()
        first = len(kv(*m.kvs[0]))
        return name, blob[:24] + raw + blob[24 + first:], expected

    yield raw_kv_case('string_value_length_huge',
                      gstr('general.architecture') + struct.pack(
                          '<IQ', T_STR, (1 << 64) - 1), 'runs past the end')
    yield raw_kv_case('unknown_value_type',
                      gstr('general.architecture') + struct.pack('<I', 13) +
                      gstr('llama'), 'unknown type 13')
    yield raw_kv_case('unknown_array_element_type',
                      gstr('general.architecture') + struct.pack(
                          '<IIQ', T_ARR, 99, 0), 'unknown array element type')
    yield raw_kv_case('array_count_huge',
                      gstr('general.architecture') + struct.pack(
                          '<IIQ', T_ARR, T_U8, 1 << 62), 'cannot fit')
    yield raw_kv_case('string_array_count_huge',
                      gstr('general.architecture') + struct.pack(
                          '<IIQ', T_ARR, T_STR, 1 << 40), 'cannot fit')
    yield raw_kv_case('string_array_element_past_end',
                      gstr('general.architecture') + struct.pack(
                          '<IIQQ', T_ARR, T_STR, 1, 1 << 40),
                      'runs past the end')
    nested = struct.pack('<IIQ', T_ARR, T_ARR, 1)
    for _ in range(5):
        nested += struct.pack('<IQ', T_ARR, 1)
    nested += struct.pack('<IQ', T_U8, 0)
    yield raw_kv_case('arrays_nested_too_deep',
                      gstr('general.architecture') + nested, 'nested deeper')
    yield raw_kv_case('bool_value_2',
                      gstr('general.architecture') + struct.pack(
                          '<IB', T_BOOL, 2), 'not 0 or 1')
    yield raw_kv_case('empty_key', gstr('') + struct.pack('<IB', T_U8, 0),
                      'is empty')
    yield variant('duplicate_key', lambda m: m.kvs.append(
        ('llama.block_count', T_U32, 1)), 'duplicate metadata key')
    yield variant('alignment_zero', lambda m: m.set_kv(
        'general.alignment', T_U32, 0), 'not a power of two')
    yield variant('alignment_48', lambda m: m.set_kv(
        'general.alignment', T_U32, 48), 'not a power of two')
    yield variant('alignment_string', lambda m: m.set_kv(
        'general.alignment', T_STR, '32'), 'expected uint32')

    # Tensor-info corruptions.
    def info_case(name, index, make, expected):
        m = tiny_model()

        def override(i, t, off):
            if i != index:
                return None
            return make(t, off)
        return name, m.serialize(info_override=override), expected

    def info(t, off, n_dims=None, dims=None, gtype=None, offset=None):
        d = t['dims'] if dims is None else dims
        return (gstr(t['name']) +
                struct.pack('<I', len(d) if n_dims is None else n_dims) +
                b''.join(struct.pack('<Q', x) for x in d) +
                struct.pack('<IQ', t['gtype'] if gtype is None else gtype,
                            off if offset is None else offset))
    yield info_case('n_dims_0', 2, lambda t, o: info(t, o, n_dims=0,
                                                     dims=[]), 'n_dims 0')
    yield info_case('n_dims_5', 2, lambda t, o: info(
        t, o, dims=[32, 32, 1, 1, 1]), 'n_dims 5')
    yield info_case('n_dims_huge', 2, lambda t, o: info(
        t, o, n_dims=0xFFFFFFFF), 'n_dims 4294967295')
    yield info_case('dim_zero', 2, lambda t, o: info(t, o, dims=[32, 0]),
                    'dimension 1 is 0')
    yield info_case('dim_2p63', 2, lambda t, o: info(t, o, dims=[32, 1 << 63]),
                    'dimension 1 is')
    yield info_case('dims_product_overflow', 2, lambda t, o: info(
        t, o, dims=[1 << 32, 1 << 32]), 'overflows')
    yield info_case('dims_product_overflow_4d', 2, lambda t, o: info(
        t, o, dims=[1 << 16, 1 << 16, 1 << 16, 1 << 16]), 'overflows')
    yield info_case('unknown_ggml_type', 2, lambda t, o: info(t, o, gtype=99),
                    'unknown ggml type 99')
    yield info_case('removed_ggml_type_31', 2, lambda t, o: info(
        t, o, gtype=31), 'unknown ggml type 31')
    yield info_case('q8_0_row_not_block_multiple', 2, lambda t, o: info(
        t, o, dims=[48, 32]), 'block size 32')
    yield info_case('offset_misaligned', 2, lambda t, o: info(
        t, o, offset=o + 4), 'not a multiple of the alignment')
    yield info_case('offset_past_end', 2, lambda t, o: info(
        t, o, offset=1 << 20), 'runs past the end of the data section')
    yield info_case('offset_overflows', 2, lambda t, o: info(
        t, o, offset=(1 << 64) - 32), 'runs past the end of the data section')
    yield info_case('dims_bigger_than_data', 2, lambda t, o: info(
        t, o, dims=[32, 1 << 20]), 'runs past the end of the data section')
    yield info_case('tensor_name_length_huge', 2, lambda t, o: struct.pack(
        '<Q', 1 << 50), 'runs past the end')

    # Tensor 3 (attn_k) starting 32 bytes before the end of tensor 2
    # (attn_q, 1088 bytes): both read the shared bytes.
    yield info_case('tensor_data_overlap', 3, lambda t, o: info(
        t, o, offset=o - 32),
        "tensor 'blk.0.attn_k.weight' (data bytes [1344, 1888)) overlaps "
        "tensor 'blk.0.attn_q.weight' (data bytes [288, 1376))")

    def dup_tensor(m):
        m.tensors[3]['name'] = m.tensors[2]['name']
    yield variant('duplicate_tensor_name', dup_tensor, 'duplicate tensor')

    # Valid GGUF, but not a usable llama model.
    yield variant('architecture_gpt2', lambda m: m.set_kv(
        'general.architecture', T_STR, 'gpt2'), "architecture 'gpt2'")
    yield variant('architecture_missing', lambda m: m.drop_kv(
        'general.architecture'),
        "missing metadata key 'general.architecture'")
    yield variant('embedding_length_missing', lambda m: m.drop_kv(
        'llama.embedding_length'),
        "missing metadata key 'llama.embedding_length'")
    yield variant('embedding_length_string', lambda m: m.set_kv(
        'llama.embedding_length', T_STR, '32'), 'expected an integer')
    yield variant('embedding_length_huge', lambda m: m.set_kv(
        'llama.embedding_length', T_U64, 1 << 40), 'exceeds')
    yield variant('block_count_negative', lambda m: m.set_kv(
        'llama.block_count', T_I32, -1), 'negative')
    yield variant('head_count_zero', lambda m: m.set_kv(
        'llama.attention.head_count', T_U32, 0), 'positive')
    yield variant('heads_do_not_divide_dim', lambda m: m.set_kv(
        'llama.attention.head_count', T_U32, 3), 'does not divide dim')
    yield variant('kv_heads_do_not_divide_heads', lambda m: m.set_kv(
        'llama.attention.head_count_kv', T_U32, 3),
        'does not divide n_heads')
    yield variant('context_length_zero', lambda m: m.set_kv(
        'llama.context_length', T_U32, 0), 'positive')
    yield variant('rope_freq_base_nan', lambda m: m.set_kv(
        'llama.rope.freq_base', T_F32, float('nan')), 'RoPE base')
    yield variant('rms_eps_negative', lambda m: m.set_kv(
        'llama.attention.layer_norm_rms_epsilon', T_F32, -1.0), 'not in (0, 1)')
    yield variant('rope_dimension_count_partial', lambda m: m.set_kv(
        'llama.rope.dimension_count', T_U32, 8), 'partial rotary')
    yield variant('rope_scaling_linear', lambda m: m.set_kv(
        'llama.rope.scaling.type', T_STR, 'linear'), "RoPE scaling 'linear'")
    yield variant('expert_count', lambda m: m.set_kv(
        'llama.expert_count', T_U32, 8), 'mixture-of-experts')
    yield variant('tokens_not_strings', lambda m: m.set_kv(
        'tokenizer.ggml.tokens', T_ARR, (T_I32, [1, 2, 3, 4])),
        'not an array of strings')
    yield variant('bos_outside_vocab', lambda m: m.set_kv(
        'tokenizer.ggml.bos_token_id', T_U32, 100), 'outside the vocabulary')
    yield variant('tokens_disagree_with_embedding', lambda m: m.set_kv(
        'tokenizer.ggml.tokens', T_ARR, (T_STR, ['a', 'b', 'c', 'd', 'e'])),
        "'token_embd.weight' (embedding) has dims [32, 4], expected [32, 5]")
    yield variant('missing_ffn_up', lambda m: m.tensors.remove(
        m.tensor('blk.0.ffn_up.weight')),
        "missing tensor 'blk.0.ffn_up.weight'")
    yield variant('missing_token_embd', lambda m: m.tensors.remove(
        m.tensor('token_embd.weight')), "missing tensor 'token_embd.weight'")
    yield variant('missing_output_norm', lambda m: m.tensors.remove(
        m.tensor('output_norm.weight')),
        "missing tensor 'output_norm.weight'")

    def second_layer(m):
        # blk.1.* copies of blk.0.*, block_count left at 1: the second layer
        # would be silently ignored.
        for t in list(m.tensors):
            if t['name'].startswith('blk.0.'):
                m.tensors.append(dict(t, name='blk.1.' + t['name'][6:]))
    yield variant('block_count_below_layers', second_layer,
                  "tensor 'blk.1.attn_norm.weight' belongs to layer 1, but "
                  "llama.block_count is 1")

    def rope_freqs(m):
        m.tensors.append(dict(name='rope_freqs.weight', dims=[8],
                              gtype=G_F32,
                              data=np.ones(8, np.float32).tobytes()))
    yield variant('unknown_tensor', rope_freqs,
                  "tensor 'rope_freqs.weight' is not part of a llama model")
    yield variant('tokenizer_model_bert', lambda m: m.set_kv(
        'tokenizer.ggml.model', T_STR, 'bert'),
        "tokenizer.ggml.model 'bert' is not supported")
    # Tokenizer metadata (tools/runner/gguf_tokenizer.h).
    yield variant('tokenizer_gpt2_without_merges', lambda m: m.set_kv(
        'tokenizer.ggml.model', T_STR, 'gpt2'),
        'tokenizer.ggml.merges is missing')

    def gpt2(merges, pre='smollm'):
        def mutate(m):
            m.set_kv('tokenizer.ggml.model', T_STR, 'gpt2')
            m.set_kv('tokenizer.ggml.pre', T_STR, pre)
            m.set_kv('tokenizer.ggml.merges', T_ARR, merges)
        return mutate
    yield variant('tokenizer_merge_names_missing_token',
                  gpt2((T_STR, ['<s> </s>', '\u2581 a'])),
                  "names '\u2581', which is not a token")
    yield variant('tokenizer_merge_without_space',
                  gpt2((T_STR, ['<s></s>'])),
                  'is not two tokens separated by a space')
    yield variant('tokenizer_merges_not_strings',
                  gpt2((T_I32, [1, 2])),
                  'tokenizer.ggml.merges is not an array of strings')
    yield variant('tokenizer_pre_unknown',
                  gpt2((T_STR, ['<s> </s>']), pre='no-such-pre'),
                  "tokenizer.ggml.pre 'no-such-pre' is not supported")
    yield variant('tokenizer_scores_count', lambda m: m.set_kv(
        'tokenizer.ggml.scores', T_ARR, (T_F32, [0.0, 1.0, 2.0])),
        'tokenizer.ggml.scores has 3 entries for 4 tokens')
    yield variant('tokenizer_scores_strings', lambda m: m.set_kv(
        'tokenizer.ggml.scores', T_ARR, (T_STR, ['a', 'b', 'c', 'd'])),
        'tokenizer.ggml.scores is not an array of float32')
    yield variant('tokenizer_token_type_float', lambda m: m.set_kv(
        'tokenizer.ggml.token_type', T_ARR, (T_F32, [1.0, 1.0, 1.0, 1.0])),
        'tokenizer.ggml.token_type is not an array of int32')
    yield variant('tokenizer_token_type_count', lambda m: m.set_kv(
        'tokenizer.ggml.token_type', T_ARR, (T_I32, [1] * 5)),
        'tokenizer.ggml.token_type has 5 entries for 4 tokens')
    yield variant('tokenizer_add_bos_not_bool', lambda m: m.set_kv(
        'tokenizer.ggml.add_bos_token', T_U32, 1),
        'tokenizer.ggml.add_bos_token')

    def wrong_k_shape(m):
        t = m.tensor('blk.0.attn_k.weight')
        t['dims'] = [32, 32]
        t['data'] = q8_0_bytes(np.zeros((32, 32), np.float32))
    yield variant('attn_k_wrong_shape', wrong_k_shape,
                  'has dims [32, 32], expected [32, 16]')

    def wrong_norm_shape(m):
        t = m.tensor('blk.0.ffn_norm.weight')
        t['dims'] = [16]
        t['data'] = np.ones(16, np.float32).tobytes()
    yield variant('ffn_norm_wrong_shape', wrong_norm_shape,
                  'has dims [16], expected [32]')

    def q8_1(m):
        # Q8_1 (ggml's activation type: blocks of 32, f16 d and s, 32 int8)
        # has no library format.
        t = m.tensor('blk.0.attn_q.weight')
        t['gtype'] = G_Q8_1
        t['data'] = bytes(32 * 40)
    yield variant('attn_q_q8_1', q8_1, 'unsupported tensor type Q8_1')

    def q4_k_short_rows(m):
        # Q4_K (12) holds rows of whole 256-weight super-blocks; these rows
        # are 32 long (144 bytes per super-block, the size one would give).
        t = m.tensor('blk.0.attn_q.weight')
        t['gtype'] = 12
        t['data'] = bytes(4 * 144)
    yield variant('attn_q_q4_k_short_rows', q4_k_short_rows,
                  'is not a multiple of the Q4_K block size 256')

    def set_norm_value(name, value):
        def f(m):
            a = np.ones(32, np.float32)
            a[5] = value
            m.tensor(name)['data'] = a.tobytes()
        return f
    yield variant('nan_in_norm', set_norm_value('blk.0.ffn_norm.weight',
                                                np.nan), 'is NaN')
    yield variant('inf_in_norm', set_norm_value('output_norm.weight',
                                                np.inf), 'is Inf')

    def nan_q8_scale(m):
        t = m.tensor('blk.0.ffn_down.weight')
        d = bytearray(t['data'])
        d[34 * 3:34 * 3 + 2] = struct.pack('<H', 0x7E00)  # f16 NaN scale
        t['data'] = bytes(d)
    yield variant('nan_q8_0_scale', nan_q8_scale,
                  "'blk.0.ffn_down.weight' element (row 3, col 0) is NaN")

    def inf_f16(m):
        t = m.tensor('blk.0.attn_v.weight')
        a = np.full((16, 32), 0.01, np.float16)
        a[2, 7] = np.inf
        t['gtype'] = G_F16
        t['data'] = a.tobytes()
    yield variant('inf_f16_weight', inf_f16,
                  "'blk.0.attn_v.weight' element (row 2, col 7) is Inf")


def stories(path, out_dir):
    raw = open(path, 'rb').read()
    dim, hidden, layers, heads, kv_heads, vocab, seq = struct.unpack(
        '<7i', raw[:28])
    tied = vocab > 0
    vocab = abs(vocab)
    kv_dim = dim * kv_heads // heads
    f = np.frombuffer(raw[28:], np.float32)
    pos = 0

    def take(*shape):
        nonlocal pos
        n = int(np.prod(shape))
        a = f[pos:pos + n].reshape(shape)
        pos += n
        return a
    emb = take(vocab, dim)
    rms_att = take(layers, dim)
    wq = take(layers, dim, dim)
    wk = take(layers, kv_dim, dim)
    wv = take(layers, kv_dim, dim)
    wo = take(layers, dim, dim)
    rms_ffn = take(layers, dim)
    w1 = take(layers, hidden, dim)
    w2 = take(layers, dim, hidden)
    w3 = take(layers, hidden, dim)
    rms_final = take(dim)
    take(seq, dim // heads // 2)
    take(seq, dim // heads // 2)
    wcls = None if tied else take(vocab, dim)

    tensors = [('token_embd.weight', emb)]
    for l in range(layers):
        b = f'blk.{l}.'
        tensors += [(b + 'attn_norm.weight', rms_att[l]),
                    (b + 'attn_q.weight', wq[l]), (b + 'attn_k.weight', wk[l]),
                    (b + 'attn_v.weight', wv[l]),
                    (b + 'attn_output.weight', wo[l]),
                    (b + 'ffn_norm.weight', rms_ffn[l]),
                    (b + 'ffn_gate.weight', w1[l]),
                    (b + 'ffn_down.weight', w2[l]),
                    (b + 'ffn_up.weight', w3[l])]
    tensors.append(('output_norm.weight', rms_final))
    if wcls is not None:
        tensors.append(('output.weight', wcls))

    def write(name, mixed):
        w = gguf.GGUFWriter(os.path.join(out_dir, name), 'llama')
        w.add_context_length(seq)
        w.add_embedding_length(dim)
        w.add_feed_forward_length(hidden)
        w.add_block_count(layers)
        w.add_head_count(heads)
        w.add_head_count_kv(kv_heads)
        w.add_rope_freq_base(10000.0)
        w.add_layer_norm_rms_eps(1e-5)
        if mixed:
            w.add_tokenizer_model('llama')
            toks = ['<unk>', '<s>', '</s>'] + [
                f'\u2581t{i}' for i in range(3, vocab)]
            w.add_token_list(toks)
            w.add_bos_token_id(1)
            w.add_eos_token_id(2)
        Q = gguf.GGMLQuantizationType
        kinds = [Q.F16, Q.Q8_0, Q.BF16]
        k = 0
        for tname, a in tensors:
            a = np.ascontiguousarray(a, np.float32)
            if not mixed or a.ndim == 1:
                w.add_tensor(tname, a)
                continue
            q = kinds[k % 3]
            k += 1
            if q == Q.Q8_0 and a.shape[1] % 32 != 0:
                q = Q.F16
            if q == Q.F16:
                w.add_tensor(tname, a.astype(np.float16))
            else:
                w.add_tensor(tname, gguf.quants.quantize(a, q), raw_dtype=q)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
    write('stories260K_f32.gguf', False)
    write('stories260K_mixed.gguf', True)
    # Oracle check: the package's reader sees what we meant.
    r = gguf.GGUFReader(os.path.join(out_dir, 'stories260K_mixed.gguf'))
    types = {t.tensor_type.name for t in r.tensors}
    assert {'F16', 'Q8_0', 'BF16', 'F32'} <= types, types


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--stories', default=os.path.join(
        root, '..', 'shared', 'models', 'stories260K.bin'))
    ap.add_argument('--out', default=os.path.join(root, 'tests', 'data',
                                                  'gguf'))
    args = ap.parse_args()
    os.makedirs(os.path.join(args.out, 'malformed'), exist_ok=True)
    stories(args.stories, args.out)

    tiny = tiny_model().serialize()
    tiny_path = os.path.join(args.out, 'tiny_llama.gguf')
    open(tiny_path, 'wb').write(tiny)
    r = gguf.GGUFReader(tiny_path)  # the raw writer agrees with the package
    assert len(r.tensors) == 11 and r.tensors[2].name == 'blk.0.attn_q.weight'

    gpt2_path = os.path.join(args.out, 'tiny_gpt2_tokenizer.gguf')
    open(gpt2_path, 'wb').write(tiny_gpt2_model().serialize())
    r = gguf.GGUFReader(gpt2_path)
    assert len(r.fields['tokenizer.ggml.tokens'].data) == 266

    mdir = os.path.join(args.out, 'malformed')
    for old in os.listdir(mdir):
        os.remove(os.path.join(mdir, old))
    lines = []
    names = set()
    for name, data, expected in malformed_cases(tiny_model()):
        assert name not in names, name
        names.add(name)
        open(os.path.join(mdir, name + '.gguf'), 'wb').write(data)
        lines.append(f'{name}.gguf\t{expected}\n')
    open(os.path.join(mdir, 'expected.tsv'), 'w').writelines(lines)
    print(f'wrote {len(lines)} malformed files to {mdir}', file=sys.stderr)


if __name__ == '__main__':
    main()
