#!/usr/bin/env bash
# Every command-line tool, given each class of bad argument, must fail
# cleanly: exit status in [1, 123] (not 0, no signal, no timeout), within a
# time limit, and say why on stderr, its first line starting with the tool's
# name ("qins-run: ...").
#
#   cli_robustness_test.sh TOOLS_DIR MODELS_DIR
#
# Classes: out-of-range numbers, NaN/inf strings, unknown names, empty and
# non-UTF-8 text, unwritable and full outputs, FIFOs and directories as
# inputs, garbage QINS_* environment variables. (Text prompts are not a
# class: a non-UTF-8 prompt is valid, encoded byte by byte as run.c does.)
# Prints one line per case and a summary; exits 1 if any case failed.
set -u
tools=$1
models=$2
limit=${CLI_TIMEOUT:-30}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkfifo "$scratch/fifo"
mkdir "$scratch/dir"
bad_utf8=$'\xff\xfe\xc3'
model=$models/stories260K.bin
tok=$models/kjv1M_tok.bin
printf '\0\0\200?' >"$scratch/one.f32"  # 1.0f
pass=0 fail=0

# check NAME [ENV=VALUE...] -- TOOL ARGS...
check() {
  local name=$1
  shift
  local env=()
  while [ "$1" != "--" ]; do
    env+=("$1")
    shift
  done
  shift
  local tool=$1
  shift
  local err="$scratch/err" rc
  env "${env[@]}" timeout -k 5 "$limit" "$tools/$tool" "$@" </dev/null \
    >/dev/null 2>"$err"
  rc=$?
  local why=""
  if [ "$rc" -eq 0 ]; then
    why="exit status 0"
  elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    why="timed out after ${limit} s"
  elif [ "$rc" -ge 128 ]; then
    why="killed by signal $((rc - 128))"
  elif [ "$rc" -gt 123 ]; then
    why="exit status $rc"
  elif ! head -n 1 "$err" | grep -q "^$tool: ."; then
    why="stderr's first line does not start with '$tool: '"
  fi
  if [ -z "$why" ]; then
    pass=$((pass + 1))
    printf 'ok    %-44s %s\n' "$tool $name" "$(head -n 1 "$err" | cut -c1-110)"
  else
    fail=$((fail + 1))
    printf 'FAIL  %-44s %s (exit %d)\n' "$tool $name" "$why" "$rc"
    sed 's/^/      | /' "$err" | head -n 5
  fi
}

