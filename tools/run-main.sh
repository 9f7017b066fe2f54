#!/usr/bin/env bash
# The main job on the bundled default: installs missing Debian packages, builds
# Release, prints what this machine is (qins-info), runs a short bench_gemv
# sweep whose JSON lands in out/bench_gemv.json and plots it
# (tools/plot_sweep: out/gemv_roofline.png, out/gemv_sizes.png) and tabulates
# it (tools/sweep_table: out/gemv_table.md). Incremental:
# fast when nothing changed.
#
#   tools/run-main.sh [--help]
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "run-main: unknown argument '$1'" >&2; exit 2 ;;
esac

tools/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
mkdir -p out
echo
build/release/tools/qins-info
echo
build/release/bench/bench_gemv --qins_quick \
  --benchmark_out=out/bench_gemv.json --benchmark_out_format=json
echo
tools/plot_sweep out/bench_gemv.json --out-dir out
tools/sweep_table out/bench_gemv.json --all-strategies | tee out/gemv_table.md
echo "run-main: bench JSON in out/bench_gemv.json, table in out/gemv_table.md, plots in out/gemv_roofline.png and out/gemv_sizes.png"
