import FuzzDriver
import LlamaCore
import LlamaEval
import LlamaFormats
import LlamaIO
import LlamaKit
import LlamaTokenizer

#if canImport(Glibc)
  import Glibc
#endif

/// `llamakit-fuzz TARGET [libFuzzer options] [corpus…]`: one binary, one fuzz target per parser.
/// Every input must end in a value or a thrown error — never a crash, a hang or a huge
/// allocation (ASan's allocation limit and libFuzzer's -rss_limit_mb / -timeout catch those).
/// The fixed files multi-file targets need (fuzz/seeds/companions), from LLAMAKIT_FUZZ_SEEDS.
let companions = (getenv("LLAMAKIT_FUZZ_SEEDS").map { String(cString: $0) } ?? "fuzz/seeds") + "/companions"

/// Reads every tensor (up to a size) and the vocabulary of a checkpoint.
func readAll(_ path: String) {
  guard let reader = try? ModelFiles.open(path) else { return }
  for info in reader.tensors where info.byteCount <= 16 << 20 {
    if let tensor = try? reader.tensor(info.name) { _ = try? tensor.floats() }
  }
  if let vocabulary = try? reader.vocabulary() { _ = vocabulary.count }
}

/// Loads a tokenizer and runs it both ways.
func useTokenizer(_ path: String) {
  guard let tokenizer = try? ModelFiles.tokenizer(path) else { return }
  let ids = tokenizer.encode("Hello wörld 123 ☕  the  end\n")
  _ = try? tokenizer.decode(ids)
  _ = try? tokenizer.decode([0, 1, 2, 3, TokenID(tokenizer.vocabulary.count - 1)])
}

let targets: [String: (UnsafeRawBufferPointer) -> Void] = [
  "gguf": { readAll(write($0, to: "model.gguf")) },
  "safetensors": { readAll(write($0, to: "model.safetensors")) },
  "safetensors-index": { data in
    _ = write(data, to: "model.safetensors.index.json")
    readAll(scratch)
  },
  "pytorch": { readAll(write($0, to: "pytorch_model.bin")) },
  "meta-params": { data in
    _ = write(data, to: "params.json")
    readAll(scratch)
  },
  "llama2c": { readAll(write($0, to: "model.bin")) },
  "tokenizer-model": { useTokenizer(write($0, to: "tokenizer.model")) },
  "tokenizer-json": { useTokenizer(write($0, to: "tokenizer.json")) },
  "tokenizer-bin": { useTokenizer(write($0, to: "tokenizer.bin")) },
  "kl-base": { _ = try? KLDivergence.Base(path: write($0, to: "base.kld")) },
  "task-data": { data in
    // The same bytes as every task's data file.
    for relative in ["arc/ARC-Easy/ARC-Easy-Test.jsonl", "piqa/valid.jsonl", "winogrande/dev.jsonl", "lambada/lambada_test.jsonl",
                     "truthfulqa/mc_task.json", "mmlu/test/anatomy_test.csv", "hellaswag/hellaswag_val.jsonl", "hellaswag/hellaswag_val_full.txt"] {
      let folder = scratch + "/data/" + relative.split(separator: "/").dropLast().joined(separator: "/")
      _ = try? createDirectories(folder)
      _ = write(data, to: "data/" + relative)
    }
    let folder = DataFolder(path: scratch + "/data")
    for name in ["arc_easy", "winogrande", "lambada_openai", "truthfulqa_mc1", "mmlu_anatomy", "hellaswag", "hellaswag_llamacpp"] {
      if let task = TaskRegistry.resolve(name)?.first, let (documents, _) = try? task.documents(folder) {
        for document in documents.prefix(50) { _ = task.requests(document, fewshot: []) }
      }
    }
  },
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let target = targets[name] else {
  print("usage: llamakit-fuzz TARGET [libFuzzer options] [corpus folders]\ntargets: \(targets.keys.sorted().joined(separator: ", "))")
  exit(2)
}
// Multi-file formats: the fuzzed file sits beside fixed valid companions.
switch name {
case "safetensors-index":
  for file in ["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors", "config.json"] {
    place(companions + "/safetensors-index/" + file, as: file)
  }
case "meta-params": place(companions + "/meta/consolidated.00.pth", as: "consolidated.00.pth")
case "pytorch": place(companions + "/pytorch/config.json", as: "config.json")
default: break
}
runFuzzer(arguments: [CommandLine.arguments[0]] + arguments.dropFirst(), target)
