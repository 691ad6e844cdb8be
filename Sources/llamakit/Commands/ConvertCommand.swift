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
      --to or from DST's name (*.gguf: GGUF; *.bin: llama2.c):
        gguf         one GGUF v3 file as llama.cpp's convert_hf_to_gguf.py writes it
        safetensors  a Hugging Face folder: model.safetensors (or shards with --max-shard-size and \
      model.safetensors.index.json), config.json, generation_config.json, tokenizer files
        pytorch      the same folder with pytorch_model.bin (torch.save zip files) instead
        meta         a Meta folder: consolidated.00.pth … (--shards N model-parallel shards, split as \
      Meta's 13B and 70B are), params.json, tokenizer.model
        llama2c      llama2.c's model.bin (version 0, f32; --type q8_0: version 2, int8 groups of 64 \
      for runq.c) and tokenizer.bin beside it

      Without --type every tensor keeps its type (block types are copied byte for byte into GGUF \
      and widened to f32 elsewhere), so nothing is lost. --type writes llama.cpp's types with \
      llama-quantize's choices for GGUF (f16: matrices F16, norms F32; q8_0: every matrix Q8_0; \
      q4_0: matrices Q4_0, the output Q6_K; q4_k_m: llama-quantize's mix; …) and f32, f16 or \
      bf16 for the other formats. Values are converted and quantized as llama.cpp's tools do \
      (round to nearest even; ggml's reference quantizers). A value too large for f16 is an error \
      naming the tensor unless --type f16 was asked for. Every output file appears only when \
      complete; existing outputs are kept unless --force.

      Examples:
        llamakit convert models/llama-2-7b-hf llama-2-7b.F16.gguf --type f16
        llamakit convert model.F32.gguf model.Q4_K_M.gguf --type q4_k_m
        llamakit convert llama-2-13b llama-2-13b-hf --to safetensors --max-shard-size 5GB
        llamakit convert llama-2-7b.F16.gguf llama-2-7b-meta --to meta --shards 2
        llamakit convert stories15M-hf stories15M.bin
      """)

  @Argument(help: ArgumentHelp("The checkpoint to convert (file or folder).", valueName: "src"))
  var source: String

  @Argument(help: ArgumentHelp("The file or folder to write.", valueName: "dst"))
  var destination: String

  @OptionGroup var progressOptions: ProgressOptions

  @Option(help: "Target format: gguf, safetensors, pytorch, meta or llama2c (default: from DST's name).",
          completion: .list(["gguf", "safetensors", "pytorch", "meta", "llama2c"]))
  var to: String?

  @Option(
    name: .customLong("type"),
    help: "Tensor type or mix: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl, q2_k, q3_k_m, q4_k_m, q5_k_m, q6_k (default: keep each tensor's type).",
    completion: .list(["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "iq4_nl", "q2_k", "q3_k_m", "q4_k_m", "q5_k_m", "q6_k"]))
  var type: String?

  @Option(help: "Model-parallel shards for --to meta (default: 1).")
  var shards: Int?

  @Option(help: "Largest weights file for --to safetensors or pytorch, e.g. 5GB, 500MB, 2GiB or a byte count (default: one file).")
  var maxShardSize: String?

  @Flag(help: "Replace existing outputs.")
  var force = false

  static let formats = ["gguf", "safetensors", "pytorch", "meta", "llama2c"]
  static let ggufTypes = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "iq4_nl", "q2_k", "q3_k_m", "q4_k_m", "q5_k_m", "q6_k"]
  static let floatTypes = ["f32", "f16", "bf16"]

  /// The target format: --to, else from DST's name.
  var format: String? {
    if let to { return to.lowercased() }
    let name = destination.lowercased()
    return name.hasSuffix(".gguf") ? "gguf" : name.hasSuffix(".bin") ? "llama2c" : nil
  }

  func validate() throws {
    guard let format else {
      throw ValidationError("cannot tell the target format from '\(destination)': name it *.gguf or *.bin, or give --to \(Self.formats.joined(separator: "|"))")
    }
    guard Self.formats.contains(format) else {
      throw ValidationError("--to \(format): expected one of \(Self.formats.joined(separator: ", "))")
    }
    if let type {
      let allowed = format == "gguf" ? Self.ggufTypes : format == "llama2c" ? ["f32", "q8_0"] : Self.floatTypes
      guard allowed.contains(type.lowercased()) else {
        throw ValidationError("--type \(type): expected one of \(allowed.joined(separator: ", ")) for \(format)")
      }
    }
    if let shards {
      guard format == "meta" else { throw ValidationError("--shards applies to --to meta") }
      guard shards >= 1 && shards <= 99 else { throw ValidationError("--shards \(shards): expected 1 to 99") }
    }
    if let maxShardSize {
      guard format == "safetensors" || format == "pytorch" else { throw ValidationError("--max-shard-size applies to --to safetensors or pytorch") }
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
    AtomicFile.removeTemporaryFilesOnTermination()
    let reader = try ModelFiles.open(source)
    let progress = progressOptions.progress("convert")
    let type = self.type?.lowercased()
    let floatType = type.flatMap { ["f32": DType.f32, "f16": .f16, "bf16": .bf16][$0] }
    let allowsF16Overflow = type == "f16"
    let update: (ConversionProgress) -> Void = { done in
      if let last = done.last {
        progress.detail("\(done.tensors)/\(done.tensorCount) \(last.name) \(last.shape) \(last.type) \(last.byteCount) bytes")
      }
      progress.update(done.bytes, done.totalBytes, items: (done.tensors, done.tensorCount, "tensors"))
    }
    switch format {
    case "safetensors", "pytorch":
      try HuggingFaceConversion.write(
        reader, toFolder: destination, weights: format == "pytorch" ? .pytorch : .safetensors, type: floatType,
        maxShardBytes: maxShardSize.flatMap(Self.bytes), allowsF16Overflow: allowsF16Overflow, overwrite: force, progress: update)
    case "meta":
      try MetaConversion.write(
        reader, toFolder: destination, shards: shards ?? 1, type: floatType, allowsF16Overflow: allowsF16Overflow,
        overwrite: force, progress: update)
    case "llama2c":
      try Llama2CConversion.write(reader, to: destination, version: type == "q8_0" ? .quantized : .legacy, overwrite: force, progress: update)
    default:
      let plan = type.flatMap { WeightTypePlan.named($0) }
      try GGUFConversion.write(
        reader, to: destination, plan: plan, allowsF16Overflow: allowsF16Overflow, overwrite: force, progress: update)
    }
    progress.finish()
  }
}
