import ArgumentParser

@main
struct LlamaKitCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "llamakit",
    abstract: "Convert, evaluate and inspect LLaMA-family models and their tokenizers.",
    discussion: """
      TOKENIZER arguments accept a SentencePiece tokenizer.model, a Hugging Face \
      tokenizer.json, a llama2.c tokenizer.bin, or a folder holding one of them.
      """,
    version: "0.1.0",
    subcommands: [
      InspectCommand.self, ConvertCommand.self, DiffCommand.self, GenerateCommand.self, PerplexityCommand.self, EvalCommand.self, ReportCommand.self, BenchCommand.self, SynthCommand.self, TokenizeCommand.self, DetokenizeCommand.self,
      VocabCommand.self,
    ])
}
