#!/usr/bin/python3
"""Learns the 16 magnitude tables of qins4 (docs/formats.md) by Lloyd
iterations on blocks of 32 synthetic weights, and prints them as C++.

qins4 stores per block of 32: a 4-bit table selector and a 12-bit scale, then
32 codes of sign + 3-bit magnitude index (0 = zero). Each table holds the 7
nonzero magnitudes, normalised so that the largest is 1. The encoder tries
every table with a grid of scales and a least-squares refinement; this script
runs the same search in NumPy, then moves each table entry to the mean of the
normalised magnitudes assigned to it, and repeats.

Training data: equal parts N(0,1), Laplace and Student-t(5) blocks (fixed
seed), so that the tables also cover heavier tails than a Gaussian.
Usage: /usr/bin/python3 tools/train_qins4_tables.py [--blocks N] [--iters K]
(Debian's python3-numpy; a development tool, not used by the build.)
"""
import argparse
import numpy as np


def nearest_idx(tab, a):
    mids = (tab[1:] + tab[:-1]) / 2
    return np.searchsorted(mids, a)


def encode(X, tabs, mults=np.linspace(0.45, 1.05, 25)):
    n = len(X)
    besterr = np.full(n, np.inf)
    bt = np.zeros(n, int)
    bq = np.zeros(X.shape, int)
    bs = np.zeros(n)
    A, S = np.abs(X), np.sign(X)
    amax = A.max(1, keepdims=True)
    for ti, t in enumerate(tabs):
        full = np.concatenate([[0.0], t])
        for m in mults:
            s = amax * m
            idx = nearest_idx(full, A / s)
            q = full[idx] * S
            sqx = (q * X).sum(1)
            sq2 = (q * q).sum(1)
            d = np.where(sq2 > 0, sqx / np.maximum(sq2, 1e-30), s[:, 0])
            e = ((q * d[:, None] - X) ** 2).sum(1)
            b = e < besterr
            besterr[b] = e[b]
            bt[b] = ti
            bq[b] = idx[b]
            bs[b] = d[b]
    return besterr, bt, bq, bs


def data(blocks, seed):
    rng = np.random.default_rng(seed)
    k = blocks // 3
    return np.concatenate([rng.normal(0, 1, (k, 32)), rng.laplace(0, 1, (k, 32)),
                           rng.standard_t(5, (blocks - 2 * k, 32))])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blocks", type=int, default=15000)
    ap.add_argument("--iters", type=int, default=6)
    a = ap.parse_args()
    X = data(a.blocks, 20261123)
    tabs = [(np.arange(1, 8) / 7.0) ** p for p in np.linspace(0.8, 2.2, 16)]
    for _ in range(a.iters):
        _, bt, bq, bs = encode(X, tabs)
        new = []
        for ti in range(len(tabs)):
            rows = bt == ti
            t = tabs[ti].copy()
            if rows.any():
                M = np.abs(X[rows]) / np.abs(bs[rows])[:, None]
                Q = bq[rows]
                for lvl in range(1, 8):
                    sel = Q == lvl
                    if sel.any():
                        t[lvl - 1] = M[sel].mean()
            t = np.sort(t)
            new.append(t / t[-1])
        tabs = new
    Y = data(a.blocks, 7)  # held out
    err, bt, _, _ = encode(Y, tabs)
    print("// held-out RMS relative error: %.5f; table use: %s" %
          (np.sqrt(err.sum() / (Y ** 2).sum()), np.bincount(bt, minlength=16).tolist()))
    for t in tabs:
        print("    {" + ", ".join("%.7ff" % v for v in t) + "},")


if __name__ == "__main__":
    main()
