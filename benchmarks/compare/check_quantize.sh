#!/usr/bin/env bash
# Are LlamaKit's quantized GGUF files llama-quantize's, tensor by tensor? For each type, runs
# llama.cpp's own quantizer (`llama_model_quantize` through llama-cpp-python 0.3.36, llama.cpp
# commit 0c1e570 — the one the reference files were made with) on LlamaKit's F32 conversion of
# a Hugging Face folder (default: the bundled M0), then compares every tensor's type and bytes
# with `llamakit convert HF --type TYPE` (gguf-py reads both files).
#
#   bash benchmarks/compare/check_quantize.sh [HF_FOLDER]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source_folder="${1:-$root/Tests/Fixtures/models/m0/hf}"
venv="$here/.venv-llamacpp"
if ! "$venv/bin/python" -c "import llama_cpp" 2>/dev/null; then
  echo "installing llama-cpp-python 0.3.36 (compiles llama.cpp for this CPU, 15-20 minutes once)" >&2
  python3 -m venv "$venv"
  CMAKE_ARGS="-DGGML_NATIVE=ON" "$venv/bin/pip" install -q "llama-cpp-python==0.3.36"
fi
"$venv/bin/python" -c "import gguf" 2>/dev/null || "$venv/bin/pip" install -q gguf
(cd "$root" && swift build -c release --product llamakit >/dev/null)
llamakit="$root/.build/release/llamakit"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$llamakit" convert "$source_folder" "$out/model.F32.gguf" --type f32 >/dev/null
# llama_ftype numbers (llama.h)
types="q8_0:7 q4_0:2 q4_1:3 q5_0:8 q5_1:9 iq4_nl:25 q2_k:10 q3_k_m:12 q4_k_m:15 q5_k_m:17 q6_k:18"
for entry in $types; do
  type="${entry%%:*}"
  "$llamakit" convert "$source_folder" "$out/ours.$type.gguf" --type "$type" >/dev/null
done
"$venv/bin/python" - "$out" "$types" <<'PY'
import ctypes, os, sys
import llama_cpp
from gguf import GGUFReader
out, types = sys.argv[1], sys.argv[2].split()
quiet = llama_cpp.llama_log_callback(lambda level, text, data: None)  # kept alive: llama.cpp calls it later
llama_cpp.llama_log_set(quiet, ctypes.c_void_p(0))
failures = 0
for entry in types:
    name, ftype = entry.split(":")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype, params.nthread = int(ftype), 2
    theirs_path = os.path.join(out, f"llamacpp.{name}.gguf")
    if llama_cpp.llama_model_quantize(os.path.join(out, "model.F32.gguf").encode(), theirs_path.encode(), ctypes.byref(params)) != 0:
        sys.exit(f"llama_model_quantize failed for {name}")
    theirs = {t.name: (t.tensor_type.name, bytes(t.data)) for t in GGUFReader(theirs_path).tensors}
    ours = {t.name: (t.tensor_type.name, bytes(t.data)) for t in GGUFReader(os.path.join(out, f"ours.{name}.gguf")).tensors}
    differing = [k for k in theirs if ours.get(k) != theirs[k]] + [k for k in ours if k not in theirs]
    kinds = ", ".join(f"{k} {n}" for k, n in sorted({v[0]: sum(1 for w in theirs.values() if w[0] == v[0]) for v in theirs.values()}.items()))
    print(f"{name:7s} {len(theirs) - len(differing):3d} of {len(theirs)} tensors byte-identical to llama-quantize ({kinds})"
          + (f"; differ: {', '.join(differing)}" if differing else ""))
    failures += bool(differing)
sys.exit(1 if failures else 0)
PY
