import ArgumentParser
import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaKit
import LlamaTokenizer

struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Describe a checkpoint: format, hyperparameters, sizes, tokenizer, metadata, tensors.",
    discussion: """
      PATH is a checkpoint file or folder in any supported format: GGUF, Hugging Face \
      safetensors (single or sharded) or pytorch_model.bin, Meta consolidated.NN.pth with \
      params.json, llama2.c model.bin. Nothing but headers is read: a multi-GB file is \
      inspected in well under a second. Tensor names are the canonical (GGUF) ones; --tensors \
      also shows the name stored in the file.

      Examples:
        llamakit inspect model.gguf
        llamakit inspect models/llama-2-7b-hf --tensors
        llamakit inspect consolidated.00.pth --json
      """)

  @Argument(help: ArgumentHelp("A checkpoint file or folder.", valueName: "path"))
  var path: String

  @Flag(help: "Print one JSON object (always with config, tensors and metadata).")
  var json = false

  @Flag(help: "List every tensor: canonical and stored name, shape, type, bytes, file and offset.")
  var tensors = false

  @Flag(help: "List every metadata entry (long arrays summarized).")
  var metadata = false

  func run() throws {
    let reader = try ModelFiles.open(path)
    defer { StandardOutput.flush() }
    let report = CheckpointReport(reader: reader, path: path)
    if json {
      StandardOutput.write(JSON.object(report.json()).serialized(pretty: true) + "\n")
    } else {
      StandardOutput.write(report.text(tensors: tensors, metadata: metadata))
    }
  }
}
