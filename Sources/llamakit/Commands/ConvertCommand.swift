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
      --to or from DST's name (*.gguf); --to safetensors writes a Hugging Face folder DST \
      (model.safetensors or shards with --max-shard-size, config.json, generation_config.json, \
      the tokenizer files found beside SRC). Without --type every tensor keeps its type (block types \
      are copied byte for byte), so nothing is lost; --type writes llama.cpp's types with \
      llama-quantize's choices (f16: matrices F16, norms F32; q8_0: every matrix Q8_0; q4_0: \
      matrices Q4_0, the output Q6_K; q6_k: every matrix Q6_K). Values \
      are converted and quantized as llama.cpp's tools do (round to nearest even; ggml's \
      reference quantizers). The output appears only when complete; an existing DST is kept \
      unless --force.

      Writers so far: safetensors (f32, f16, bf16) and GGUF, with types f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, \
      q3_k_m, q4_k_m, q5_k_m and q6_k. PyTorch, Meta and llama2.c targets are being built.

      Examples:
        llamakit convert models/llama-2-7b-hf llama-2-7b.F16.gguf --type f16
        llamakit convert consolidated.00.pth model.gguf
        llamakit convert model.F32.gguf model.Q8_0.gguf --type q8_0
        llamakit convert consolidated.00.pth llama-2-7b-hf --to safetensors --max-shard-size 5GB
      """)

  @Argument(help: ArgumentHelp("The checkpoint to convert (file or folder).", valueName: "src"))
  var source: String

  @Argument(help: ArgumentHelp("The file to write.", valueName: "dst"))
  var destination: String

  @Option(help: "Target format: gguf or safetensors (a Hugging Face folder) (default: gguf for *.gguf).")
  var to: String?

  @Option(name: .customLong("type"), help: "Tensor type or mix: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k_m, q4_k_m, q5_k_m, q6_k (default: keep each tensor's type).")
  var type: String?

  @Flag(help: "Replace DST if it exists.")
  var force = false

  static let writableTypes = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k_m", "q4_k_m", "q5_k_m", "q6_k"]
  static let floatTypes = ["f32", "f16", "bf16"]

  @Option(help: "Largest safetensors shard, e.g. 5GB, 500MB, 2GiB or a byte count (default: one file).")
  var maxShardSize: String?

  /// The target format: --to, else from DST's name.
  var format: String? { to?.lowercased() ?? (destination.lowercased().hasSuffix(".gguf") ? "gguf" : nil) }

  func validate() throws {
    guard let format else {
      throw ValidationError("cannot tell the target format from '\(destination)': name it *.gguf or give --to gguf|safetensors")
    }
    guard format == "gguf" || format == "safetensors" else {
      throw ValidationError("--to \(format): expected gguf or safetensors (PyTorch, Meta and llama2.c writers are not built yet)")
    }
    if let type {
      let allowed = format == "gguf" ? Self.writableTypes : Self.floatTypes
      guard allowed.contains(type.lowercased()) else {
        throw ValidationError("--type \(type): expected one of \(allowed.joined(separator: ", ")) for \(format)")
      }
    }
    if let maxShardSize {
      guard format == "safetensors" else { throw ValidationError("--max-shard-size applies to --to safetensors") }
      guard Self.bytes(maxShardSize) != nil else {
        throw ValidationError("--max-shard-size \(maxShardSize): expected a size such as 5GB, 500MB, 2GiB or a byte count")
      }
    }
  }

  /// "5GB" (10^9), "2GiB" (2^30), "500MB", "64KB", or a plain byte count (spaces ignored).
  static func bytes(_ text: String) -> Int? {
    let units: [(String, Double)] = [
      ("GIB", 0x4000_0000), ("MIB", 0x10_0000), ("KIB", 0x400), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3), ("B", 1),
    ]
    let upper = text.uppercased().filter { $0 != " " }
    for (suffix, scale) in units where upper.hasSuffix(suffix) {
      guard let value = Double(upper.dropLast(suffix.count)), value > 0, value * scale < 9e18 else { return nil }
      return Int(value * scale)
    }
    return Int(upper).flatMap { $0 > 0 ? $0 : nil }
  }

  func run() throws {
    let reader = try ModelFiles.open(source)
    let progress = Progress(label: "convert")
    if format == "safetensors" {
      let target = type.map { ["f32": DType.f32, "f16": .f16, "bf16": .bf16][$0.lowercased()]! }
      try SafetensorsConversion.write(
        reader, toFolder: destination, type: target, maxShardBytes: maxShardSize.flatMap(Self.bytes), overwrite: force
      ) { progress.update($0, $1) }
    } else {
      let plan = type.flatMap { WeightTypePlan.named($0) }
      try GGUFConversion.write(reader, to: destination, plan: plan, overwrite: force) { progress.update($0, $1) }
    }
    progress.finish()
  }
}
