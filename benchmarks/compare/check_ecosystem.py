"""Loads LlamaKit's conversions with the ecosystem's own libraries and checks them against the
source checkpoint (run by check_ecosystem.sh, which makes the files and the Python
environment).

    python3 check_ecosystem.py SOURCE_HF_FOLDER OUT_FOLDER

OUT_FOLDER holds what `llamakit convert` wrote from SOURCE_HF_FOLDER:
  model.F16.gguf, model.Q8_0.gguf   GGUF: read with gguf-py; tensors dequantized and compared
                                   with the source (q/k rows in GGUF's interleaved order)
  hf-safetensors/                  safetensors (sharded): safetensors.safe_open, then
                                   transformers LlamaForCausalLM.from_pretrained; logits
  hf-pytorch/                      pytorch_model.bin: torch.load(weights_only=True),
                                   torch.load(mmap=True), from_pretrained; logits
  meta/                            consolidated.0{0,1}.pth: torch.load(weights_only=True,
                                   mmap=True), merged as Meta's shards are, q/k permuted back
  llama2c/model.bin                the floats at llama2.c's offsets
Every tensor must equal the source's bit for bit (F16/Q8_0: the source's values rounded as
ggml does, checked by max error), and logits of transformers on the converted folders must
equal those of the source folder.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

source, out = sys.argv[1], sys.argv[2]
config = json.load(open(os.path.join(source, "config.json")))
heads, kv_heads = config["num_attention_heads"], config.get("num_key_value_heads") or config["num_attention_heads"]
failures = []


def check(label, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {label}{': ' + detail if detail else ''}")
    if not ok:
        failures.append(label)


def load_source():
    from safetensors import safe_open
    tensors = {}
    index = os.path.join(source, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    for name in files:
        with safe_open(os.path.join(source, name), framework="pt") as f:
            for key in f.keys():
                tensors[key] = f.get_tensor(key)
    return tensors


def hf_to_meta_rows(w, n_heads):
    """transformers' convert_llama_weights_to_hf permute, inverted: HF rows → interleaved."""
    rows, cols = w.shape
    return w.view(n_heads, 2, rows // n_heads // 2, cols).transpose(1, 2).reshape(rows, cols)


src = load_source()
dtype = next(iter(src.values())).dtype

# --- safetensors (sharded) and pytorch_model.bin, then transformers
from safetensors import safe_open

for folder, kind in [("hf-safetensors", "safetensors"), ("hf-pytorch", "pytorch")]:
    path = os.path.join(out, folder)
    loaded = {}
    if kind == "safetensors":
        index = json.load(open(os.path.join(path, "model.safetensors.index.json")))
        for name in sorted(set(index["weight_map"].values())):
            with safe_open(os.path.join(path, name), framework="pt") as f:
                for key in f.keys():
                    loaded[key] = f.get_tensor(key)
    else:
        for mmap in (False, True):
            loaded = torch.load(os.path.join(path, "pytorch_model.bin"), weights_only=True, mmap=mmap)
            check(f"{folder}: torch.load(weights_only=True, mmap={mmap})", isinstance(loaded, dict) and len(loaded) == len(src))
    same = set(loaded) == set(src) and all(loaded[k].dtype == src[k].dtype and torch.equal(loaded[k], src[k]) for k in src)
    check(f"{folder}: {len(loaded)} tensors equal the source bit for bit", same)

from transformers import LlamaForCausalLM

ids = torch.tensor([[1, 15, 100, 7, 42, 300, 3, 77, 5, 200, 11, 400]]) % config["vocab_size"]
with torch.no_grad():
    reference = LlamaForCausalLM.from_pretrained(source, dtype=torch.float32).eval()(ids).logits
    for folder in ("hf-safetensors", "hf-pytorch"):
        model = LlamaForCausalLM.from_pretrained(os.path.join(out, folder), dtype=torch.float32).eval()
        difference = (model(ids).logits - reference).abs().max().item()
        check(f"{folder}: LlamaForCausalLM.from_pretrained logits == source logits", difference == 0, f"max |Δ| {difference:.3g}")

# --- Meta shards
meta = os.path.join(out, "meta")
shards = [torch.load(os.path.join(meta, f"consolidated.0{r}.pth"), weights_only=True, mmap=True) for r in range(2)]
params = json.load(open(os.path.join(meta, "params.json")))
merged = {}
for key in shards[0]:
    if key == "rope.freqs" or shards[0][key].dim() == 1:
        merged[key] = shards[0][key]
        continue
    axis = 1 if key == "tok_embeddings.weight" or key.endswith(("attention.wo.weight", "feed_forward.w2.weight")) else 0
    merged[key] = torch.cat([s[key] for s in shards], dim=axis)
names = {"tok_embeddings.weight": "model.embed_tokens.weight", "norm.weight": "model.norm.weight", "output.weight": "lm_head.weight"}
roles = {"attention.wq": "self_attn.q_proj", "attention.wk": "self_attn.k_proj", "attention.wv": "self_attn.v_proj",
         "attention.wo": "self_attn.o_proj", "feed_forward.w1": "mlp.gate_proj", "feed_forward.w2": "mlp.down_proj",
         "feed_forward.w3": "mlp.up_proj", "attention_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm"}
ok = params["dim"] == config["hidden_size"] and params["n_kv_heads"] == kv_heads
for key, value in merged.items():
    if key == "rope.freqs":
        continue
    if key in names:
        hf = names[key]
    else:
        layer, rest = key.split(".", 2)[1], key.split(".", 2)[2].rsplit(".", 1)[0]
        hf = f"model.layers.{layer}.{roles[rest]}.weight"
    expected = src[hf]
    if "q_proj" in hf:
        expected = hf_to_meta_rows(expected, heads)
    if "k_proj" in hf:
        expected = hf_to_meta_rows(expected, kv_heads)
    ok = ok and value.dtype == expected.dtype and torch.equal(value, expected)
check("meta: 2 shards load with torch.load(weights_only=True, mmap=True); merged == source (Meta layout)", ok)

# --- GGUF with gguf-py
from gguf import GGUFReader
from gguf.quants import dequantize

gguf_names = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight", "output.weight": "lm_head.weight"}
gguf_roles = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
              "ffn_gate": "mlp.gate_proj", "ffn_down": "mlp.down_proj", "ffn_up": "mlp.up_proj", "attn_norm": "input_layernorm",
              "ffn_norm": "post_attention_layernorm"}
