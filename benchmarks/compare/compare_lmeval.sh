#!/usr/bin/env bash
# Evaluation throughput against lm-evaluation-harness (PyPI lm_eval 0.4.13 with torch on CPU, the
# hf backend) on the same model, task documents and thread count, in one run: ARC-Easy and
# HellaSwag, items (documents) per second. lm-eval is timed from after its model is loaded
# (simple_evaluate only); LlamaKit's time is the whole `llamakit eval` command, loading included.
# Medians of --reps runs.
#
#   bash benchmarks/compare/compare_lmeval.sh --model HF_FOLDER --data DATA [--limit 200] [--threads 2] [--reps 3]
#
# DATA is a --data folder with arc/ARC-Easy/ARC-Easy-Test.jsonl and
# hellaswag/hellaswag_val_full.txt(.bz2) (llama.cpp's text form: its tasks are written out in
# the original hellaswag_val.jsonl schema, activity label and context split at the first ": ",
# so that both tools read the same documents). Installs lm_eval, torch and transformers into
# .venv-torch (several GB).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
model="$root/Tests/Fixtures/models/m0/hf"; data="$root/Tests/Fixtures/benchmarks"; limit=200; threads=2; reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --limit) limit="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    *) echo "usage: $0 [--model HF_FOLDER] [--data DATA] [--limit N] [--threads N] [--reps N]" >&2; exit 2 ;;
  esac
done
venv="$here/.venv-torch"
if ! "$venv/bin/python" -c "import lm_eval, torch, transformers, accelerate" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "lm_eval==0.4.13" torch transformers sentencepiece protobuf accelerate
fi
(cd "$root" && swift build -c release --product llamakit >/dev/null)
llamakit="$root/.build/release/llamakit"
work="$(mktemp -d "$here/.cache-lmeval-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/arc/ARC-Easy" "$work/hellaswag"
cp "$data/arc/ARC-Easy/ARC-Easy-Test.jsonl" "$work/arc/ARC-Easy/"
python3 - "$data" "$work/hellaswag/hellaswag_val.jsonl" "$limit" <<'PY'
import bz2, json, os, sys
data, out, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
path = os.path.join(data, "hellaswag", "hellaswag_val_full.txt")
text = open(path, encoding="utf-8").read() if os.path.exists(path) else bz2.open(path + ".bz2", "rt", encoding="utf-8").read()
lines = text.split("\n")
with open(out, "w", encoding="utf-8") as f:
    for t in range(min(limit, len(lines) // 6)):
        context, label, endings = lines[6 * t], int(lines[6 * t + 1]), lines[6 * t + 2: 6 * t + 6]
        activity, _, ctx = context.partition(": ")
        f.write(json.dumps({"ind": t, "activity_label": activity, "ctx_a": ctx, "ctx_b": "", "ctx": ctx, "split": "val",
                            "split_type": "indomain", "label": label, "endings": endings, "source_id": "llama.cpp text"}) + "\n")
PY
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), AVX-512: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no), $threads threads"
echo "model: $model; $limit documents per task; medians of $reps runs"
for task in arc_easy hellaswag; do
  ours=(); theirs=()
  for _ in $(seq "$reps"); do
    start=$(date +%s.%N)
    "$llamakit" eval "$model" --tasks "$task" --data "$work" --limit "$limit" --threads "$threads" > "$work/ours.txt" 2>/dev/null
    end=$(date +%s.%N)
    ours+=("$(python3 -c "print($limit / ($end - $start))")")
    line=$(LLAMAKIT_EVAL_DATA="$work" "$venv/bin/python" "$here/lmeval/time_lmeval.py" "$model" "$task" "$limit" "$threads" 2>/dev/null | tail -1)
    theirs+=("$(echo "$line" | python3 -c "import json,sys; print(json.load(sys.stdin)['items_per_second'])")")
  done
  python3 - "$task" "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
task, ours, theirs = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
a, b = statistics.median(ours), statistics.median(theirs)
print(f"{task:10s} llamakit {a:8.1f} items/s   lm-eval {b:8.1f} items/s   ratio {a / b:5.1f}x")
PY
  grep -E "^\|$task" "$work/ours.txt" | head -2
  echo "lm-eval: $(echo "$line" | python3 -c "import json,sys; print(json.load(sys.stdin)['metrics'])")"
done
