import LlamaCore
import LlamaKernels

/// A LLaMA / Llama 2 model ready to run: the weights of any checkpoint, asked for by canonical
/// name through the format-blind lookup, with every shape checked against the configuration.
public final class LlamaModel: @unchecked Sendable {
  public let config: ModelConfig
  /// Names the checkpoint in errors.
  public let source: String

  struct Layer {
    let attentionNorm: [Float]
    let q: WeightMatrix
    let k: WeightMatrix
    let v: WeightMatrix
    let attentionOutput: WeightMatrix
    let ffnNorm: [Float]
    let gate: WeightMatrix
    let up: WeightMatrix
    let down: WeightMatrix
  }

  let embedding: Tensor
  let embeddingBytes: UnsafeRawPointer
  let layers: [Layer]
  let outputNorm: [Float]
  let output: WeightMatrix

  /// Loads the model; a tensor that is missing, has the wrong shape or a type the kernels do
  /// not handle is an error naming it. The CPU is checked first.
  public init(config: ModelConfig, tensors: any TensorSource) throws {
    let cpu = CPUFeatures.current
    guard cpu.missing.isEmpty else { throw ModelError.unsupportedCPU(missing: cpu.missing) }
    self.config = config
    source = tensors.sourceName
    let dim = config.hiddenSize, ffn = config.intermediateSize
    let qDim = config.numAttentionHeads * config.headDim, kvDim = config.numKeyValueHeads * config.headDim
    let source = self.source

    func matrix(_ name: String, _ rows: Int, _ columns: Int) throws -> WeightMatrix {
      try WeightMatrix(tensors.tensor(name, shape: [rows, columns]), source: source)
    }
    func vector(_ name: String) throws -> [Float] {
      let tensor = try tensors.tensor(name, shape: [dim])
      guard tensor.dtype.isDequantizable else {
        throw ModelError.unsupportedType(source: source, name: name, type: tensor.dtype.name)
      }
      return try tensor.floats()
    }

    embedding = try tensors.tensor(CanonicalName.tokenEmbedding, shape: [config.vocabSize, dim])
    guard embedding.dtype.isDequantizable, dim % embedding.dtype.blockSize == 0 else {
      throw ModelError.unsupportedType(source: source, name: embedding.name, type: embedding.dtype.name)
    }
    if case .contiguous(let bytes, _) = embedding.storage {
      embeddingBytes = bytes.baseAddress!
      embeddingOwner = embedding
    } else {
      let embedding = self.embedding
      let copy = OwnedBytes(count: embedding.byteCount) { embedding.copyBytes(to: $0) }
      embeddingBytes = copy.buffer.baseAddress!
      embeddingOwner = copy
    }

    layers = try (0..<config.numHiddenLayers).map { i in
      func name(_ tensor: CanonicalName.Layer) -> String { CanonicalName.layer(i, tensor) }
      return Layer(
        attentionNorm: try vector(name(.attentionNorm)),
        q: try matrix(name(.attentionQ), qDim, dim),
        k: try matrix(name(.attentionK), kvDim, dim),
        v: try matrix(name(.attentionV), kvDim, dim),
        attentionOutput: try matrix(name(.attentionOutput), dim, qDim),
        ffnNorm: try vector(name(.ffnNorm)),
        gate: try matrix(name(.ffnGate), ffn, dim),
        up: try matrix(name(.ffnUp), ffn, dim),
        down: try matrix(name(.ffnDown), dim, ffn))
    }
    outputNorm = try vector(CanonicalName.outputNorm)
    // A tied model (or one whose file omits output.weight, as llama.cpp allows) multiplies by
    // the token embedding.
    if !config.tieWordEmbeddings, tensors.contains(CanonicalName.output) {
      output = try matrix(CanonicalName.output, config.vocabSize, dim)
    } else {
      output = try WeightMatrix(embedding, source: source)
    }
  }

  /// Keeps `embeddingBytes` alive.
  private let embeddingOwner: AnyObject

  /// Writes the embedding of `token` (dequantized) to `out`.
  func embed(_ token: Int, into out: UnsafeMutablePointer<Float>) throws {
    let dim = config.hiddenSize
    let row = embeddingBytes + token * embedding.rowBytes
    try Dequantization.dequantize(
      embedding.dtype, UnsafeRawBufferPointer(start: row, count: embedding.rowBytes), count: dim, into: out)
  }

  /// The weight types in use, most common first, for reports ("Q4_0 ×154, Q6_K ×1").
  public var weightTypes: [(type: DType, count: Int)] {
    var counts: [DType: Int] = [:]
    for layer in layers {
      for m in [layer.q, layer.k, layer.v, layer.attentionOutput, layer.gate, layer.up, layer.down] {
        counts[m.kernel.type, default: 0] += 1
      }
    }
    counts[output.kernel.type, default: 0] += 1
    return counts.map { ($0.key, $0.value) }.sorted { $0.count > $1.count || ($0.count == $1.count && $0.type.name < $1.type.name) }
  }

  /// Multiply-adds of the layer matrices for one token (without the output head, which a
  /// prompt batch applies to its last token only).
  public var layerMACsPerToken: Int {
    layers.reduce(0) { total, layer in
      total + [layer.q, layer.k, layer.v, layer.attentionOutput, layer.gate, layer.up, layer.down].reduce(0) { $0 + $1.rows * $1.columns }
    }
  }

  /// Multiply-adds of the output head for one token.
  public var outputMACs: Int { output.rows * output.columns }

  /// Bytes of weights a forward pass of one token reads (every matrix once, one embedding row).
  public var bytesPerToken: Int {
    var total = embedding.rowBytes
    for layer in layers {
      for m in [layer.q, layer.k, layer.v, layer.attentionOutput, layer.gate, layer.up, layer.down] { total += m.rows * m.rowBytes }
    }
    return total + output.rows * output.rowBytes
  }
}
