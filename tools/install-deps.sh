#!/usr/bin/env bash
# Installs what libqinskernels needs to build, test and benchmark, from Debian 12
# packages only, and nothing that is already installed. Idempotent: with
# everything present it runs no apt command at all.
#
#   tools/install-deps.sh            native build, tests, benches, tools
#   tools/install-deps.sh --arm64    also the aarch64 cross toolchain, qemu-user
#                                    and the :arm64 libraries (Arm tests)
set -euo pipefail

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

arm64=0
for arg in "$@"; do
  case "$arg" in
    --arm64) arm64=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-deps: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

native=(g++ cmake ninja-build pkg-config git python3 python3-venv python3-pip
        libhwy-dev libtbb-dev libbenchmark-dev libgtest-dev libgmock-dev
        libcpuinfo-dev python3-matplotlib valgrind linux-perf
        clang-14 libclang-rt-14-dev)  # clang: the libFuzzer targets (fuzz preset)
# libcpuinfo-dev:arm64 collides with the amd64 one (a shared CMake file), so
# only the runtime library is installed for arm64; cpuinfo.h is the same file.
cross=(crossbuild-essential-arm64 qemu-user
       libhwy-dev:arm64 libtbb-dev:arm64 libgtest-dev:arm64
       libbenchmark-dev:arm64 libcpuinfo0:arm64)

native_arch=$(dpkg --print-architecture)
# With multiarch, an unqualified name matches every architecture's package:
# qualify native ones (Architecture: all packages answer to their bare name).
installed() {
  local p=$1
  case "$p" in *:*) ;; *)
    if [ "$(dpkg-query -W -f='${Status}' "$p:$native_arch" 2>/dev/null)" = "install ok installed" ]; then
      return 0
    fi ;;
  esac
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${native[@]}"; do installed "$p" || missing+=("$p"); done
need_arch=0
if [ "$arm64" = 1 ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then need_arch=1; fi
  for p in "${cross[@]}"; do installed "$p" || missing+=("$p"); done
fi

if [ "${#missing[@]}" -eq 0 ] && [ "$need_arch" = 0 ]; then
  echo "install-deps: all dependencies present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "install-deps: missing packages and not root (no sudo): ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if [ "$need_arch" = 1 ]; then
  echo "install-deps: adding the arm64 architecture"
  $SUDO dpkg --add-architecture arm64
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