run=(generate --model "$model")
# --- qins-run
for v in 0 -1 99999 2147483648 1.5 ""; do check "threads '$v'" -- qins-run "${run[@]}" --threads "$v"; done
for v in -1 16777217 1e3; do check "-n '$v'" -- qins-run "${run[@]}" -n "$v"; done
for v in nan inf -inf 1e40 -0.5 "" 1x; do check "temp '$v'" -- qins-run "${run[@]}" --temp "$v"; done
for v in nan inf 1.5 -1; do check "top-p '$v'" -- qins-run "${run[@]}" --top-p "$v"; done
check "seed -1" -- qins-run "${run[@]}" --seed -1
check "prompt-ids out of vocab" -- qins-run "${run[@]}" --prompt-ids 1,512
check "prompt-ids garbage" -- qins-run "${run[@]}" --prompt-ids 1,x
check "prompt-ids empty" -- qins-run "${run[@]}" --prompt-ids ""
check "format unknown" -- qins-run "${run[@]}" --format nosuch
check "format empty" -- qins-run "${run[@]}" --format ""
check "format non-utf8" -- qins-run "${run[@]}" --format "$bad_utf8"
check "format-map garbage" -- qins-run "${run[@]}" --format-map "attn_q"
check "policy unknown" -- qins-run "${run[@]}" --policy nosuch
check "target unknown" -- qins-run "${run[@]}" --target nosuch
check "synthetic unknown" -- qins-run generate --synthetic nosuch
check "mode unknown" -- qins-run nosuch --model "$model"
check "mode non-utf8" -- qins-run "$bad_utf8" --model "$model"
check "option unknown" -- qins-run "${run[@]}" --bogus
check "option needs value" -- qins-run "${run[@]}" --temp
check "model empty" -- qins-run generate --model ""
check "model non-utf8" -- qins-run generate --model "$bad_utf8"
check "model missing" -- qins-run generate --model "$scratch/none.bin"
check "model fifo" -- qins-run generate --model "$scratch/fifo"
check "model dir" -- qins-run generate --model "$scratch/dir"
check "model /dev/null" -- qins-run generate --model /dev/null
check "tokenizer fifo" -- qins-run "${run[@]}" --tokenizer "$scratch/fifo"
check "tokenizer dir" -- qins-run "${run[@]}" --tokenizer "$scratch/dir"
check "eval ids fifo" -- qins-run eval --model "$model" --ids "$scratch/fifo"
check "eval text dir" -- qins-run eval --model "$models/kjv1M.bin" --tokenizer "$tok" --text "$scratch/dir"
check "eval ctx 1" -- qins-run eval --model "$model" --ids "$scratch/one.f32" --ctx 1
check "dump-logits full" -- qins-run "${run[@]}" -n 2 --dump-logits /dev/full
check "dump-logits unwritable" -- qins-run "${run[@]}" -n 2 --dump-logits "$scratch/no/dir/x"
check "bench json full" -- qins-run bench --model "$model" --prompt-len 2 -n 2 --reps 1 --json /dev/full
check "bench markdown unwritable" -- qins-run bench --model "$model" --prompt-len 2 -n 2 --reps 1 --markdown "$scratch/no/dir/x"
check "bench reps 0" -- qins-run bench --model "$model" --reps 0
for e in QINS_THREADS=abc QINS_THREADS=0 QINS_THREADS=99999999999 QINS_THREADS=-3 \
         QINS_TARGET=nosuch "QINS_TARGET=$bad_utf8"; do
  check "env $e" "$e" -- qins-run "${run[@]}" -n 1
done
# --- qins-convert
out=(--out "$scratch/o.qins")
check "no args" -- qins-convert
check "format unknown" -- qins-convert --model "$model" --format nosuch "${out[@]}"
check "format non-utf8" -- qins-convert --model "$model" --format "$bad_utf8" "${out[@]}"
check "threads 0" -- qins-convert --model "$model" --format f32 --threads 0 "${out[@]}"
check "threads nan" -- qins-convert --model "$model" --format f32 --threads nan "${out[@]}"
check "model fifo" -- qins-convert --model "$scratch/fifo" --format f32 "${out[@]}"
check "gguf dir" -- qins-convert --gguf "$scratch/dir" --format f32 "${out[@]}"
check "model empty" -- qins-convert --model "" --format f32 "${out[@]}"
check "out full" -- qins-convert --quiet --model "$model" --format f32 --out /dev/full
check "out unwritable" -- qins-convert --quiet --model "$model" --format f32 --out "$scratch/no/dir/x"
check "synthetic unknown" -- qins-convert --synthetic nosuch --format f32 "${out[@]}"
check "option unknown" -- qins-convert --bogus
check "env QINS_THREADS=abc" QINS_THREADS=abc -- qins-convert --quiet --model "$model" --format f32 "${out[@]}"
check "env QINS_TARGET=nosuch" QINS_TARGET=nosuch -- qins-convert --quiet --model "$model" --format f32 "${out[@]}"
# --- qins-codec
enc=(encode --format f32 --out "$scratch/c")
check "no args" -- qins-codec
check "command unknown" -- qins-codec nosuch --in "$scratch/one.f32" --out "$scratch/c"
check "format unknown" -- qins-codec encode --format nosuch --in "$scratch/one.f32" --out "$scratch/c"
check "q4_k row of 1" -- qins-codec encode --format q4_k --in "$scratch/one.f32" --out "$scratch/c"
check "format non-utf8" -- qins-codec encode --format "$bad_utf8" --in "$scratch/one.f32" --out "$scratch/c"
for v in 0 -1 nan inf 4294967297 1.5 ""; do check "rows '$v'" -- qins-codec "${enc[@]}" --in "$scratch/one.f32" --rows "$v"; done
check "in fifo" -- qins-codec "${enc[@]}" --in "$scratch/fifo"
check "in dir" -- qins-codec "${enc[@]}" --in "$scratch/dir"
check "in empty name" -- qins-codec "${enc[@]}" --in ""
check "in missing" -- qins-codec "${enc[@]}" --in "$scratch/none.f32"
check "out full" -- qins-codec encode --format f32 --in "$scratch/one.f32" --out /dev/full
check "out unwritable" -- qins-codec encode --format f32 --in "$scratch/one.f32" --out "$scratch/no/dir/x"
check "decode fifo" -- qins-codec decode --in "$scratch/fifo" --out "$scratch/d.f32"
check "decode dir" -- qins-codec decode --in "$scratch/dir" --out "$scratch/d.f32"
check "env QINS_THREADS=abc" QINS_THREADS=abc -- qins-codec "${enc[@]}" --in "$scratch/one.f32"
check "env QINS_TARGET=nosuch" QINS_TARGET=nosuch -- qins-codec "${enc[@]}" --in "$scratch/one.f32"
# --- qins-info
check "option unknown" -- qins-info --bogus
check "option non-utf8" -- qins-info "$bad_utf8"
for e in QINS_THREADS=abc QINS_THREADS=99999999999 QINS_TARGET=nosuch; do
  check "env $e" "$e" -- qins-info
