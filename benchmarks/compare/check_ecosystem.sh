#!/usr/bin/env bash
# Do the ecosystem's own tools accept LlamaKit's conversions? Converts a Hugging Face folder
# (default: the bundled M0) to every layout with the release build of `llamakit`, then loads the
# results with gguf-py, safetensors, torch.load(weights_only=True / mmap=True) and transformers'
# LlamaForCausalLM, and compares tensors and logits with the source (check_ecosystem.py).
# Installs torch (CPU), transformers, safetensors, gguf and numpy from PyPI into .venv-torch
# (several GB with torch's CUDA wheels).
#
#   bash benchmarks/compare/check_ecosystem.sh [HF_FOLDER]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source_folder="${1:-$root/Tests/Fixtures/models/m0/hf}"
venv="$here/.venv-torch"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch transformers safetensors gguf numpy sentencepiece
fi
(cd "$root" && swift build -c release --product llamakit >/dev/null)
llamakit="$root/.build/release/llamakit"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$llamakit" convert "$source_folder" "$out/model.F16.gguf" --type f16
"$llamakit" convert "$source_folder" "$out/model.Q8_0.gguf" --type q8_0
"$llamakit" convert "$source_folder" "$out/hf-safetensors" --to safetensors --max-shard-size 2MB
"$llamakit" convert "$source_folder" "$out/hf-pytorch" --to pytorch
"$llamakit" convert "$source_folder" "$out/meta" --to meta --shards 2
mkdir -p "$out/llama2c" && "$llamakit" convert "$source_folder" "$out/llama2c/model.bin"
echo "versions: $("$venv/bin/python" -c 'import torch, transformers, safetensors, gguf; print("torch", torch.__version__, "transformers", transformers.__version__, "safetensors", safetensors.__version__)')"
"$venv/bin/python" "$here/check_ecosystem.py" "$source_folder" "$out"
