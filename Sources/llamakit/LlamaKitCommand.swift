import ArgumentParser

@main
struct LlamaKitCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "llamakit",
    abstract: "Convert, evaluate and inspect LLaMA-family models and their tokenizers.",
    discussion: """
      MODEL arguments accept a GGUF file, a Hugging Face folder (safetensors or \
      pytorch_model.bin, sharded or not), a Meta folder (consolidated.NN.pth + params.json) or a \
      llama2.c .bin. TOKENIZER arguments accept a SentencePiece tokenizer.model, a Hugging Face \
      tokenizer.json, a llama2.c tokenizer.bin, a folder holding one of them, or a GGUF file. \
      Long jobs (convert, perplexity, eval, bench) draw a progress line when stderr is a \
      terminal; --quiet turns it off, --verbose adds a line per step. `llamakit demo` runs every \
      job once on the bundled small model.

      Examples:
        llamakit demo
        llamakit inspect llama-2-7b.Q4_K_M.gguf
        llamakit convert models/llama-2-7b-hf llama-2-7b.Q4_K_M.gguf --type q4_k_m
        llamakit perplexity llama-2-7b.Q4_K_M.gguf -f wiki.test.raw --report ppl.html
        llamakit eval llama-2-7b.Q4_K_M.gguf --tasks arc_easy,hellaswag --data benchmarks --report eval.html
        llamakit tokenize tokenizer.model "Hello world" --pieces
      """,
    version: "0.1.0",
    subcommands: [
      DemoCommand.self, InspectCommand.self, ConvertCommand.self, DiffCommand.self, GenerateCommand.self, PerplexityCommand.self, EvalCommand.self, ReportCommand.self, BenchCommand.self, SynthCommand.self, TokenizeCommand.self, DetokenizeCommand.self,
      VocabCommand.self,
    ])
}
