#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz preset: clang-14 with ASan + UBSan) and
# runs each for a bounded time on a copy of its committed seed corpus
# (tests/fuzz/corpus/<fuzzer>/). A crash, sanitizer report or failed check
# fails the run and leaves the reproducer in build/fuzz/artifacts/<fuzzer>/.
#
#   tools/run-fuzzers.sh [--seconds N] [--runs N] [--jobs N] [FUZZER...]
#     --seconds N  time per fuzzer (default 60)
#     --runs N     stop each fuzzer after N executions instead (e.g. 1000000)
#     FUZZER       only these (default: every target in build/fuzz/fuzzers)
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=60 runs="" only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-fuzzers: unknown option '$1'" >&2; exit 2 ;;
    *) only+=("$1"); shift ;;
  esac
done
command -v clang++-14 >/dev/null || { echo "run-fuzzers: clang++-14 missing (tools/install-deps.sh installs it)" >&2; exit 1; }
cmake --preset fuzz >build-fuzz-configure.log 2>&1 || { cat build-fuzz-configure.log; exit 1; }
rm -f build-fuzz-configure.log
cmake --build --preset fuzz || exit 1
[ ${#only[@]} -gt 0 ] || mapfile -t only < <(ls tests/fuzz/corpus)
rc=0
for f in "${only[@]}"; do
  bin=build/fuzz/tests/fuzz/$f
  [ -x "$bin" ] || { echo "run-fuzzers: no fuzzer '$f'" >&2; rc=1; continue; }
  work=build/fuzz/corpus/$f art=build/fuzz/artifacts/$f/
  mkdir -p "$work" "$art"
  cp -n tests/fuzz/corpus/"$f"/* "$work"/ 2>/dev/null
  limit=(-max_total_time="$seconds")
  [ -n "$runs" ] && limit=(-runs="$runs")
  echo "=== $f (${runs:+$runs runs}${runs:-$seconds s})"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" "${limit[@]}" -artifact_prefix="$art" -print_final_stats=1 "$work" \
    >"build/fuzz/$f.log" 2>&1
  r=$?
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|Done [0-9]+ runs" "build/fuzz/$f.log" | tr '\n' ' '; echo
  if [ $r -ne 0 ]; then
    echo "=== $f: FAILED (exit $r); log build/fuzz/$f.log, reproducer in $art"
    tail -30 "build/fuzz/$f.log"
    rc=1
  else
    echo "=== $f: OK"
  fi
done
exit $rc