done
# --- qins-codec-stats
check "no source" -- qins-codec-stats
check "formats unknown" -- qins-codec-stats --formats nosuch --dist normal:0.02 --rows 4 --cols 32
check "q6_k rows of 32" -- qins-codec-stats --formats q6_k --dist normal:0.02 --rows 4 --cols 32
for v in normal:nan normal:inf normal:-1 nosuch:1 ""; do check "dist '$v'" -- qins-codec-stats --formats f32 --dist "$v" --rows 4 --cols 32; done
for v in 0 -1 nan 1e30; do check "rows '$v'" -- qins-codec-stats --formats f32 --dist normal:0.02 --rows "$v" --cols 32; done
check "model fifo" -- qins-codec-stats --formats f32 --model "$scratch/fifo"
check "model dir" -- qins-codec-stats --formats f32 --model "$scratch/dir"
check "json full" -- qins-codec-stats --formats f32 --dist normal:0.02 --rows 4 --cols 32 --json /dev/full
check "env QINS_TARGET=nosuch" QINS_TARGET=nosuch -- qins-codec-stats --formats f32 --dist normal:0.02 --rows 4 --cols 32
# --- qins-tables
check "no args" -- qins-tables
check "command unknown" -- qins-tables nosuch
check "rounding unknown" -- qins-tables verify --rounding nosuch
check "rounding non-utf8" -- qins-tables verify --rounding "$bad_utf8"
check "dump into a file" -- qins-tables dump /dev/full
check "dump unwritable" -- qins-tables dump /proc/qins_no_such_dir
# --- qins-instr-count
check "format unknown" -- qins-instr-count --format nosuch
check "strategy unknown" -- qins-instr-count --format f32 --strategy nosuch
for v in 0 -1 nan 1e30 ""; do check "rows '$v'" -- qins-instr-count --format f32 --rows "$v"; done
check "threads 99999" -- qins-instr-count --format f32 --threads 99999
check "target unknown" -- qins-instr-count --format f32 --target nosuch
check "load fifo" -- qins-instr-count --load-matrix "$scratch/fifo"
check "load dir" -- qins-instr-count --load-matrix "$scratch/dir"
check "save full" -- qins-instr-count --format f32 --rows 4 --cols 32 --save-matrix /dev/full
# (qins-instr-count's thread count is --threads, default 1: QINS_THREADS
# does not apply to it.)
check "env QINS_TARGET=nosuch" QINS_TARGET=nosuch -- qins-instr-count --format f32 --rows 4 --cols 32

echo "cli_robustness: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
