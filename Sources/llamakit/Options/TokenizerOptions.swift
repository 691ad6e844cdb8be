import ArgumentParser
import LlamaKit
import LlamaTokenizer

/// The TOKENIZER argument shared by the tokenizer commands, and `--verbose`.
struct TokenizerOptions: ParsableArguments {
  @Argument(
    help: ArgumentHelp(
      "A tokenizer.model, tokenizer.json or tokenizer.bin, a folder holding one, or a GGUF file.",
      valueName: "tokenizer"))
  var tokenizer: String

  @Flag(name: .shortAndLong, help: "Say on stderr which file and which behaviour is applied.")
  var verbose = false

  /// Loads the tokenizer; with `--verbose`, says what was loaded and how it is applied.
  func load() throws -> any Tokenizer {
    let loaded = try ModelFiles.tokenizer(tokenizer)
    if verbose {
      let v = loaded.vocabulary
      StandardError.write("llamakit: \(v.origin): \(v.sourceKind), \(v.count) pieces\n")
      StandardError.write("llamakit: applying \(loaded.behaviour)\n")
    }
    return loaded
  }
}
