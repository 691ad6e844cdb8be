"""Times llama.cpp (through llama-cpp-python's low-level C API) like llama-bench: prompt
processing of -p tokens decoded as one batch from an empty context, and generation of -n tokens
decoded one at a time from an empty context; one untimed warm-up of each, then -r timed runs.
Python only calls llama_decode and reads the clock around it, so it adds nothing measurable.

Usage: python llamacpp_bench.py MODEL.gguf [-p 512] [-n 128] [-t 2] [-r 5]
Prints one JSON object: pp/tg tokens per second per run, mean, standard deviation, and
llama.cpp's system info (the instruction sets it was built with)."""
import argparse, ctypes, json, statistics, time

import llama_cpp

a = argparse.ArgumentParser()
a.add_argument("model")
a.add_argument("-p", type=int, default=512)
a.add_argument("-n", type=int, default=128)
a.add_argument("-t", type=int, default=2)
a.add_argument("-r", type=int, default=5)
args = a.parse_args()

llama_cpp.llama_backend_init()
mparams = llama_cpp.llama_model_default_params()
model = llama_cpp.llama_model_load_from_file(args.model.encode(), mparams)
if not model:
    raise SystemExit(f"llama.cpp could not load {args.model}")
cparams = llama_cpp.llama_context_default_params()
cparams.n_ctx = max(args.p, args.n, 1)
cparams.n_batch = max(args.p, 1)
cparams.n_ubatch = max(args.p, 1)
cparams.n_threads = args.t
cparams.n_threads_batch = args.t
ctx = llama_cpp.llama_init_from_model(model, cparams)
if not ctx:
    raise SystemExit("llama.cpp could not create a context")
vocab = llama_cpp.llama_model_get_vocab(model)
n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
memory = llama_cpp.llama_get_memory(ctx)

# The same fixed pseudo-random ids as `llamakit bench`.
state = 0x12345678
tokens = []
for _ in range(max(args.p, args.n)):
    state = (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
    tokens.append((state >> 33) % n_vocab)

batch = llama_cpp.llama_batch_init(max(args.p, 1), 0, 1)


def decode(ids, start):
    batch.n_tokens = len(ids)
    for i, token in enumerate(ids):
        batch.token[i] = token
        batch.pos[i] = start + i
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = 0
        batch.logits[i] = 1 if i == len(ids) - 1 else 0
    if llama_cpp.llama_decode(ctx, batch) != 0:
        raise SystemExit("llama_decode failed")


def prompt():
    llama_cpp.llama_memory_clear(memory, True)
    start = time.perf_counter()
    decode(tokens[: args.p], 0)
    llama_cpp.llama_synchronize(ctx)
    return args.p / (time.perf_counter() - start)


def generation():
    llama_cpp.llama_memory_clear(memory, True)
    start = time.perf_counter()
    for i in range(args.n):
        decode([tokens[i]], i)
    llama_cpp.llama_synchronize(ctx)
    return args.n / (time.perf_counter() - start)


result = {"model": args.model, "threads": args.t, "repetitions": args.r,
          "llama_cpp_python": llama_cpp.__version__,
          "system_info": llama_cpp.llama_print_system_info().decode().strip(),
          "model_bytes": llama_cpp.llama_model_size(model), "parameters": llama_cpp.llama_model_n_params(model)}
for name, count, run in (("pp", args.p, prompt), ("tg", args.n, generation)):
    if count <= 0:
        continue
    run()
    samples = [run() for _ in range(args.r)]
    result[f"{name}_tokens"] = count
    result[f"{name}_samples"] = samples
    result[f"{name}_tokens_per_s"] = statistics.mean(samples)
    result[f"{name}_stddev"] = statistics.stdev(samples) if len(samples) > 1 else 0.0
print(json.dumps(result))
llama_cpp.llama_batch_free(batch)
llama_cpp.llama_free(ctx)
llama_cpp.llama_model_free(model)
