#!/usr/bin/env bash
# Checks that an installed libqinskernels is usable by a downstream project:
# installs a main build into a temporary prefix, then configures, builds and
# runs tests/consumer against it once per consumer mode, and builds and runs
# qins-run from the repository's runner sources against it. See --help.
set -euo pipefail

ALL_MODES=(cmake-shared cmake-static pkgconfig pkgconfig-static)

usage() {
  cat <<EOF
Usage: tools/check-consumer.sh [options] [BUILD_DIR]

Installs BUILD_DIR (a configured and built main build; default
<repo>/build/release) with 'cmake --install BUILD_DIR --prefix <tmp>', then
configures, builds and runs tests/consumer against <tmp> in each mode:

  cmake-shared      find_package(qinskernels), qinskernels::qinskernels
  cmake-static      find_package(qinskernels), qinskernels::qinskernels_static
  pkgconfig         pkg_check_modules(... IMPORTED_TARGET qinskernels)
  pkgconfig-static  pkg-config --static flags, libqinskernels.a

The cmake modes get CMAKE_PREFIX_PATH=<tmp>; the pkg-config modes get
PKG_CONFIG_PATH=<tmp>/<libdir>/pkgconfig, and their binaries run with
LD_LIBRARY_PATH=<tmp>/<libdir> (a pkg-config link line carries no RPATH).
Each binary must print "consumer OK"; shared modes must load libqinskernels
from <tmp>, static modes must not depend on libqinskernels.so at all.

In the cmake-shared mode the consumer project also builds qins-run from the
repository's runner sources (tools/runner, tools/qins_run.cc; copied, so that
only the installed public headers can be included) against the installed
shared library, and runs

  qins-run generate --model models/kjv1M.bin --tokenizer models/kjv1M_tok.bin
           --prompt "In the beginning" --temp 0 -n 16

which must exit 0, print text that starts with the prompt and goes on, and
load libqinskernels from <tmp>. That check has its own line,
"qins-run (cmake-shared)".

Prints one line per check (the log of a failing step goes to stderr) and
exits 0 if all pass, 1 if any fails, 2 on a usage or setup error. It does not
build BUILD_DIR: run 'cmake --build --preset release' first. Builds use -j2.

Options:
  -m, --mode MODE   run only MODE (repeatable; default: all four)
  --no-runner       do not build and run qins-run
  -k, --keep        keep the temporary directory and print its path
  -h, --help        show this help
EOF
}

die() {
  echo "check-consumer: $*" >&2
  exit 2
}

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo_root=$(cd -- "$script_dir/.." && pwd -P)
consumer_src=$repo_root/tests/consumer
# The consumer mode that also builds and runs qins-run.
RUNNER_MODE=cmake-shared

modes=()
keep=0
runner=1
build_dir=
while (($# > 0)); do
  case $1 in
    -h | --help)
      usage
      exit 0
      ;;
    -k | --keep) keep=1 ;;
    --no-runner) runner=0 ;;
    -m | --mode)
      (($# >= 2)) || die "$1 needs an argument"
      modes+=("$2")
      shift
      ;;
    --mode=*) modes+=("${1#--mode=}") ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *)
      [[ -z $build_dir ]] || die "only one BUILD_DIR may be given"
      build_dir=$1
      ;;
  esac
  shift
