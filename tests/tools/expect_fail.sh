#!/usr/bin/env bash
# Runs a command that must fail cleanly: exit status in [1, 123] (not 0, not
# timeout's 124, not 128 + a signal), within a time limit, with a stderr line
# matching an extended regular expression.
#
#   expect_fail.sh [--stdout FILE] [--stdin FILE] [--timeout S] REGEX -- CMD...
#
# --stdout sends the command's stdout to FILE (e.g. /dev/full), --stdin
# reads it from FILE. Prints what went wrong and exits 1 otherwise.
set -u
out=/dev/null in=/dev/null limit=60
while [ $# -gt 0 ]; do
  case "$1" in
    --stdout) out=$2; shift 2 ;;
    --stdin) in=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    *) break ;;
  esac
done
regex=$1
shift
[ "${1:-}" = "--" ] && shift
cmd="$*"
err=$(mktemp)
trap 'rm -f "$err"' EXIT
timeout -k 5 "$limit" "$@" <"$in" >"$out" 2>"$err"
rc=$?
fail() {
  echo "expect_fail: $*" >&2
  echo "command: $cmd" >&2
  echo "--- stderr:" >&2
  cat "$err" >&2
  exit 1
}
[ "$rc" -eq 0 ] && fail "exit status 0, expected a failure"
[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && fail "timed out after ${limit} s"
[ "$rc" -ge 128 ] && fail "killed by signal $((rc - 128))"
[ "$rc" -gt 123 ] && fail "exit status $rc"
grep -Eq -- "$regex" "$err" || fail "no stderr line matches '$regex'"
echo "expect_fail: exit $rc, stderr: $(head -c 300 "$err")"
exit 0
