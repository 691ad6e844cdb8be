import ArgumentParser
import LlamaCore
import LlamaIO
import LlamaKit

struct ConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Convert a checkpoint to another layout, keeping its tensor types or quantizing.",
    discussion: """
      SRC is a checkpoint file or folder in any supported format. The target format comes from \
      --to or from DST's name (*.gguf). Without --type every tensor keeps its type (block types \
      are copied byte for byte), so nothing is lost; --type writes llama.cpp's types with \
      llama-quantize's choices (f16: matrices F16, norms F32; q8_0: every matrix Q8_0; q4_0: \
      matrices Q4_0, the output Q6_K; q6_k: every matrix Q6_K). Values \
      are converted and quantized as llama.cpp's tools do (round to nearest even; ggml's \
      reference quantizers). The output appears only when complete; an existing DST is kept \
      unless --force.

      Writers so far: GGUF, with types f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, \
      q3_k_m, q4_k_m, q5_k_m and q6_k. Safetensors, PyTorch, Meta \
      and llama2.c targets and the other quantizations are being built.

      Examples:
        llamakit convert models/llama-2-7b-hf llama-2-7b.F16.gguf --type f16
        llamakit convert consolidated.00.pth model.gguf
        llamakit convert model.F32.gguf model.Q8_0.gguf --type q8_0
      """)

  @Argument(help: ArgumentHelp("The checkpoint to convert (file or folder).", valueName: "src"))
  var source: String

  @Argument(help: ArgumentHelp("The file to write.", valueName: "dst"))
  var destination: String

  @Option(help: "Target format: gguf (default: from DST's name).")
  var to: String?

  @Option(name: .customLong("type"), help: "Tensor type or mix: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k_m, q4_k_m, q5_k_m, q6_k (default: keep each tensor's type).")
  var type: String?

  @Flag(help: "Replace DST if it exists.")
  var force = false

  static let writableTypes = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k_m", "q4_k_m", "q5_k_m", "q6_k"]

  func validate() throws {
    let format = to ?? (destination.lowercased().hasSuffix(".gguf") ? "gguf" : nil)
    guard let format else {
      throw ValidationError("cannot tell the target format from '\(destination)': name it *.gguf or give --to")
    }
    guard format == "gguf" else {
      throw ValidationError("--to \(format): only gguf can be written so far")
    }
    if let type, !Self.writableTypes.contains(type.lowercased()) {
      throw ValidationError("--type \(type): expected one of \(Self.writableTypes.joined(separator: ", "))")
    }
  }

  func run() throws {
    let reader = try ModelFiles.open(source)
    let plan = type.flatMap { WeightTypePlan.named($0) }
    let progress = Progress(label: "convert")
    try GGUFConversion.write(reader, to: destination, plan: plan, overwrite: force) { progress.update($0, $1) }
    progress.finish()
  }
}
