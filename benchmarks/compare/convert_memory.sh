#!/usr/bin/env bash
# Peak memory and time of `llamakit convert` on a TinyLlama-1.1B-shaped F16 GGUF (2.2 GB,
# `llamakit synth`, random weights): to Q4_0 GGUF and to safetensors shards of 500 MB. The
# conversion streams from the mapped source and gives each tensor's pages back after use, so the
# peak resident size must stay under 2 × the largest tensor + 200 MB (largest: the 32000 × 2048
# F16 embedding, 131 MB → bound 462 MB). Prints the median of N runs (peak RSS from getrusage).
#
#   bash benchmarks/compare/convert_memory.sh [--runs N]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs=3
[ "${1:-}" = "--runs" ] && runs="$2"
(cd "$root" && swift build -c release --product llamakit >/dev/null)
llamakit="$root/.build/release/llamakit"
mkdir -p "$here/.cache"
source_file="$here/.cache/tinyllama-1.1b.F16.gguf"
[ -f "$source_file" ] || "$llamakit" synth --shape tinyllama-1.1b --type f16 "$source_file"
out="$(mktemp -d "$here/.cache/convert-XXXXXX")"
trap 'rm -rf "$out"' EXIT
echo "CPU: $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed "s/^ //"), $(nproc) threads, AVX-512: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
python3 - "$llamakit" "$source_file" "$out" "$runs" <<'PY'
import os, resource, statistics, subprocess, sys, time, shutil
llamakit, source, out, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
largest = 32000 * 2048 * 2
bound = 2 * largest + 200 * 10**6
jobs = [("Q4_0 GGUF", [source, f"{out}/model.Q4_0.gguf", "--type", "q4_0", "--force"]),
        ("safetensors, 500 MB shards", [source, f"{out}/hf", "--to", "safetensors", "--max-shard-size", "500MB", "--force"])]
failed = False
for label, arguments in jobs:
    peaks, seconds = [], []
    for _ in range(runs):
        pid = os.fork()
        if pid == 0:
            os.execv(llamakit, [llamakit, "convert", *arguments])
        start = time.perf_counter()
        _, status, usage = os.wait4(pid, 0)
        seconds.append(time.perf_counter() - start)
        if status != 0:
            sys.exit(f"{label}: llamakit convert failed")
        peaks.append(usage.ru_maxrss * 1024)
    peak = statistics.median(peaks)
    ok = peak < bound
    failed |= not ok
    print(f"{label:28s} peak RSS {peak / 1e6:7.1f} MB (bound {bound / 1e6:.0f} MB) {'ok' if ok else 'OVER'}   time {statistics.median(seconds):6.2f} s   (median of {runs})")
sys.exit(1 if failed else 0)
PY
