#!/usr/bin/env bash
# Time and peak memory of `llamakit inspect` on a generated 2 GB GGUF file (a LLaMA-7B-shaped
# model cut to 4 layers, F16, zero weights written out in full — not a sparse file). Opening
# must map the file without reading tensor data: well under a second, peak RSS under 100 MB.
#
#   bash benchmarks/compare/inspect_large_gguf.sh [--runs N]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="$here/.cache"
runs=5
[ "${1:-}" = "--runs" ] && runs="$2"
mkdir -p "$cache"
file="$cache/large-7b-4layers.F16.gguf"
if [ ! -f "$file" ]; then
  python3 - "$file" <<'PY'
import struct, sys
path = sys.argv[1]
dim, ffn, layers, vocab, heads = 4096, 11008, 4, 32000, 32
def string(s):
    b = s.encode(); return struct.pack("<Q", len(b)) + b
kv = [("general.architecture", 8, string("llama")), ("llama.context_length", 4, struct.pack("<I", 4096)),
      ("llama.embedding_length", 4, struct.pack("<I", dim)), ("llama.block_count", 4, struct.pack("<I", layers)),
      ("llama.feed_forward_length", 4, struct.pack("<I", ffn)), ("llama.attention.head_count", 4, struct.pack("<I", heads)),
      ("llama.attention.head_count_kv", 4, struct.pack("<I", heads)),
      ("llama.attention.layer_norm_rms_epsilon", 6, struct.pack("<f", 1e-5))]
tensors = [("token_embd.weight", [dim, vocab], 1)]
for i in range(layers):
    tensors += [(f"blk.{i}.attn_norm.weight", [dim], 0)] + [(f"blk.{i}.attn_{n}.weight", [dim, dim], 1) for n in "qkv"]
    tensors += [(f"blk.{i}.attn_output.weight", [dim, dim], 1), (f"blk.{i}.ffn_norm.weight", [dim], 0),
                (f"blk.{i}.ffn_gate.weight", [dim, ffn], 1), (f"blk.{i}.ffn_up.weight", [dim, ffn], 1),
                (f"blk.{i}.ffn_down.weight", [ffn, dim], 1)]
tensors += [("output_norm.weight", [dim], 0), ("output.weight", [dim, vocab], 1)]
head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
for k, t, v in kv:
    head += string(k) + struct.pack("<I", t) + v
offset, sizes = 0, []
for name, ne, t in tensors:
    size = (4 if t == 0 else 2)
    for n in ne: size *= n
    head += string(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne) + struct.pack("<IQ", t, offset)
    sizes.append(size)
    offset += (size + 31) // 32 * 32
head += b"\0" * ((32 - len(head) % 32) % 32)
chunk = b"\0" * (1 << 24)
with open(path, "wb") as f:
    f.write(head)
    for size in sizes:
        padded = (size + 31) // 32 * 32
        while padded > 0:
            n = min(padded, len(chunk)); f.write(chunk[:n]); padded -= n
print(f"wrote {path}")
PY
fi
(cd "$root" && swift build -c release --product llamakit >/dev/null)
tool="$root/.build/release/llamakit"
size=$(stat -c %s "$file")
echo "file: $file ($size bytes); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for mode in "" "--json" "--tensors"; do
  times=(); rss=()
  for _ in $(seq "$runs"); do
    out=$( { /usr/bin/time -f "%e %M" "$tool" inspect "$file" $mode > /dev/null; } 2>&1 | tail -1)
    times+=("$(echo "$out" | cut -d' ' -f1)"); rss+=("$(echo "$out" | cut -d' ' -f2)")
  done
  median_t=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  median_r=$(printf '%s\n' "${rss[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  echo "inspect ${mode:-(text)}: median ${median_t} s, peak RSS median $((median_r / 1024)) MB over $runs runs"
done
