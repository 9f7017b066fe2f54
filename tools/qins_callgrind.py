"""Instruction counts of one GEMV call under valgrind's callgrind.

Runs qins-instr-count (tools/qins_instr_count.cc) under
`valgrind --tool=callgrind --instr-atstart=no`, so that only the one measured
GEMV call is instrumented, and reads callgrind's output file:

  ir        instructions of the call, C allocator excluded: deterministic
  ir_alloc  instructions inside malloc/free and glibc's allocator internals
            (hwy::AllocateAligned's per-call scratch buffer). Reported apart
            because their count depends on the heap's state and varies by a
            few instructions between identical runs.
  top       the function with the most self instructions (the kernel) and
            its share of ir.

Standard library only (used by tools/qins-profile and a ctest).
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

# glibc allocator entry points and internals (by symbol name, which callgrind
# reports with or without libc debug information for the entry points).
_ALLOCATOR = re.compile(
    r"^(?:__libc_|_int_|__GI___libc_)?(?:malloc|free|calloc|realloc|memalign|"
    r"posix_memalign|aligned_alloc|valloc|pvalloc)\b"
    r"|^_int_|^_mid_memalign|^unlink_chunk|^malloc_consolidate|^sysmalloc"
    r"|^tcache_|^systrim|^munmap_chunk|^alloc_perturb|^free_perturb")


class CallgrindError(RuntimeError):
    pass


def valgrind_version():
    """'valgrind-3.19.0', or None when valgrind is not installed."""
    exe = shutil.which("valgrind")
    if not exe:
        return None
    try:
        return subprocess.run([exe, "--version"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def self_costs(path):
    """{function name: self Ir} and the file's total Ir, from a callgrind
    output file (name compression and calls= lines handled)."""
    names, costs = {}, {}
    fn, after_calls, total = None, False, None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("totals:"):
                total = int(line.split()[1])
                continue
            m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line)
            if m:
                kind, ident, name = m.groups()
                if name is not None:
                    names[ident] = name
                if kind == "fn":
                    fn = names.get(ident, f"({ident})")
                continue
            if line.startswith("calls="):
                after_calls = True  # the next cost line is the callee's
                continue
            if line and (line[0].isdigit() or line[0] in "+-*"):
                if after_calls:
                    after_calls = False
                    continue
                costs[fn] = costs.get(fn, 0) + int(line.split()[-1])
    if total is None:
        total = sum(costs.values())
    return costs, total


def save_matrix(tool, fmt, path, rows=64, cols=4096):
    """Quantizes the tool's matrix natively (fast) and writes it to path, for
    count(matrix=path): slow encoders then never run under valgrind."""
    p = subprocess.run([tool, "--format", fmt, "--rows", str(rows), "--cols", str(cols),
                        "--save-matrix", path], capture_output=True, text=True)
    if p.returncode != 0:
        raise CallgrindError(p.stderr.strip() or f"exit code {p.returncode}")


def count(tool, fmt=None, strategy="auto", target=None, rows=64, cols=4096,
          threads=1, timeout=600, matrix=None):
    """Runs one measured GEMV under callgrind, on the tool's own quantized
    matrix (fmt, rows, cols) or on a file from save_matrix (matrix=). Returns
    the tool's JSON line plus ir, ir_alloc, ir_total, top, top_share,
    instr_per_weight. Raises CallgrindError with the tool's message when the
    run fails (for example a target valgrind does not emulate)."""
    exe = shutil.which("valgrind")
    if not exe:
        raise CallgrindError("valgrind not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="qins-callgrind-") as d:
        out = os.path.join(d, "callgrind.out")
        cmd = [exe, "-q", "--tool=callgrind", "--instr-atstart=no",
               "--separate-threads=no", f"--callgrind-out-file={out}", tool,
               "--strategy", strategy, "--threads", str(threads)]
        if matrix:
            cmd += ["--load-matrix", matrix]
        else:
            cmd += ["--format", fmt, "--rows", str(rows), "--cols", str(cols)]
        if target:
            cmd += ["--target", target]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CallgrindError(f"timed out after {timeout} s")
        err = "\n".join(l for l in p.stderr.splitlines()
                        if l.startswith("qins-instr-count") or "rror" in l)
        if p.returncode != 0:
            raise CallgrindError(err or f"exit code {p.returncode}")
        try:
            info = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise CallgrindError(f"unexpected output: {p.stdout!r}")
        if not info.get("under_valgrind"):
            raise CallgrindError("qins-instr-count did not detect valgrind")
        if not os.path.exists(out):
            raise CallgrindError("callgrind wrote no output file")
        costs, total = self_costs(out)
    alloc = sum(v for k, v in costs.items() if k and _ALLOCATOR.search(k))
    ir = total - alloc
    top = max((kv for kv in costs.items() if not _ALLOCATOR.search(kv[0] or "")),
              key=lambda kv: kv[1], default=(None, 0))
    info.update(ir=ir, ir_alloc=alloc, ir_total=total,
                instr_per_weight=ir / info["weights"], top=top[0],
                top_share=top[1] / ir if ir else 0.0)
    return info
