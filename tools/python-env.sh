#!/usr/bin/env bash
# Creates (once) and prints the path of the Python interpreter of the
# project's test oracles: a virtual environment outside the repository with
# llama.cpp's `gguf` package (gguf-py, the reference GGUF reader/writer and
# ggml (de)quantizer) and numpy, at pinned versions. The library never needs
# it; tools that write fixtures or compare against gguf-py do.
#
#   tools/python-env.sh            prints .../bin/python, creating the venv
#                                  on first use (about 20 s, needs PyPI)
#   tools/python-env.sh --check    exit 0 if the venv exists with the pinned
#                                  versions, 1 otherwise (no network)
#
# Location: $QINS_CACHE/py-oracle (QINS_CACHE defaults to
# ~/.cache/qinskernels). The interpreter is python3 from PATH.
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

# Pinned: gguf 0.19.0 is llama.cpp's gguf-py as published on PyPI; numpy is
# the last release that gguf 0.19.0 supports on Python 3.11.
readonly PINS=("gguf==0.19.0" "numpy==1.26.4")

check=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "python-env: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

cache=${QINS_CACHE:-$HOME/.cache/qinskernels}
venv=$cache/py-oracle
py=$venv/bin/python
stamp=$venv/.pins

pins_ok() {
  [ -x "$py" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${PINS[*]}" ]
}

if pins_ok; then
  echo "$py"
  exit 0
fi
if [ "$check" = 1 ]; then exit 1; fi

echo "python-env: creating $venv with ${PINS[*]}" >&2
mkdir -p "$cache"
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$py" -m pip install --quiet --disable-pip-version-check "${PINS[@]}" >&2
echo "${PINS[*]}" > "$stamp"
echo "$py"
