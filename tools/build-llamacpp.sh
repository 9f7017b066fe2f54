#!/usr/bin/env bash
# Builds a pinned llama.cpp (CPU only, Release) in a cache outside git, for
# generating reference data (tokenizer ids, logits, perplexities) and speed
# comparisons. Not part of the library, its tests or CI; no llama.cpp code
# is ever committed.
#
#   tools/build-llamacpp.sh           fetch + build what is missing, print
#                                     the bin dir
#   tools/build-llamacpp.sh --check   no network, no build: exit 0 if every
#                                     target is built, else 1
#   tools/build-llamacpp.sh --help
#
# Source: the llama.cpp vendored in the sdist of llama-cpp-python==0.3.36
# (`pip download --no-deps --no-binary :all:`), extracted to
# $QINS_CACHE/llama.cpp-0.3.36/src; build in .../build, binaries in
# .../build/bin (QINS_CACHE defaults to ~/.cache/qinskernels).
# Targets: llama-tokenize, llama-simple, llama-completion (this version's
# llama-cli needs the server, which is not built), llama-bench,
# llama-perplexity and llama-debug (--save-logits writes the last token's
# logits); GGML_NATIVE=ON, no CURL, no GPU backends. Built with
# `nice -n 15 ninja -j2`: 926 s on the shared two-core VM (2026-12-06).
# Idempotent: with everything built it only prints the bin dir.
set -euo pipefail

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }

check=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build-llamacpp: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

readonly VERSION=0.3.36
readonly TARGETS=(llama-tokenize llama-simple llama-completion llama-bench
  llama-perplexity llama-debug)
cache=${QINS_CACHE:-$HOME/.cache/qinskernels}
root=$cache/llama.cpp-$VERSION
src=$root/src
build=$root/build
bin=$build/bin

all_built() {
  local t
  for t in "${TARGETS[@]}"; do [ -x "$bin/$t" ] || return 1; done
  [ -f "$root/.built" ]
}

if all_built; then
  echo "$bin"
  exit 0
fi
if [ "$check" = 1 ]; then exit 1; fi

mkdir -p "$root"
if [ ! -f "$src/CMakeLists.txt" ]; then
  tmp=$(mktemp -d "$root/.sdist.XXXXXX")
  echo "build-llamacpp: downloading the llama-cpp-python==$VERSION sdist" >&2
  if ! python3 -m pip download --quiet --disable-pip-version-check --no-deps \
      --no-binary :all: -d "$tmp" "llama-cpp-python==$VERSION" >&2; then
    echo "build-llamacpp: pip download failed (no network?)" >&2
    exit 3
  fi
  tar -xzf "$tmp"/llama_cpp_python-$VERSION.tar.gz -C "$tmp"
  rm -rf "$src"
  mv "$tmp/llama_cpp_python-$VERSION/vendor/llama.cpp" "$src"
  rm -rf "$tmp"
fi

start=$(date +%s)
if [ ! -f "$build/build.ninja" ]; then
  nice -n 15 cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DGGML_CUDA=OFF -DGGML_VULKAN=OFF \
    -DGGML_METAL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF \
    -DBUILD_SHARED_LIBS=OFF >&2
fi
nice -n 15 ninja -C "$build" -j2 "${TARGETS[@]}" >&2
echo "llama-cpp-python $VERSION" > "$root/.built"
echo "build-llamacpp: built in $(($(date +%s) - start)) s" >&2
echo "$bin"
