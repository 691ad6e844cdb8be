#!/usr/bin/env python3
"""Float64 reference logits for M0 with every weight rounded to float16 or bfloat16: the
references of the pytorch-f16, pytorch-bf16-sharded and meta-bf16-2shards fixtures, whose
tensors (norms included) are M0's float32 weights rounded to nearest even.

Usage: python3 make_rounded_logits.py --models SHARED/data/models --tools SHARED/tools/refmodels \
           [--out Tests/Fixtures/models/m0/reference]
Needs (PyPI): torch==2.13.0 safetensors==0.8.0 sentencepiece (as the shared make_logits.py)

For each of float16 and bfloat16: a temporary model folder with hf/ (M0's safetensors with
every tensor cast by torch, i.e. rounded to nearest even; config.json, tokenizer.model copied)
and meta/params.json, then the shared make_logits.py (float64 forward pass of the stored
weights) writes logits.hf-f16.json / logits.hf-bf16.json.
"""
import argparse, os, shutil, subprocess, sys, tempfile

import torch
from safetensors.torch import load_file, save_file

p = argparse.ArgumentParser()
p.add_argument("--models", required=True)
p.add_argument("--tools", required=True)
p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "m0", "reference"))
a = p.parse_args()

m0 = os.path.join(a.models, "m0")
for name, dtype in (("f16", torch.float16), ("bf16", torch.bfloat16)):
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "hf"))
        os.makedirs(os.path.join(tmp, "meta"))
        state = load_file(os.path.join(m0, "hf", "model.safetensors"))
        save_file({k: v.to(dtype).contiguous() for k, v in state.items()}, os.path.join(tmp, "hf", "model.safetensors"))
        for f in ("config.json", "tokenizer.model"):
            shutil.copy(os.path.join(m0, "hf", f), os.path.join(tmp, "hf", f))
        shutil.copy(os.path.join(m0, "meta", "params.json"), os.path.join(tmp, "meta", "params.json"))
        out = os.path.join(a.out, f"logits.hf-{name}.json")
        subprocess.run([sys.executable, os.path.join(a.tools, "make_logits.py"), "--model-dir", tmp, "--out", out], check=True)
        print("wrote", out)
