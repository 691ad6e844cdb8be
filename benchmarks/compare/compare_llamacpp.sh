#!/usr/bin/env bash
# LlamaKit against llama.cpp on the same synthetic TinyLlama-1.1B-shaped GGUF files (F16, Q8_0,
# Q4_0, Q4_K_M), the same thread count, in one run: prompt processing of 512 tokens and
# generation of 128, like llama-bench. llama.cpp comes from PyPI's llama-cpp-python, compiled
# for this CPU (GGML_NATIVE) into a cached venv (the first run takes 15–20 minutes), and is timed
# through its C API (llama_decode). The machine's limits (memory bandwidth, FMA and int8 peaks)
# are measured too. Prints a Markdown table; the JSON of every run goes to .cache/.
#
#   bash benchmarks/compare/compare_llamacpp.sh [--threads N] [--reps N] [--types "f16 q8_0 q4_0 q4_k_m"]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="$here/.cache"
threads=2 reps=5 types="f16 q8_0 q4_0 q4_k_m"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --types) types="$2"; shift 2 ;;
    *) echo "usage: $0 [--threads N] [--reps N] [--types LIST]" >&2; exit 2 ;;
  esac
done
mkdir -p "$cache"

venv="$here/.venv-llamacpp"
if ! "$venv/bin/python" -c "import llama_cpp" 2>/dev/null; then
  echo "installing llama-cpp-python 0.3.36 (compiles llama.cpp for this CPU, 15-20 minutes once)" >&2
  python3 -m venv "$venv"
  CMAKE_ARGS="-DGGML_NATIVE=ON" "$venv/bin/pip" install -q "llama-cpp-python==0.3.36"
fi

(cd "$root" && swift build -c release --product llamakit >/dev/null)
(cd "$root/benchmarks" && swift build -c release --product machine-limits >/dev/null)
llamakit="$root/.build/release/llamakit"

run="$cache/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run"
"$root/benchmarks/.build/release/machine-limits" --threads "$threads" --megabytes 2048 > "$run/limits.json"
grep -m1 "model name" /proc/cpuinfo | sed 's/.*: //' > "$run/cpu.txt"
grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|f16c|avx512f|avx512_vnni|avx512_bf16|avx_vnni|avx512_vp2intersect)$' | tr '\n' ' ' >> "$run/cpu.txt"

for type in $types; do
  model="$cache/tinyllama-1.1b-$type.gguf"
  [ -f "$model" ] || "$llamakit" synth --shape tinyllama-1.1b --type "$type" "$model"
  # One run of each tool per repetition, the order alternating, so that the machine's drifts
  # (a shared host) hit both alike; ratios are taken between the runs of one repetition.
  for rep in $(seq 1 "$reps"); do
    ours=("$llamakit" bench "$model" -p 512 -n 128 -t "$threads" -r 1 --json)
    theirs=("$venv/bin/python" "$here/llamacpp_bench.py" "$model" -p 512 -n 128 -t "$threads" -r 1)
    if [ $((rep % 2)) = 1 ]; then
      "${ours[@]}" > "$run/llamakit-$type-$rep.json"
      "${theirs[@]}" 2>/dev/null > "$run/llamacpp-$type-$rep.json"
    else
      "${theirs[@]}" 2>/dev/null > "$run/llamacpp-$type-$rep.json"
      "${ours[@]}" > "$run/llamakit-$type-$rep.json"
    fi
  done
done

python3 - "$run" "$types" "$threads" "$reps" <<'PY'
import json, statistics, sys
run, types, threads, reps = sys.argv[1], sys.argv[2].split(), int(sys.argv[3]), int(sys.argv[4])
limits = json.load(open(f"{run}/limits.json"))
cpu = open(f"{run}/cpu.txt").read().strip()
bandwidth = limits["read_bandwidth_bytes_per_s"]
macs = limits.get("int8_macs_per_s_per_core_avx512_vnni", limits["int8_macs_per_s_per_core_avx2_maddubs"]) * threads
flops = limits.get("fp32_flops_per_s_per_core_avx512", limits["fp32_flops_per_s_per_core_avx2"]) * threads
print(f"CPU: {cpu}; {threads} threads; read bandwidth {bandwidth/1e9:.1f} GB/s; "
      f"FP32 {flops/1e9:.0f} GFLOP/s; int8 {macs/1e9:.0f} GMAC/s ({threads} cores)\n")
print("| type | test | llama.cpp t/s | LlamaKit t/s | ratio (paired) | LlamaKit limit t/s | of limit |")
print("|---|---|---:|---:|---:|---:|---:|")
def spread(xs): return statistics.stdev(xs) if len(xs) > 1 else 0
for t in types:
    k = [json.load(open(f"{run}/llamakit-{t}-{r}.json")) for r in range(1, reps + 1)]
    c = [json.load(open(f"{run}/llamacpp-{t}-{r}.json")) for r in range(1, reps + 1)]
    for test in ("pp", "tg"):
        ks = [x[f"{test}_tokens_per_s"] for x in k]
        cs = [x[f"{test}_tokens_per_s"] for x in c]
        km, cm = statistics.median(ks), statistics.median(cs)
        paired = statistics.median(a / b for a, b in zip(ks, cs))
        if test == "tg":
            limit = bandwidth / k[0]["weight_bytes_per_token"]
        else:
            peak = flops / 2 if t == "f16" else macs
            per_token = k[0]["layer_macs_per_token"] + k[0]["output_macs"] / k[0]["pp_tokens"]
            limit = peak / per_token
        print(f"| {t.upper()} | {test}{k[0][f'{test}_tokens']} | {cm:.1f} ± {spread(cs):.1f} "
              f"| {km:.1f} ± {spread(ks):.1f} | {paired:.2f}× | {limit:.0f} | {km/limit:.0%} |")
print(f"\n(medians of {reps} alternating runs; ratio = median of the per-repetition ratios; JSON in {run})")
PY
