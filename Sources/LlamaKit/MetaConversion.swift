import LlamaCore
import LlamaFormats
import LlamaIO
import PyTorch

#if canImport(Glibc)
  import Glibc
#endif

/// Any readable checkpoint written as a Meta checkpoint folder (formats.md §4): `params.json`,
/// `consolidated.00.pth` … one `torch.save` file per model-parallel rank, and `tokenizer.model`.
/// Meta's names, the interleaved q/k layout (the canonical one: no permutation), and with
/// `shards` > 1 the split of Meta's fairscale layers: wq, wk, wv, w1, w3 and output by rows,
/// wo, w2 and the embedding (Llama 2's ParallelEmbedding) by columns, the norms in every shard.
/// `rope.freqs` is written as Meta's checkpoints carry it; a tied output becomes its own
/// `output.weight` (Meta's model has no tying).
public enum MetaConversion {
  public static func write(
    _ reader: any CheckpointReader, toFolder folder: String, shards: Int = 1, type: DType? = nil,
    allowsF16Overflow: Bool = false, overwrite: Bool = false, progress: (ConversionProgress) -> Void = { _ in }
  ) throws {
    let config = reader.config
    if let type, !TorchCheckpointWriter.writableTypes.contains(type) {
      throw FormatError.unwritable(path: folder, detail: "Meta checkpoints hold f32, f16 or bf16, not \(type)")
    }
    guard shards >= 1, config.numAttentionHeads % shards == 0, config.numKeyValueHeads % shards == 0 else {
      throw FormatError.unwritable(
        path: folder,
        detail: "\(shards) shards do not divide the \(config.numAttentionHeads) attention and \(config.numKeyValueHeads) key/value heads")
    }
    // (canonical source tensor, Meta name, split dimension, shard shape, type)
    var entries: [(source: String, name: String, dimension: Int?, shape: [Int], type: DType)] = []
    var names = reader.tensors.map(\.name)
    if !names.contains(CanonicalName.output), names.contains(CanonicalName.tokenEmbedding) {
      let position = (names.firstIndex(of: CanonicalName.outputNorm) ?? names.count - 1) + 1
      names.insert(CanonicalName.output, at: min(position, names.count))
    }
    let infos = Dictionary(reader.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    for canonical in names {
      let info = infos[canonical] ?? infos[CanonicalName.tokenEmbedding]!
      guard let name = TensorNameMap.meta.external(canonical) else {
        throw FormatError.unwritable(path: folder, detail: "tensor \(canonical) has no Meta name")
      }
      guard info.dtype.isDequantizable else {
        throw FormatError.unwritable(path: folder, detail: "tensor \(info.name): \(reader.sourceName) stores it as \(info.dtype), which LlamaKit cannot read")
      }
      let dimension = shards == 1 ? nil : splitDimension(canonical)
      var shape = info.shape
      if let dimension {
        guard shape.count == 2, shape[dimension] % shards == 0 else {
          throw FormatError.unwritable(path: folder, detail: "tensor \(canonical) \(shape) does not split in \(shards) along dimension \(dimension)")
        }
        shape[dimension] /= shards
      }
      let target = type ?? (TorchCheckpointWriter.writableTypes.contains(info.dtype) ? info.dtype : .f32)
      entries.append((info.name, name, dimension, shape, target))
    }
    let mainType = type ?? entries.first { $0.shape.count == 2 }?.type ?? .f32
    let fileNames = (0..<shards).map { "consolidated.\($0 < 10 ? "0" : "")\($0).pth" }
    let output = try OutputFolder(folder, overwrite: overwrite, files: fileNames + ["params.json"])

    let frequencies = ropeFrequencies(config, type: mainType)
    var done = ConversionProgress(
      tensorCount: entries.count * shards,
      totalBytes: entries.reduce(0) { $0 + TensorPlan(name: $1.name, shape: $1.shape, type: $1.type).byteCount } * shards)
    for rank in 0..<shards {
      let plans = entries.map { TensorPlan(name: $0.name, shape: $0.shape, type: $0.type) }
        + [TensorPlan(name: "rope.freqs", shape: [config.headDim / 2], type: mainType)]
      let writer = try TorchCheckpointWriter(path: output.file(fileNames[rank]), overwrite: true, tensors: plans)
      for (entry, plan) in zip(entries, plans) {
        var encoding = TensorEncoding(allowsF16Overflow: allowsF16Overflow)
        let tensor = try reader.tensor(entry.source)
        if entry.dimension == 0 { encoding.rows = (rank * entry.shape[0])..<((rank + 1) * entry.shape[0]) }
        if entry.dimension == 1 { encoding.columns = (rank * entry.shape[1])..<((rank + 1) * entry.shape[1]) }
        try encoding.write(tensor, as: entry.type) { try writer.write($0) }
        done.add(plan)
        progress(done)
      }
      try frequencies.withUnsafeBytes { try writer.write($0) }
      try writer.finish()
      output.finished(fileNames[rank])
    }
    try output.write(Array(paramsJSON(config).utf8), to: "params.json")
    try HuggingFaceConversion.copyTokenizerFiles(from: reader, to: output, names: ["tokenizer.model"])
    output.complete()
  }

  /// fairscale's split: column-parallel layers by rows, row-parallel ones and Llama 2's
  /// ParallelEmbedding by columns, the norms replicated (nil).
  static func splitDimension(_ canonical: String) -> Int? {
    switch canonical {
    case CanonicalName.tokenEmbedding: return 1
    case CanonicalName.output: return 0
    case CanonicalName.outputNorm: return nil
    default:
      switch CanonicalName.parseLayer(canonical)?.1 {
      case .attentionQ, .attentionK, .attentionV, .ffnGate, .ffnUp: return 0
      case .attentionOutput, .ffnDown: return 1
      default: return nil
      }
    }
  }

  /// `rope.freqs` as Meta's Llama 1/2 checkpoints hold it: 1/θ^(2i/head_dim), i < head_dim/2,
  /// computed in double precision and stored in the model's type.
  static func ropeFrequencies(_ config: ModelConfig, type: DType) -> [UInt8] {
    let half = config.headDim / 2
    var values = [Float](repeating: 0, count: half)
    for i in 0..<half {
      values[i] = Float(1.0 / pow(Double(config.ropeTheta), Double(2 * i) / Double(config.headDim)))
    }
    var bytes = [UInt8](repeating: 0, count: type.byteCount(elements: half) ?? 0)
    values.withUnsafeBufferPointer { v in
      bytes.withUnsafeMutableBytes { Quantization.encoder(for: type)!(v.baseAddress!, half, $0.baseAddress!) }
    }
    return bytes
  }

  /// params.json with Meta's ModelArgs fields; `multiple_of` and `ffn_dim_multiplier` are
  /// chosen so that Meta's FFN rule gives the model's intermediate size.
  static func paramsJSON(_ c: ModelConfig) -> String {
    let (multipleOf, multiplier) = ffnParameters(dim: c.hiddenSize, hidden: c.intermediateSize)
    let object = JSONObject([
      ("dim", .number(c.hiddenSize)),
      ("n_layers", .number(c.numHiddenLayers)),
      ("n_heads", .number(c.numAttentionHeads)),
      ("n_kv_heads", .number(c.numKeyValueHeads)),
      ("vocab_size", .number(c.vocabSize)),
      ("multiple_of", .number(multipleOf)),
      ("ffn_dim_multiplier", multiplier.map { JSON.number($0) } ?? .null),
      ("norm_eps", .number(c.rmsNormEps)),
      ("rope_theta", .number(c.ropeTheta)),
    ])
    return JSON.object(object).serialized(pretty: true) + "\n"
  }

  /// Meta's rule (formats.md §4.2): h = int(2·4·dim/3); h = int(multiplier·h) when given;
  /// rounded up to a multiple of `multiple_of`. The largest power of two up to 256 that gives
  /// `hidden` without a multiplier, else the multiplier hidden/h with `multiple_of` 1.
  static func ffnParameters(dim: Int, hidden: Int) -> (multipleOf: Int, multiplier: Float?) {
    let h = 2 * (4 * dim) / 3
    for multipleOf in [256, 128, 64, 32, 16, 8, 4, 2, 1] where (h + multipleOf - 1) / multipleOf * multipleOf == hidden {
      return (multipleOf, nil)
    }
    // Shortest multiplier m with int(m·h) == hidden, in float64 arithmetic as Python does it.
    var best = Float(Double(hidden) / Double(h))
    for digits in 1...9 {
      let scale = pow(10.0, Double(digits))
      let candidate = (Double(hidden) / Double(h) * scale).rounded(.up) / scale
      if Int(candidate * Double(h)) == hidden {
        best = Float(candidate)
        break
      }
    }
    return (1, best)
  }
}
