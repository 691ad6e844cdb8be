#!/usr/bin/env bash
# LlamaKit's llama.cpp-compatible perplexity modes against llama.cpp's own llama-perplexity
# (built here from the llama.cpp tree vendored in the llama-cpp-python 0.3.36 sdist, commit
# 0c1e570, with cmake and ninja from PyPI; about 10 minutes once):
#   1. KL divergence: llama-perplexity writes a --kl-divergence-base file from M0's F16 GGUF;
#      `llamakit perplexity --kl-divergence` compares M0's Q4_K_M with it, and llama-perplexity
#      compares the same model with a base file LlamaKit wrote (each tool reads the other's).
#   2. HellaSwag: llama-perplexity --hellaswag over all tasks of DATA/hellaswag/hellaswag_val_full.txt(.bz2)
#      against `llamakit eval --tasks hellaswag_llamacpp` (over all tasks the order llama.cpp
#      draws them in does not matter).
#
#   bash benchmarks/compare/check_llamacpp_perplexity.sh [DATA]   (default: the bundled 20 HellaSwag tasks)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${1:-$root/Tests/Fixtures/benchmarks}"
venv="$here/.venv-llamacpp"
cache="$here/.cache"
mkdir -p "$cache"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import cmake, ninja, scikit_build_core" 2>/dev/null || "$venv/bin/pip" install -q cmake ninja scikit-build-core
tree="$cache/llama_cpp_python-0.3.36/vendor/llama.cpp"
tool="$tree/build/bin/llama-perplexity"
if [ ! -x "$tool" ]; then
  (cd "$cache" && "$venv/bin/pip" download -q --no-deps --no-build-isolation --no-binary llama-cpp-python "llama-cpp-python==0.3.36" -d . \
    && tar xzf llama_cpp_python-0.3.36.tar.gz)
  "$venv/bin/cmake" -S "$tree" -B "$tree/build" -G Ninja -DCMAKE_MAKE_PROGRAM="$venv/bin/ninja" -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
  "$venv/bin/cmake" --build "$tree/build" --target llama-perplexity -j2 >/dev/null
fi
(cd "$root" && swift build -c release --product llamakit >/dev/null)
llamakit="$root/.build/release/llamakit"
m0="$root/Tests/Fixtures/models/m0/gguf"
text="$root/Tests/Fixtures/corpora/wiki.test.raw.head"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== KL divergence of M0 Q4_K_M against M0 F16, n_ctx 128, the bundled WikiText head"
"$tool" -m "$m0/m0.F16.gguf" -f "$text" -c 128 -t 2 --kl-divergence-base "$work/base.llamacpp" >/dev/null 2>&1
"$llamakit" perplexity "$m0/m0.F16.gguf" -f "$text" --ctx 128 --kl-divergence-base "$work/base.llamakit" >/dev/null
cmp -s <(head -c $((20 + 4 * 128 * 67)) "$work/base.llamacpp") <(head -c $((20 + 4 * 128 * 67)) "$work/base.llamakit") \
  && echo "headers and tokens of the two base files: identical" || echo "headers and tokens of the two base files: DIFFER"
echo "llama-perplexity, its own base:";   "$tool" -m "$m0/m0.Q4_K_M.gguf" -f "$text" -c 128 -t 2 --kl-divergence-base "$work/base.llamacpp" --kl-divergence 2>&1 | grep -E "^(Mean    KLD|Same top p|Mean PPL\(Q\) )"
echo "llama-perplexity, LlamaKit's base:"; "$tool" -m "$m0/m0.Q4_K_M.gguf" -f "$text" -c 128 -t 2 --kl-divergence-base "$work/base.llamakit" --kl-divergence 2>&1 | grep -E "^(Mean    KLD|Same top p|Mean PPL\(Q\) )"
echo "llamakit, llama.cpp's base:";        "$llamakit" perplexity "$m0/m0.Q4_K_M.gguf" --kl-divergence-base "$work/base.llamacpp" --kl-divergence | grep -E "^(Mean    KLD|Same top p|Mean PPL\(Q\) )"

echo "== HellaSwag (llama.cpp's scoring), M0 F16, all tasks of $data/hellaswag"
plain="$data/hellaswag/hellaswag_val_full.txt"
if [ -f "$plain" ]; then cp "$plain" "$work/hs.txt"; else bzcat "$plain.bz2" > "$work/hs.txt"; fi
tasks=$(( $(wc -l < "$work/hs.txt") / 6 ))
"$tool" -m "$m0/m0.F16.gguf" -f "$work/hs.txt" --hellaswag --hellaswag-tasks "$tasks" -t 2 2>&1 | grep -E '^[0-9]+[[:space:]]' | tail -1 \
  | awk '{print "llama-perplexity: " $2 " of " $1 " tasks " $3 " " $4}'
"$llamakit" eval "$m0/m0.F16.gguf" --tasks hellaswag_llamacpp --data "$data" --max-length 512 2>/dev/null | grep hellaswag_llamacpp   # llama-perplexity's default -c 512
