import GGUF
import LlamaCore
import LlamaFormats
import LlamaTokenizer

/// The shape of a real LLaMA-family model, for synthetic random-weight models of that size.
public struct ModelShape: Sendable, Equatable {
  public var name: String
  public var config: ModelConfig

  public static let known: [ModelShape] = [
    shape("tinyllama-1.1b", vocab: 32000, dim: 2048, ffn: 5632, layers: 22, heads: 32, kv: 4, context: 2048, eps: 1e-5),
    shape("open-llama-3b", vocab: 32000, dim: 3200, ffn: 8640, layers: 26, heads: 32, kv: 32, context: 2048, eps: 1e-6),
    shape("llama-7b", vocab: 32000, dim: 4096, ffn: 11008, layers: 32, heads: 32, kv: 32, context: 2048, eps: 1e-6),
    shape("llama2-7b", vocab: 32000, dim: 4096, ffn: 11008, layers: 32, heads: 32, kv: 32, context: 4096, eps: 1e-5),
    shape("llama2-13b", vocab: 32000, dim: 5120, ffn: 13824, layers: 40, heads: 40, kv: 40, context: 4096, eps: 1e-5),
    // M0's shape: a tiny model for tests and demos.
    shape("tiny", vocab: 512, dim: 256, ffn: 768, layers: 2, heads: 8, kv: 2, context: 256, eps: 1e-5),
  ]

  static func shape(
    _ name: String, vocab: Int, dim: Int, ffn: Int, layers: Int, heads: Int, kv: Int, context: Int, eps: Float
  ) -> ModelShape {
    ModelShape(
      name: name,
      config: ModelConfig(
        vocabSize: vocab, hiddenSize: dim, intermediateSize: ffn, numHiddenLayers: layers, numAttentionHeads: heads,
        numKeyValueHeads: kv, ropeTheta: 10000, rmsNormEps: eps, contextLength: context, tieWordEmbeddings: false))
  }

  public static func named(_ name: String) -> ModelShape? { known.first { $0.name == name } }
}

