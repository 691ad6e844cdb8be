import GGUF
import LlamaCore
import LlamaFormats
import LlamaTokenizer

/// Any readable checkpoint written as a GGUF v3 file the way llama.cpp's tools lay it out:
/// convert_hf_to_gguf.py's metadata and tensor order, and either the source's own tensor types
/// (lossless) or one of llama-quantize's types and mixes (`WeightTypePlan`, the same tensor
/// choices as llama-quantize). Tensors stream a run of rows at a time: memory stays near one
/// chunk, whatever the model's size; the file appears only when complete.
public enum GGUFConversion {
  /// Writes `reader`'s model to `path`. `plan` nil keeps every matrix's type (block types
  /// included: their bytes are copied) and writes vectors as F32. `progress` gets (bytes read,
  /// total bytes).
  public static func write(
    _ reader: any CheckpointReader, to path: String, plan: WeightTypePlan?, allowsF16Overflow: Bool = false,
    overwrite: Bool = false, progress: (ConversionProgress) -> Void = { _ in }
  ) throws {
    let config = reader.config
    guard let vocabulary = try reader.vocabulary() else {
      throw FormatError.unwritable(
        path: path, detail: "\(reader.sourceName) has no tokenizer (tokenizer.model or tokenizer.json beside it), which a GGUF file must carry")
    }
    guard vocabulary.count == config.vocabSize else {
      throw FormatError.unwritable(
        path: path, detail: "the tokenizer has \(vocabulary.count) pieces, the model's embedding \(config.vocabSize) rows")
    }
    let tensors = reader.tensors
    var plans: [TensorPlan] = []
    for info in tensors {
      // Vectors (the norms) are F32 in every GGUF llama.cpp writes, and its kernels expect
      // that (a BF16 norm aborts its CPU backend); f16 and bf16 widen to f32 exactly.
      let kept = info.shape.count == 1 && info.dtype != .f32 && info.dtype.isDequantizable ? .f32 : info.dtype
      let type = plan.map { fallback($0.type(of: info.name, config: config), rowLength: info.shape.last ?? 0) } ?? kept
      guard type == info.dtype || Quantization.encoder(for: type) != nil else {
        throw FormatError.unwritable(path: path, detail: "tensor \(info.name): writing \(type) is not supported yet")
      }
      guard info.dtype.isDequantizable || type == info.dtype else {
        throw FormatError.unwritable(path: path, detail: "tensor \(info.name): \(reader.sourceName) stores it as \(info.dtype), which LlamaKit cannot read")
      }
      plans.append(TensorPlan(name: info.name, shape: info.shape, type: type))
    }
    let fileType = plan?.fileType ?? Self.fileType(of: plans)
    let metadata = LlamaGGUFMetadata.entries(
      config: config, name: Self.modelName(reader), fileType: fileType,
      quantized: plans.contains { $0.type.isQuantized }, vocabulary: vocabulary)
    let writer = try GGUFWriter(path: path, overwrite: overwrite, metadata: metadata, tensors: plans)
    var done = ConversionProgress(tensorCount: plans.count, totalBytes: plans.reduce(0) { $0 + $1.byteCount })
    for (info, target) in zip(tensors, plans) {
      try TensorEncoding.write(try reader.tensor(info.name), as: target.type, allowsF16Overflow: allowsF16Overflow) {
        try writer.write($0)
      }
      done.add(target)
      progress(done)
    }
    try writer.finish()
  }

  /// llama-quantize's replacement for a type whose blocks do not divide the rows: K-quants go
  /// to a 32-element type, anything that still does not fit to F16.
  static func fallback(_ type: DType, rowLength: Int) -> DType {
    func fits(_ t: DType) -> Bool { rowLength % t.blockSize == 0 }
    if fits(type) { return type }
    let replacement: DType
    switch type {
    // Q2_K and Q3_K become Q4_0 in the llama.cpp the reference files were made with (commit
    // 0c1e570; checked with llama_model_quantize on M1, whose rows are 128 long).
    case .q2_K, .q3_K: replacement = .q4_0
    case .iq4_xs: replacement = .iq4_nl
    case .q4_K: replacement = .q5_0
    case .q5_K: replacement = .q5_1
    case .q6_K: replacement = .q8_0
    default: replacement = .f16
    }
    return fits(replacement) ? replacement : .f16
  }

  /// llama.cpp's `general.file_type` for a file that keeps its source's types: the type of most
  /// matrix bytes (F32 0, F16 1, BF16 32, Q8_0 7, Q4_0 2, …; "mostly" that type).
  static func fileType(of plans: [TensorPlan]) -> Int64 {
    var bytes: [DType: Int] = [:]
    for plan in plans where plan.shape.count == 2 { bytes[plan.type, default: 0] += plan.byteCount }
    let main = bytes.max { $0.value < $1.value }?.key ?? .f32
    return WeightTypePlan.all.first { $0.base == main }?.fileType ?? 0
  }

  /// The model's name for general.name: the source's own, else its folder or file name.
  static func modelName(_ reader: any CheckpointReader) -> String {
    if let entry = reader.metadata.first(where: { $0.key == "general.name" }), case .string(let name) = entry.value {
      return name
    }
    let path = reader.sourceName
    let parts = path.split(separator: "/")
    guard let last = parts.last else { return "model" }
    let file = String(last)
    let isFile = file.contains(".")
    return isFile && parts.count >= 2 ? String(parts[parts.count - 2]) : file
  }
}