done
((${#modes[@]} > 0)) || modes=("${ALL_MODES[@]}")
for m in "${modes[@]}"; do
  [[ " ${ALL_MODES[*]} " == *" $m "* ]] ||
    die "unknown mode '$m' (expected one of: ${ALL_MODES[*]})"
done

# A relative BUILD_DIR is taken from the current directory; the default is in
# the repository.
build_dir=${build_dir:-$repo_root/build/release}
[[ -d $build_dir ]] || die "no build directory '$build_dir'"
build_dir=$(cd -- "$build_dir" && pwd -P)
cache=$build_dir/CMakeCache.txt
[[ -f $cache ]] || die "'$build_dir' is not a configured CMake build (no CMakeCache.txt)"

cache_value() { # NAME -> value from the main build's cache, or empty
  sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n 1
}
[[ -z $(cache_value CMAKE_TOOLCHAIN_FILE) ]] ||
  die "'$build_dir' is a cross build; the consumer check runs only native builds"
libdir=$(cache_value CMAKE_INSTALL_LIBDIR)
libdir=${libdir:-lib}
[[ $libdir != /* ]] || die "CMAKE_INSTALL_LIBDIR is absolute ($libdir); cannot relocate"
cxx=$(cache_value CMAKE_CXX_COMPILER)

for tool in cmake pkg-config readelf ldd; do
  command -v "$tool" >/dev/null || die "'$tool' not found"
done
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qins-consumer.XXXXXX")
# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
  if ((keep)); then
    echo "check-consumer: kept $tmp" >&2
  else
    rm -rf -- "$tmp"
  fi
}
trap cleanup EXIT

prefix=$tmp/prefix
install_log=$tmp/install.log
if ! cmake --install "$build_dir" --prefix "$prefix" >"$install_log" 2>&1; then
  echo "FAIL  install  cmake --install $build_dir --prefix $prefix" >&2
  cat "$install_log" >&2
  exit 1
fi
echo "installed $build_dir -> <tmp>/prefix"

# loads_installed_library EXE [VAR=VALUE...]: whether EXE, run with the given
# environment, loads libqinskernels.so.0 from <tmp>/prefix; ldd's output goes
# to $log. (ldd is not piped into `grep -q`: under pipefail, grep exiting at
# the first match can kill ldd with SIGPIPE and fail the pipeline.)
loads_installed_library() {
  local exe=$1 deps
  shift
  deps=$(env "$@" ldd "$exe" 2>&1) || true
  echo "$deps" >>"$log"
  grep -q "libqinskernels\.so\.0 => $prefix/$libdir/libqinskernels\.so\.0 " \
    <<<"$deps"
}

# run_mode MODE LOG: configures, builds, runs and inspects one consumer; on
# failure prints the reason and returns 1. Sets `result` to the program output.
run_mode() {
  local mode=$1 log=$2
  local bin_dir=$tmp/build-$mode
  local -a env_vars=() cfg=("${generator[@]}" -S "$consumer_src" -B "$bin_dir"
    -DCMAKE_BUILD_TYPE=Release "-DQINS_CONSUMER_MODE=$mode")
  [[ -z $cxx ]] || cfg+=("-DCMAKE_CXX_COMPILER=$cxx")
  if ((runner)) && [[ $mode == "$RUNNER_MODE" ]]; then
    cfg+=("-DQINS_CONSUMER_RUNNER_SOURCES=$repo_root/tools")
  fi
  if [[ $mode == cmake-* ]]; then
    cfg+=("-DCMAKE_PREFIX_PATH=$prefix")
  else
    env_vars+=("PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig"
      "LD_LIBRARY_PATH=$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
  fi

  step="configure"
  env "${env_vars[@]}" cmake "${cfg[@]}" >>"$log" 2>&1 || return 1
  if [[ $mode == cmake-* ]]; then
    step="configure: qinskernels_DIR is not <tmp>/prefix"
    grep -qx "qinskernels_DIR:PATH=$prefix/$libdir/cmake/qinskernels" \
      "$bin_dir/CMakeCache.txt" || return 1
  else
    step="configure: pkg-config prefix is not <tmp>/prefix"
    local pc_prefix
    pc_prefix=$(sed -n 's/^QINS_PREFIX:INTERNAL=//p' "$bin_dir/CMakeCache.txt")
    [[ -n $pc_prefix && $(realpath -m -- "$pc_prefix") == "$prefix" ]] ||
      return 1
  fi

  step="build"
  env "${env_vars[@]}" cmake --build "$bin_dir" -j2 --target qins_consumer \
    >>"$log" 2>&1 || return 1

  local exe=$bin_dir/qins_consumer
  step="run"
  local rc=0
  result=$(env "${env_vars[@]}" "$exe" 2>>"$log") || rc=$?
  echo "$result" >>"$log"
  if ((rc != 0)); then
    step="run: exit status $rc"
    return 1
  fi
  step="run: no \"consumer OK\""
  [[ $result == *"consumer OK"* ]] || return 1

  local needed
  needed=$(readelf -d "$exe" | grep -c 'NEEDED.*\[libqinskernels\.so' || true)
  if [[ $mode == *-static ]]; then
    step="link: depends on libqinskernels.so"
    ((needed == 0)) || return 1
  else
    step="link: does not load <tmp>/prefix/$libdir/libqinskernels.so.0"
    loads_installed_library "$exe" "${env_vars[@]}" || return 1
  fi
}

# run_runner MODE LOG: builds qins-run in MODE's configured consumer build,
# runs it on kjv1M and checks that it loads the installed library; on failure
# prints the reason and returns 1. Sets `result` to the generated text.
run_runner() {
  local mode=$1 log=$2
  local bin_dir=$tmp/build-$mode
  step="build qins-run"
  cmake --build "$bin_dir" -j2 --target qins-run >>"$log" 2>&1 || return 1
  local exe=$bin_dir/qins-run
  local prompt="In the beginning"
  local -a cmd=("$exe" generate --model "$repo_root/models/kjv1M.bin"
    --tokenizer "$repo_root/models/kjv1M_tok.bin" --prompt "$prompt"
    --temp 0 -n 16)
  echo "+ ${cmd[*]}" >>"$log"
  step="run qins-run"
  local rc=0
  result=$("${cmd[@]}" 2>>"$log") || rc=$?
  echo "$result" >>"$log"
  if ((rc != 0)); then
    step="run qins-run: exit status $rc"
    return 1
  fi
  step="run qins-run: the text does not start with \"$prompt\" and go on"
  result=${result%%$'\n'*}
  [[ $result == "$prompt"?* ]] || return 1
  step="link: qins-run does not load <tmp>/prefix/$libdir/libqinskernels.so.0"
  loads_installed_library "$exe" || return 1
}

failed=0
for mode in "${modes[@]}"; do
  log=$tmp/$mode.log
  : >"$log"
  result=
  step=
  if run_mode "$mode" "$log"; then
    printf 'PASS  %-16s  %s\n' "$mode" "$result"
  else
    printf 'FAIL  %-16s  %s\n' "$mode" "$step"
    {
      echo "---- $mode: log ($step) ----"
      tail -n 40 "$log"
      echo "----"
    } >&2
    failed=1
  fi
  if ((runner)) && [[ $mode == "$RUNNER_MODE" ]]; then
    name="qins-run ($mode)"
    if [[ ! -f $tmp/build-$mode/CMakeCache.txt ]]; then
      printf 'FAIL  %-16s  %s\n' "$name" "not configured (see $mode)"
      failed=1
      continue
    fi
    log=$tmp/$mode-qins-run.log
    : >"$log"
    result=
    step=
    if run_runner "$mode" "$log"; then
      printf 'PASS  %-16s  %s\n' "$name" "$result"
    else
      printf 'FAIL  %-16s  %s\n' "$name" "$step"
      {
        echo "---- $name: log ($step) ----"
        tail -n 40 "$log"
        echo "----"
      } >&2
      failed=1
    fi
  fi
done
exit "$failed"
