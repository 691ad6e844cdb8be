#!/usr/bin/env python3
"""Random-text goldens for LlamaKit's tokenizer tests, made by the reference libraries.

For every SentencePiece model under ../<name>/tokenizer.model this writes
../goldens/random/<name>.jsonl with sentencepiece's ids and decoded text for random strings;
for the two Llama 2 tokenizer.json files it writes llama2.hf5.jsonl / llama2.hf4-legacy.jsonl
with the ids of Hugging Face `tokenizers` (encode(text, add_special_tokens=False)) and
decode(ids) (skip_special_tokens=True, the library's default) of random id lists.

Usage: python3 make_random_goldens.py [--count N] [--seed S] [--out DIR]
Needs: pip install sentencepiece==0.2.3 tokenizers==0.23.3
"""
import argparse, json, lzma, os, random

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = ["llama2", "mistral-v0.3", "chinese-llama2", "internlm-v1", "yi", "spm-bpe-1k", "spm-bpe-nfkc"]

ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789", " ", "  ", "\t", "\n", "\r\n", ".,;:!?'\"()[]{}<>/\\|@#$%^&*-_=+~`",
    "▁", "éèêëàâäôöûüçñßøåæœ", "абвгдежзийклмнопрстуфхцчшщъыьэюя",
    "αβγδεζηθικλμνξοπρστυφχψω", "你好世界中文分词机器学习人工智能", "日本語のテキストです",
    "한국어텍스트", "مرحبا بالعالم", "नमस्ते दुनिया", "😀🎉👍🏽🇫🇷", "\u0301\u0308\u200b\u200c\u200d\u00a0\u3000",
    "ﬁﬂ①²½Ａｂｃｶﾞ…", "\x00\x01\x7f\x85\u2028\u2029\ufeff\ufffd",
]
WORDS = ["<s>", "</s>", "<unk>", "<pad>", "[INST]", "[/INST]", "<|im_start|>", "<|im_end|>",
         "<0x41>", "<fim_prefix>", "<eoh>", "the", " the", "Hello", "world", "2024", "    ",
         "def f(x):\n    return x", "http://example.com/a?b=c", "ὁ ἀνήρ", "ί", "ί"]


def random_text(rng):
    parts = []
    for _ in range(rng.randint(1, 12)):
        if rng.random() < 0.3:
            parts.append(rng.choice(WORDS))
        else:
            alphabet = rng.choice(ALPHABETS)
            parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))))
    return "".join(parts)


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--out", default=os.path.join(ROOT, "goldens", "random"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    import sentencepiece as spm
    from tokenizers import Tokenizer

    for name in MODELS:
        rng = random.Random(f"{args.seed}-{name}")
        sp = spm.SentencePieceProcessor(model_file=os.path.join(ROOT, name, "tokenizer.model"))
        rows = []
        for _ in range(args.count):
            text = random_text(rng)
            ids = sp.encode(text)
            rows.append({"text": text, "ids": ids, "decoded": sp.decode(ids)})
        n = sp.get_piece_size()
        for _ in range(args.count // 4):
            ids = [rng.randrange(n) for _ in range(rng.randint(0, 12))]
            rows.append({"decode_ids": ids, "decoded": sp.decode(ids)})
        write(os.path.join(args.out, f"{name}.jsonl"), rows)

    for label, rel in [("llama2.hf5", "llama2/tokenizer.json.xz"),
                       ("llama2.hf4-legacy", "llama2/hf-transformers-4.57.6-legacy/tokenizer.json.xz")]:
        rng = random.Random(f"{args.seed}-{label}")
        with lzma.open(os.path.join(ROOT, rel), "rt", encoding="utf-8") as f:
            tok = Tokenizer.from_str(f.read())
        rows = []
        for _ in range(args.count):
            text = random_text(rng)
            rows.append({"text": text, "ids": tok.encode(text, add_special_tokens=False).ids})
        n = tok.get_vocab_size()
        for _ in range(args.count // 4):
            ids = [rng.randrange(n) for _ in range(rng.randint(0, 12))]
            rows.append({"decode_ids": ids, "decoded": tok.decode(ids)})
        write(os.path.join(args.out, f"{label}.jsonl"), rows)


if __name__ == "__main__":
    main()
