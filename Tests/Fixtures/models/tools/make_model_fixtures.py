#!/usr/bin/env python3
"""Model fixtures for LlamaKit's format tests, made from the project's reference model M0.

Usage: python3 make_model_fixtures.py --models SHARED/data/models [--out Tests/Fixtures/models]
Needs (PyPI): torch==2.13.0 transformers==4.57.6 safetensors==0.8.0 gguf==0.19.0 numpy
(transformers 4.x: version 5 no longer writes pytorch_model.bin, safe_serialization=False is ignored)

Writes under --out:
  m0/hf/                      M0 as shipped (transformers safetensors + config + tokenizer), copied
  m0/gguf/m0.F16.gguf, m0.Q4_K_M.gguf   copied (made by llama.cpp's converter and llama-quantize)
  m0/gguf/quant-samples.gguf  the first 4 rows of the first tensor of every quantized type in every
                              M0 GGUF file (raw blocks as llama-quantize wrote them), each followed by
                              "<name>.expected": the same rows dequantized by gguf-py (F32)
  m0/pytorch-f16/             transformers 4.57.6 save_pretrained(safe_serialization=False) of M0 in
                              float16: pytorch_model.bin (torch.save zip)
  m0/pytorch-bf16-sharded/    the same in bfloat16 with max_shard_size="2MB": pytorch_model-0000N-of-
                              0000M.bin + pytorch_model.bin.index.json
  m0/meta-bf16-2shards/       M0 as a Meta checkpoint (torch.save, Meta names, q/k in Meta's
                              interleaved order, rope.freqs) split like Meta's MP=2 13B, bfloat16
  reference-dequant.json      for every GGUF file of M0 and M1 under --models: per tensor, its type
                              and the FNV-1a-64 of gguf-py's float32 dequantization (little-endian
                              bytes), plus its first values, for the tests that read the full
                              reference data (LLAMAKIT_REFERENCE_DATA)
"""
import argparse, glob, json, os, shutil

import numpy as np

FNV_OFFSET, FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3


def fnv1a64(data: bytes) -> str:
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def fnv1a64_np(arr: np.ndarray) -> str:
    # Vectorized FNV-1a over bytes is sequential; process in chunks with Python ints.
    data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def copy_hf(models, out):
    src, dst = os.path.join(models, "m0", "hf"), os.path.join(out, "m0", "hf")
    os.makedirs(dst, exist_ok=True)
    for name in ["config.json", "generation_config.json", "model.safetensors", "tokenizer.model", "tokenizer_config.json"]:
        shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))


def gguf_files(models):
    return sorted(glob.glob(os.path.join(models, "m0", "gguf", "*.gguf")) + glob.glob(os.path.join(models, "m1", "gguf", "*.gguf")))


def quant_samples(models, out):
    import gguf
    from gguf import GGUFReader, GGUFWriter, GGMLQuantizationType
    from gguf.quants import dequantize
    dst = os.path.join(out, "m0", "gguf")
    os.makedirs(dst, exist_ok=True)
    for name in ["m0.F16.gguf", "m0.Q4_K_M.gguf"]:
        shutil.copyfile(os.path.join(models, "m0", "gguf", name), os.path.join(dst, name))
    writer = GGUFWriter(os.path.join(dst, "quant-samples.gguf"), "llama")
    writer.add_string("llamakit.fixture", "quantized rows from the M0 GGUF files and their gguf-py dequantization")
    for path in sorted(glob.glob(os.path.join(models, "m0", "gguf", "*.gguf"))):
        label = os.path.basename(path)[len("m0."):-len(".gguf")]
        reader = GGUFReader(path)
        seen = set()
        for t in reader.tensors:
            qtype = GGMLQuantizationType(t.tensor_type)
            if qtype in (GGMLQuantizationType.F32, GGMLQuantizationType.F16) or qtype in seen:
                continue
            seen.add(qtype)
            rows = np.asarray(t.data)[:4]  # raw uint8 blocks, shape (rows, bytes per row)
            n_per_row = int(t.shape[0])
            name = f"{qtype.name}.{label}"
            writer.add_tensor(name, rows, raw_shape=rows.shape, raw_dtype=qtype)
            expected = dequantize(rows, qtype).astype(np.float32).reshape(4, n_per_row)
            writer.add_tensor(name + ".expected", expected)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def reference_hashes(models, out):
    from gguf import GGUFReader, GGMLQuantizationType
    from gguf.quants import dequantize
    result = {}
    for path in gguf_files(models):
        rel = os.path.relpath(path, models)
        reader = GGUFReader(path)
        entries = []
        for t in reader.tensors:
            qtype = GGMLQuantizationType(t.tensor_type)
            values = dequantize(np.asarray(t.data), qtype).astype(np.float32).reshape(-1)
            entries.append({"name": t.name, "type": qtype.name, "fnv1a64": fnv1a64_np(values),
                            "first": [float(x) for x in values[:4]]})
        result[rel] = entries
        print("hashed", rel)
    json.dump({"hash": "FNV-1a 64 over the little-endian float32 values", "files": result},
              open(os.path.join(out, "reference-dequant.json"), "w"), indent=1)


