#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz preset: clang-14 with ASan + UBSan) and
# runs each for a bounded time on a copy of its committed seed corpus
# (tests/fuzz/corpus/<fuzzer>/). A crash, sanitizer report or failed check
# fails the run and leaves the reproducer in build/fuzz/artifacts/<fuzzer>/.
#
#   tools/run-fuzzers.sh [--seconds N] [--runs N] [--jobs N] [FUZZER...]
#     --seconds N  time per fuzzer (default 60)
#     --runs N     stop each fuzzer after N executions instead (e.g. 1000000)
#     --jobs N     fuzzers run at once, one process each (default 1)
#     FUZZER       only these (default: every target in build/fuzz/fuzzers)
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=60 runs="" jobs=1 only=()
num() { [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "run-fuzzers: $1 needs a number" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) num "$1" "${2:-}"; seconds=$2; shift 2 ;;
    --runs) num "$1" "${2:-}"; runs=$2; shift 2 ;;
    --jobs) num "$1" "${2:-}"; jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-fuzzers: unknown option '$1'" >&2; exit 2 ;;
    *) only+=("$1"); shift ;;
  esac
done
[ "$jobs" -ge 1 ] || jobs=1
command -v clang++-14 >/dev/null || { echo "run-fuzzers: clang++-14 missing (tools/install-deps.sh installs it)" >&2; exit 1; }
cmake --preset fuzz >build-fuzz-configure.log 2>&1 || { cat build-fuzz-configure.log; exit 1; }
rm -f build-fuzz-configure.log
cmake --build --preset fuzz || exit 1
[ ${#only[@]} -gt 0 ] || mapfile -t only < <(ls tests/fuzz/corpus)

# Runs one fuzzer; its report goes to build/fuzz/<fuzzer>.summary.
run_one() {
  local f=$1 bin=build/fuzz/tests/fuzz/$1 sum=build/fuzz/$1.summary
  {
    if [ ! -x "$bin" ]; then
      echo "=== $f: FAILED (no such fuzzer)"
      return 1
    fi
    local work=build/fuzz/corpus/$f art=build/fuzz/artifacts/$f/
    mkdir -p "$work" "$art"
    cp -n tests/fuzz/corpus/"$f"/* "$work"/ 2>/dev/null
    local limit=(-max_total_time="$seconds")
    [ -n "$runs" ] && limit=(-runs="$runs")
    if [ -n "$runs" ]; then echo "=== $f ($runs runs)"; else echo "=== $f ($seconds s)"; fi
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$bin" "${limit[@]}" -artifact_prefix="$art" -print_final_stats=1 "$work" \
      >"build/fuzz/$f.log" 2>&1
    local r=$?
    grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::peak_rss_mb|Done [0-9]+ runs" "build/fuzz/$f.log" | tr '\n' ' '; echo
    if [ $r -ne 0 ]; then
      echo "=== $f: FAILED (exit $r); log build/fuzz/$f.log, reproducer in $art"
      tail -30 "build/fuzz/$f.log"
      return 1
    fi
    echo "=== $f: OK"
  } >"$sum" 2>&1
}

rc=0 pids=() names=()
for f in "${only[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  run_one "$f" &
  pids+=($!) names+=("$f")
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || rc=1
  cat "build/fuzz/${names[$i]}.summary"
done
exit $rc