for file, tolerance in [("model.F16.gguf", None), ("model.Q8_0.gguf", 0.02)]:
    reader = GGUFReader(os.path.join(out, file))
    worst, exact = 0.0, True
    for t in reader.tensors:
        if t.name in gguf_names:
            hf = gguf_names[t.name]
        else:
            _, layer, role, _ = t.name.split(".")
            hf = f"model.layers.{layer}.{gguf_roles[role]}.weight"
        expected = src[hf].float()
        if role_is := ("q_proj" in hf or "k_proj" in hf):
            expected = hf_to_meta_rows(expected, heads if "q_proj" in hf else kv_heads)
        values = torch.from_numpy(dequantize(t.data, t.tensor_type).astype(np.float32)).reshape(expected.shape)
        if tolerance is None:
            rounded = expected.to(torch.float16).float() if t.tensor_type.name == "F16" else expected
            exact = exact and torch.equal(values, rounded)
        else:
            worst = max(worst, (values - expected).abs().max().item())
    arch = bytes(reader.fields["general.architecture"].parts[-1]).decode()
    detail = f"{len(reader.tensors)} tensors, architecture {arch}" + (f", max |Δ| {worst:.3g}" if tolerance else "")
    check(f"{file}: gguf-py reads it; values == source" + (" rounded to F16" if tolerance is None else f" within {tolerance}"),
          arch == "llama" and (exact if tolerance is None else worst < tolerance), detail)

# --- llama2.c v0
raw = open(os.path.join(out, "llama2c", "model.bin"), "rb").read()
header = struct.unpack("<7i", raw[:28])
floats = np.frombuffer(raw, dtype="<f4", offset=28)
embedding = torch.from_numpy(floats[: config["vocab_size"] * config["hidden_size"]].copy()).view(config["vocab_size"], config["hidden_size"])
check("llama2c: version-0 header and embedding == source",
      header[0] == config["hidden_size"] and abs(header[5]) == config["vocab_size"] and torch.equal(embedding, src["model.embed_tokens.weight"].float()))

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