/// A deterministic random-weight model written as GGUF: real shapes and tensor types, random
/// values (float weights of magnitude about 0.02; quantized blocks with random bits and small
/// scales; norms 1), for measuring speed without downloading a model.
public enum SyntheticModel {
  /// Writes the model; `vocabulary` defaults to a synthetic one (special tokens, the 256 byte
  /// tokens, then made-up pieces). `progress` gets (bytes written, total bytes).
  public static func write(
    shape: ModelShape, types: WeightTypePlan, seed: UInt64, to path: String, overwrite: Bool = false,
    vocabulary: Vocabulary? = nil, progress: (Int, Int) -> Void = { _, _ in }
  ) throws {
    let config = shape.config
    if let vocabulary, vocabulary.count != config.vocabSize {
      throw FormatError.unwritable(
        path: path, detail: "the tokenizer has \(vocabulary.count) pieces; \(shape.name) needs \(config.vocabSize)")
    }
    let names = CanonicalName.all(layers: config.numHiddenLayers, tied: false)
    let plans = names.map { name in
      TensorPlan(name: name, shape: canonicalShape(name, config), type: types.type(of: name, config: config))
    }
    let writer = try GGUFWriter(
      path: path, overwrite: overwrite, metadata: metadata(shape, types, seed: seed, vocabulary: vocabulary), tensors: plans)
    let total = plans.reduce(0) { $0 + ($1.type.byteCount(elements: $1.shape.reduce(1, *)) ?? 0) }
    var done = 0
    for (index, plan) in plans.enumerated() {
      var random = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
      let rowLength = plan.shape.last!, rows = plan.shape.count == 1 ? 1 : plan.shape[0]
      let rowBytes = plan.type.byteCount(elements: rowLength)!
      let rowsPerChunk = max(1, (8 << 20) / rowBytes)
      var chunk = [UInt8](repeating: 0, count: rowsPerChunk * rowBytes)
      var row = 0
      while row < rows {
        let count = min(rowsPerChunk, rows - row)
        try chunk.withUnsafeMutableBytes { buffer in
          let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(count * rowBytes)])
          if plan.shape.count == 1 {
            fillOnes(bytes)
          } else {
            fill(bytes, type: plan.type, random: &random)
          }
          try writer.write(UnsafeRawBufferPointer(bytes))
        }
        row += count
        done += count * rowBytes
        progress(done, total)
      }
    }
    try writer.finish()
  }

  static func canonicalShape(_ name: String, _ c: ModelConfig) -> [Int] {
    let qDim = c.numAttentionHeads * c.headDim, kvDim = c.numKeyValueHeads * c.headDim
    if name == CanonicalName.tokenEmbedding || name == CanonicalName.output { return [c.vocabSize, c.hiddenSize] }
    guard let (_, tensor) = CanonicalName.parseLayer(name) else { return [c.hiddenSize] }
    switch tensor {
    case .attentionNorm, .ffnNorm: return [c.hiddenSize]
    case .attentionQ: return [qDim, c.hiddenSize]
    case .attentionK, .attentionV: return [kvDim, c.hiddenSize]
    case .attentionOutput: return [c.hiddenSize, qDim]
    case .ffnGate, .ffnUp: return [c.intermediateSize, c.hiddenSize]
    case .ffnDown: return [c.hiddenSize, c.intermediateSize]
    }
  }

  static func metadata(_ shape: ModelShape, _ types: WeightTypePlan, seed: UInt64, vocabulary: Vocabulary?) -> [(String, MetadataValue)] {
    LlamaGGUFMetadata.entries(
      config: shape.config, name: "synthetic \(shape.name) \(types.name) seed \(seed)", fileType: types.fileType,
      quantized: types.base.isQuantized, vocabulary: vocabulary)
  }

  static func fillOnes(_ bytes: UnsafeMutableRawBufferPointer) {
    for i in 0..<(bytes.count / 4) { bytes.storeBytes(of: Float(1).bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
  }

  /// Random values of `type`: floats of magnitude 1/64…1/32 with random signs; quantized
  /// blocks of random bits whose f16 scale fields are set to small positive values.
  static func fill(_ bytes: UnsafeMutableRawBufferPointer, type: DType, random: inout SplitMix64) {
    let words = bytes.count / 8
    for i in 0..<words {
      var v = random.next()
      switch type {
      case .f16:
        // sign | exponent 2^-6 | random mantissa, four halves per word.
        v = (v & 0x83FF_83FF_83FF_83FF) | 0x2400_2400_2400_2400
      case .bf16:
        v = (v & 0x807F_807F_807F_807F) | 0x3C80_3C80_3C80_3C80
      case .f32:
        v = (v & 0x807F_FFFF_807F_FFFF) | 0x3C80_0000_3C80_0000
      default:
        break
      }
      bytes.storeBytes(of: v, toByteOffset: 8 * i, as: UInt64.self)
    }
    for i in (8 * words)..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: random.next()) }
    guard type.isQuantized else { return }
    let scaleFields: [DType: [Int]] = [
      .q4_0: [0], .q4_1: [0, 2], .q5_0: [0], .q5_1: [0, 2], .q8_0: [0], .iq4_nl: [0], .q2_K: [80, 82],
      .q3_K: [108], .q4_K: [0, 2], .q5_K: [0, 2], .q6_K: [208], .iq4_xs: [0],
    ]
    // Scales chosen so that values are of order 0.01–0.05 for each type's integer range.
    let scale: [DType: Float] = [
      .q4_0: 0.004, .q4_1: 0.004, .q5_0: 0.002, .q5_1: 0.002, .q8_0: 0.0002, .iq4_nl: 0.0003, .q2_K: 0.004,
      .q3_K: 0.0003, .q4_K: 0.0003, .q5_K: 0.0002, .q6_K: 0.0001, .iq4_xs: 0.00003,
    ]
    let d = FloatConversion.half(scale[type] ?? 0.001).littleEndian
    for block in stride(from: 0, to: bytes.count, by: type.blockBytes) {
      for offset in scaleFields[type] ?? [] { bytes.storeBytes(of: d, toByteOffset: block + offset, as: UInt16.self) }
    }
  }
}

/// SplitMix64: the seeded generator of synthetic weights.
struct SplitMix64 {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
