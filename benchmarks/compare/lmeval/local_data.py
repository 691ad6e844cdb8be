"""Dataset loaders for lm-eval that read LlamaKit's --data folder (the original public files)
instead of downloading, for the throughput comparison (compare_lmeval.sh). Each returns the
Hugging Face schema the official task expects.

The folder is taken from LLAMAKIT_EVAL_DATA."""
import json
import os

import datasets


def _folder():
    return os.environ["LLAMAKIT_EVAL_DATA"]


def _jsonl(*parts):
    with open(os.path.join(_folder(), *parts), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def arc_easy(**kwargs):
    rows = []
    for record in _jsonl("arc", "ARC-Easy", "ARC-Easy-Test.jsonl"):
        choices = record["question"]["choices"]
        rows.append({
            "id": record["id"], "question": record["question"]["stem"],
            "choices": {"text": [c["text"] for c in choices], "label": [c["label"] for c in choices]},
            "answerKey": record["answerKey"],
        })
    test = datasets.Dataset.from_list(rows)
    return datasets.DatasetDict({"train": test.select([]), "validation": test.select([]), "test": test})


def hellaswag(**kwargs):
    rows = _jsonl("hellaswag", "hellaswag_val.jsonl")
    for row in rows:
        row["label"] = str(row["label"])
    validation = datasets.Dataset.from_list(rows)
    return datasets.DatasetDict({"train": validation.select([]), "validation": validation})
