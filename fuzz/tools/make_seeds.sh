#!/usr/bin/env bash
# Makes the seed corpora (fuzz/seeds/<target>/): a tiny LLaMA model (hidden 8, one layer,
# M0's 512-piece tokenizer) written by Python as a Hugging Face folder, converted by llamakit to
# every other layout, plus the real tokenizer and benchmark fixtures. Small files keep the
# fuzzers fast; the real fixtures stay the regression tests' job.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
llamakit="$root/.build/release/llamakit"
(cd "$root" && swift build -c release --product llamakit >/dev/null)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work/hf" "$root/Tests/Fixtures/models/m0/hf/tokenizer.model" <<'PY'
import json, os, random, shutil, struct, sys
out, tokenizer = sys.argv[1], sys.argv[2]
os.makedirs(out)
random.seed(1)
h, heads, kv, ffn, vocab = 8, 2, 1, 16, 512
shapes = {"model.embed_tokens.weight": [vocab, h], "lm_head.weight": [vocab, h], "model.norm.weight": [h],
          "model.layers.0.input_layernorm.weight": [h], "model.layers.0.post_attention_layernorm.weight": [h],
          "model.layers.0.self_attn.q_proj.weight": [h, h], "model.layers.0.self_attn.k_proj.weight": [h // heads * kv, h],
          "model.layers.0.self_attn.v_proj.weight": [h // heads * kv, h], "model.layers.0.self_attn.o_proj.weight": [h, h],
          "model.layers.0.mlp.gate_proj.weight": [ffn, h], "model.layers.0.mlp.up_proj.weight": [ffn, h],
          "model.layers.0.mlp.down_proj.weight": [h, ffn]}
header, data = {"__metadata__": {"format": "pt"}}, b""
for name in sorted(shapes):
    n = 1
    for d in shapes[name]: n *= d
    blob = struct.pack(f"<{n}f", *[random.uniform(-0.5, 0.5) for _ in range(n)])
    header[name] = {"dtype": "F32", "shape": shapes[name], "data_offsets": [len(data), len(data) + len(blob)]}
    data += blob
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * ((8 - len(text) % 8) % 8)
open(os.path.join(out, "model.safetensors"), "wb").write(struct.pack("<Q", len(text)) + text + data)
json.dump({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": h, "intermediate_size": ffn,
           "num_hidden_layers": 1, "num_attention_heads": heads, "num_key_value_heads": kv, "vocab_size": vocab,
           "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": False},
          open(os.path.join(out, "config.json"), "w"))
shutil.copyfile(tokenizer, os.path.join(out, "tokenizer.model"))
PY
"$llamakit" convert "$work/hf" "$work/model.gguf" >/dev/null
"$llamakit" convert "$work/hf" "$work/model.Q8_0.gguf" --type q8_0 >/dev/null
"$llamakit" convert "$work/hf" "$work/sharded" --to safetensors --max-shard-size 10KB >/dev/null
"$llamakit" convert "$work/hf" "$work/pt" --to pytorch >/dev/null
"$llamakit" convert "$work/hf" "$work/meta" --to meta >/dev/null
mkdir -p "$work/l2c" && "$llamakit" convert "$work/hf" "$work/l2c/model.bin" >/dev/null
mkdir -p "$work/l2cq" && "$llamakit" convert "$work/hf" "$work/l2cq/model.bin" --type q8_0 >/dev/null
seeds="$here/seeds"
rm -rf "$seeds"
put() { mkdir -p "$seeds/$1"; cp "$2" "$seeds/$1/$3"; }
put gguf "$work/model.gguf" tiny.F32.gguf
put gguf "$work/model.Q8_0.gguf" tiny.Q8_0.gguf
put safetensors "$work/hf/model.safetensors" tiny.safetensors
put safetensors-index "$work/sharded/model.safetensors.index.json" index.json
put pytorch "$work/pt/pytorch_model.bin" tiny.bin
put meta-params "$work/meta/params.json" params.json
put llama2c "$work/l2c/model.bin" v0.bin
put llama2c "$work/l2cq/model.bin" v2.bin
put tokenizer-model "$root/Tests/Fixtures/models/m0/hf/tokenizer.model" m0.model
put tokenizer-bin "$work/l2c/tokenizer.bin" m0.bin
# A small tokenizer.json in the Llama layout (the real ones are megabytes).
python3 - "$work/tokenizer.json" <<'PY'
import json, sys
vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
for b in range(256):
    vocab[f"<0x{b:02X}>"] = len(vocab)
for piece in ["t", "h", "e", "a", "i", "n", "r", "o", "\u2581", "\u2581t", "he", "\u2581the", "\u2581a", "in", "\u2581in", "er", "on"]:
    vocab[piece] = len(vocab)
merges = ["\u2581 t", "h e", "\u2581t he", "\u2581 a", "i n", "\u2581 in", "e r", "o n"]
spec = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
                     for i, c in enumerate(["<unk>", "<s>", "</s>"])],
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                        {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
    "pre_tokenizer": None, "post_processor": None,
    "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                                  {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None, "end_of_word_suffix": None,
              "fuse_unk": True, "byte_fallback": True, "ignore_merges": False, "vocab": vocab, "merges": merges},
}
json.dump(spec, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False)
PY
put tokenizer-json "$work/tokenizer.json" small.json
put task-data "$root/Tests/Fixtures/benchmarks/arc/ARC-Easy/ARC-Easy-Test.jsonl" arc.jsonl
put task-data "$root/Tests/Fixtures/benchmarks/mmlu/dev/abstract_algebra_dev.csv" mmlu.csv
"$llamakit" perplexity "$work/hf" -f "$root/Tests/Fixtures/corpora/wiki.test.raw.head" --ctx 16 --chunks 2 --kl-divergence-base "$work/base.kld" >/dev/null
put kl-base "$work/base.kld" tiny.kld
# The fixed files the fuzzed one sits beside.
mkdir -p "$seeds/companions/safetensors-index" "$seeds/companions/meta" "$seeds/companions/pytorch"
cp "$work"/sharded/model-*.safetensors "$work/sharded/config.json" "$seeds/companions/safetensors-index/"
cp "$work/meta/consolidated.00.pth" "$seeds/companions/meta/"
cp "$work/pt/config.json" "$seeds/companions/pytorch/"
du -sh "$seeds"
