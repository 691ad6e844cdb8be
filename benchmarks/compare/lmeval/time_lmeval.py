"""Times lm-eval's evaluation (model loading excluded) of TASK on MODEL for LIMIT documents.

    python3 time_lmeval.py MODEL TASK LIMIT THREADS

Prints one JSON line: task, documents, seconds, items_per_second, and the metrics."""
import json, os, sys, time

import torch
from lm_eval import simple_evaluate
from lm_eval.models.huggingface import HFLM
from lm_eval.tasks import TaskManager

model, task, limit, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
lm = HFLM(pretrained=model, dtype="float32", batch_size=16, device="cpu")
manager = TaskManager(include_path=os.path.dirname(os.path.abspath(__file__)))
start = time.perf_counter()
out = simple_evaluate(model=lm, tasks=[task], limit=limit, task_manager=manager, bootstrap_iters=0)
seconds = time.perf_counter() - start
metrics = {k: v for k, v in out["results"][task].items() if k.endswith(",none")}
print(json.dumps({"task": task, "documents": limit, "seconds": seconds, "items_per_second": limit / seconds, "metrics": metrics}))
