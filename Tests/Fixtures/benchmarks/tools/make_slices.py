"""Makes the bundled benchmark slices and their lm-eval expectations from the reference data.

    python3 make_slices.py REFERENCE_DATA   (the folder LLAMAKIT_REFERENCE_DATA names)

Benchmark files (Tests/Fixtures/benchmarks/, the layout `llamakit eval --data` reads): the
first N records of each original public file, lines copied unchanged (TruthfulQA: the first N
entries of its JSON array, re-serialized with the same key order; MMLU: whole subject files).
HellaSwag: the first 20 tasks (120 lines) of llama.cpp's hellaswag_val_full.txt, decompressed.
Expectations (Tests/Fixtures/models/m0/reference/lm-eval/): the lines of lm-eval 0.4.13's own
samples files (the reference data's m0 runs) for those documents, unchanged.
"""
import gzip, json, os, shutil, sys

ref = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
bench_out = os.path.dirname(here)
fixtures = os.path.dirname(bench_out)
expect_out = os.path.join(fixtures, "models", "m0", "reference", "lm-eval")
bench = os.path.join(ref, "benchmarks")


def head(relative, n):
    src, dst = os.path.join(bench, relative), os.path.join(bench_out, relative)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(src, encoding="utf-8", newline="") as f:
        lines = f.readlines()[:n]
    with open(dst, "w", encoding="utf-8", newline="") as f:
        f.writelines(lines)


def whole(relative):
    dst = os.path.join(bench_out, relative)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(os.path.join(bench, relative), dst)


for name in ("ARC-Easy", "ARC-Challenge"):
    head(f"arc/{name}/{name}-Test.jsonl", 50)
head("piqa/valid.jsonl", 30)
head("piqa/valid-labels.lst", 30)
head("winogrande/dev.jsonl", 50)
head("lambada/lambada_test.jsonl", 30)
with open(os.path.join(bench, "truthfulqa", "mc_task.json"), encoding="utf-8") as f:
    tqa = json.load(f)
os.makedirs(os.path.join(bench_out, "truthfulqa"), exist_ok=True)
with open(os.path.join(bench_out, "truthfulqa", "mc_task.json"), "w", encoding="utf-8") as f:
    json.dump(tqa[:20], f, indent=2, ensure_ascii=False)
import bz2
with bz2.open(os.path.join(bench, "hellaswag", "hellaswag_val_full.txt.bz2"), "rt", encoding="utf-8", newline="") as f:
    hs = f.read().split("\n")[: 6 * 20]
with open(os.path.join(bench_out, "hellaswag", "hellaswag_val_full.txt"), "w", encoding="utf-8", newline="") as f:
    f.write("\n".join(hs) + "\n")
for subject in ("abstract_algebra", "world_religions"):
    whole(f"mmlu/test/{subject}_test.csv")
    whole(f"mmlu/dev/{subject}_dev.csv")

# lm-eval's samples for the bundled documents (m0, 0.4.13).
slices = [
    ("arc_easy", "arc_easy", 50), ("arc_challenge", "arc_challenge", 50),
    ("model_arg_max_length_1024/piqa", "piqa", 30), ("winogrande", "winogrande", 50),
    ("lambada_openai", "lambada_openai", 30), ("truthfulqa_mc1", "truthfulqa_mc1", 20),
    ("truthfulqa_mc2", "truthfulqa_mc2", 20), ("mmlu_0shot", "mmlu_world_religions", 171),
    ("mmlu_5shot", "mmlu_abstract_algebra", 20),
]
os.makedirs(expect_out, exist_ok=True)
for folder, task, n in slices:
    src = os.path.join(ref, "models", "m0", "reference", "lm-eval", folder, f"samples_{task}.jsonl.gz")
    with gzip.open(src, "rt", encoding="utf-8") as f:
        lines = [line for line in f if json.loads(line)["doc_id"] < n]
    shot = "5shot" if "5shot" in folder else "0shot"
    with open(os.path.join(expect_out, f"samples_{task}.{shot}.jsonl"), "w", encoding="utf-8") as f:
        f.writelines(lines)
print("slices written to", bench_out, "and", expect_out)