def pytorch_hf(models, out):
    import torch
    from transformers import LlamaForCausalLM
    src = os.path.join(models, "m0", "hf")
    for dtype, folder, shard in [(torch.float16, "pytorch-f16", None), (torch.bfloat16, "pytorch-bf16-sharded", "2MB")]:
        dst = os.path.join(out, "m0", folder)
        shutil.rmtree(dst, ignore_errors=True)
        model = LlamaForCausalLM.from_pretrained(src, torch_dtype=torch.float32).to(dtype)
        kwargs = {"safe_serialization": False}
        if shard:
            kwargs["max_shard_size"] = shard
        model.save_pretrained(dst, **kwargs)
        assert not any(n.endswith(".safetensors") for n in os.listdir(dst)), "transformers wrote safetensors"
        shutil.copyfile(os.path.join(src, "tokenizer.model"), os.path.join(dst, "tokenizer.model"))
        print("wrote", folder, sorted(os.listdir(dst)))


def hf_to_meta_rows(w: "torch.Tensor", heads: int):
    # HF -> Meta (llama.cpp LlamaModel.permute): view [H, 2, hd/2, in], swap axes 1 and 2.
    out, inp = w.shape
    return w.reshape(heads, 2, out // heads // 2, inp).transpose(1, 2).reshape(out, inp)


def meta_two_shards(models, out):
    import torch
    from safetensors.torch import load_file
    src = os.path.join(models, "m0", "hf")
    cfg = json.load(open(os.path.join(src, "config.json")))
    sd = load_file(os.path.join(src, "model.safetensors"))
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    dim = cfg["hidden_size"]
    hd = dim // heads
    names = {"model.embed_tokens.weight": "tok_embeddings.weight", "model.norm.weight": "norm.weight", "lm_head.weight": "output.weight"}
    layer = {"input_layernorm.weight": "attention_norm.weight", "self_attn.q_proj.weight": "attention.wq.weight",
             "self_attn.k_proj.weight": "attention.wk.weight", "self_attn.v_proj.weight": "attention.wv.weight",
             "self_attn.o_proj.weight": "attention.wo.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
             "mlp.gate_proj.weight": "feed_forward.w1.weight", "mlp.down_proj.weight": "feed_forward.w2.weight",
             "mlp.up_proj.weight": "feed_forward.w3.weight"}
    meta = {}
    for k, v in sd.items():
        if k in names:
            meta[names[k]] = v
            continue
        i, rest = k[len("model.layers."):].split(".", 1)
        w = v
        if rest == "self_attn.q_proj.weight":
            w = hf_to_meta_rows(v, heads)
        elif rest == "self_attn.k_proj.weight":
            w = hf_to_meta_rows(v, kv)
        meta[f"layers.{i}.{layer[rest]}"] = w
    meta["rope.freqs"] = (1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64)[: hd // 2] / hd)))
    meta = {k: v.to(torch.bfloat16).contiguous() for k, v in meta.items()}
    dim1 = ("tok_embeddings.weight", ".attention.wo.weight", ".feed_forward.w2.weight")
    dim0 = ("output.weight", ".attention.wq.weight", ".attention.wk.weight", ".attention.wv.weight",
            ".feed_forward.w1.weight", ".feed_forward.w3.weight")
    dst = os.path.join(out, "m0", "meta-bf16-2shards")
    os.makedirs(dst, exist_ok=True)
    for r in range(2):
        shard = {}
        for k, v in meta.items():
            d = 1 if k.endswith(dim1) else 0 if k.endswith(dim0) else None
            shard[k] = v.clone() if d is None else v.chunk(2, dim=d)[r].clone().contiguous()
        torch.save(shard, os.path.join(dst, f"consolidated.{r:02d}.pth"))
    params = {"dim": dim, "n_layers": cfg["num_hidden_layers"], "n_heads": heads, "n_kv_heads": kv,
              "vocab_size": cfg["vocab_size"], "multiple_of": 256, "ffn_dim_multiplier": None,
              "norm_eps": cfg["rms_norm_eps"], "rope_theta": cfg["rope_theta"]}
    json.dump(params, open(os.path.join(dst, "params.json"), "w"), indent=2)
    shutil.copyfile(os.path.join(src, "tokenizer.model"), os.path.join(dst, "tokenizer.model"))
    print("wrote meta-bf16-2shards")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", required=True, help="the reference models folder (shared/data/models)")
    ap.add_argument("--out", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--skip-hashes", action="store_true")
    a = ap.parse_args()
    copy_hf(a.models, a.out)
    quant_samples(a.models, a.out)
    pytorch_hf(a.models, a.out)
    meta_two_shards(a.models, a.out)
    if not a.skip_hashes:
        reference_hashes(a.models, a.out)


if __name__ == "__main__":
    main()
