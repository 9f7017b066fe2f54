#!/usr/bin/env python3
"""ctest (LABELS profile): callgrind instruction counts of one GEMV.

  instr_count_test.py PATH/TO/qins-instr-count

Checks, for a few format/strategy pairs on avx2 (sse4 if the CPU lacks AVX2)
with a small matrix:
  * deterministic: two runs give the same Ir (allocator excluded, see
    tools/qins_callgrind.py);
  * only the measured GEMV is counted: Ir(rows) = fixed + rows * per_row with
    a fixed part small next to 64 rows' cost. A counted warm-up call would
    double both terms (fixed ~ per-64-rows cost); a counted quantization would
    add far more. (The fixed part is the per-call work on x: its padded copy,
    and for qins8 bitbuild its power-of-two scaling, O(cols).)
  * a matrix saved with --save-matrix and loaded with --load-matrix gives the
    same count and result as quantizing in the run;
  * the heaviest function is a kernel of the requested target (Highway's
    per-target namespace, e.g. qins::N_AVX2::).
Exits 77 (ctest SKIP) when valgrind is not installed.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tools"))
import qins_callgrind  # noqa: E402

CASES = [("q8_0", "decode"), ("qins8", "bitbuild"), ("f32", "direct"),
         ("q4_0", "auto")]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    tool = sys.argv[1]
    if qins_callgrind.valgrind_version() is None:
        print("SKIP: valgrind not installed (apt-get install valgrind)")
        return 77
    failures = []
    for target in ("avx2", "sse4"):
        try:
            qins_callgrind.count(tool, "f32", "direct", target, rows=4, cols=64)
            break
        except qins_callgrind.CallgrindError as e:
            print(f"target {target} not usable under valgrind: {e}")
    else:
        print("FAIL: neither avx2 nor sse4 runs under valgrind")
        return 1
    for fmt, strategy in CASES:
        a = qins_callgrind.count(tool, fmt, strategy, target, rows=64, cols=512)
        b = qins_callgrind.count(tool, fmt, strategy, target, rows=64, cols=512)
        c = qins_callgrind.count(tool, fmt, strategy, target, rows=128, cols=512)
        name = f"{fmt}/{a['strategy']} on {target}"
        print(f"{name}: 64x512 Ir {a['ir']} and {b['ir']} (allocator "
              f"{a['ir_alloc']}, {b['ir_alloc']}); 128x512 Ir {c['ir']}; "
              f"top {a['top']} {100 * a['top_share']:.0f}%")
        if a["ir"] <= 0:
            failures.append(f"{name}: no instructions counted")
        if a["ir"] != b["ir"]:
            failures.append(f"{name}: two runs counted {a['ir']} and {b['ir']}")
        per64 = c["ir"] - a["ir"]
        fixed = a["ir"] - per64
        if not (0 <= fixed < per64 / 2):
            failures.append(
                f"{name}: Ir(64 rows) = {a['ir']}, Ir(128 rows) = {c['ir']}: the "
                f"fixed part {fixed} is not small next to 64 rows' {per64}, so "
                "the region counts more than one GEMV")
        ns = f"N_{target.upper()}::"
        if ns not in (a["top"] or ""):
            failures.append(f"{name}: heaviest function is {a['top']}, not a "
                            f"kernel compiled for the target ({ns})")
    # A matrix saved natively and loaded under valgrind is the same matrix:
    # the same count and the same result.
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.qm")
        qins_callgrind.save_matrix(tool, "q4_0", path, rows=32, cols=512)
        a = qins_callgrind.count(tool, "q4_0", "decode", target, rows=32, cols=512)
        b = qins_callgrind.count(tool, strategy="decode", target=target, matrix=path)
        print(f"q4_0 quantized in the run: Ir {a['ir']}, checksum {a['checksum']}; "
              f"loaded: Ir {b['ir']}, checksum {b['checksum']}")
        if (a["ir"], a["checksum"], a["weights"]) != (b["ir"], b["checksum"], b["weights"]):
            failures.append("q4_0: --load-matrix gives a different count or result")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
