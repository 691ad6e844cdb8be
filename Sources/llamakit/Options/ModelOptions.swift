import ArgumentParser
import LlamaInference
import LlamaKit
import LlamaTokenizer

/// The MODEL argument and the options every command that runs a model shares.
struct ModelOptions: ParsableArguments {
  @Argument(help: ArgumentHelp("A checkpoint file or folder, any supported format.", valueName: "model"))
  var model: String

  @Option(name: [.customShort("t"), .long], help: "Worker threads (default: the number of CPUs).")
  var threads: Int?

  @Option(help: ArgumentHelp("A tokenizer to use instead of the checkpoint's own.", valueName: "path"))
  var tokenizer: String?

  func validate() throws {
    if let threads, threads < 1 || threads > 1024 {
      throw ValidationError("--threads must be between 1 and 1024, not \(threads)")
    }
  }

  func loadModel() throws -> LlamaModel { try ModelFiles.model(model) }

  func loadTokenizer() throws -> any Tokenizer {
    if let tokenizer { return try ModelFiles.tokenizer(tokenizer) }
    return try ModelFiles.tokenizer(forModel: model)
  }
}
