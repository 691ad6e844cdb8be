import LlamaCore
import LlamaKernels

/// The memory of a session: activations for one batch, the KV cache, per-worker scratch.
/// Allocated once, 64-byte aligned, freed with the session.
final class SessionBuffers {
  let x: UnsafeMutablePointer<Float>  // residual stream [batch][dim]
  let normed: UnsafeMutablePointer<Float>  // [batch][max(dim, qDim)]
  let q: UnsafeMutablePointer<Float>  // [batch][qDim]
  let k: UnsafeMutablePointer<Float>  // [batch][kvDim]
  let v: UnsafeMutablePointer<Float>  // [batch][kvDim]
  let attention: UnsafeMutablePointer<Float>  // [batch][qDim]
  let projected: UnsafeMutablePointer<Float>  // [batch][dim]
  let gate: UnsafeMutablePointer<Float>  // [batch][ffn]
  let up: UnsafeMutablePointer<Float>  // [batch][ffn]
  let logits: UnsafeMutablePointer<Float>  // [batch][vocab]
  /// Quantized activations, one buffer per 8-bit format, rows of the widest input.
  let quantized: [ActivationFormat: UnsafeMutableRawPointer]
  let quantizedRowBytes: [ActivationFormat: Int]
  /// [layer][kvHead][position][headDim]
  let keys: UnsafeMutablePointer<Float>
  let values: UnsafeMutablePointer<Float>
  /// Attention scores, one row of `contextLength` per worker.
  let scores: UnsafeMutablePointer<Float>
  /// Batched attention, per worker: the score matrix (batch × context) and one head's values
  /// transposed (headDim × context).
  let batchScores: UnsafeMutablePointer<Float>
  let valuesTransposed: UnsafeMutablePointer<Float>
  /// RoPE cos/sin per batch token.
  let rope: UnsafeMutablePointer<Float>

  private var allocations: [UnsafeMutableRawPointer] = []

  init(config: ModelConfig, contextLength: Int, batchSize: Int, threads: Int) {
    let dim = config.hiddenSize, ffn = config.intermediateSize
    let qDim = config.numAttentionHeads * config.headDim, kvDim = config.numKeyValueHeads * config.headDim
    var allocations: [UnsafeMutableRawPointer] = []
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
      // Not zeroed: every element is written before it is read (and the KV cache of a long
      // context stays untouched, unpaged memory until used).
      let raw = UnsafeMutableRawPointer.allocate(byteCount: max(4 * count, 64), alignment: 64)
      allocations.append(raw)
      return raw.bindMemory(to: Float.self, capacity: max(count, 16))
    }
    x = floats(batchSize * dim)
    normed = floats(batchSize * max(dim, qDim))
    q = floats(batchSize * qDim)
    k = floats(batchSize * kvDim)
    v = floats(batchSize * kvDim)
    attention = floats(batchSize * qDim)
    projected = floats(batchSize * dim)
    gate = floats(batchSize * ffn)
    up = floats(batchSize * ffn)
    logits = floats(batchSize * config.vocabSize)
    let widest = max(dim, qDim, ffn)
    var quantized: [ActivationFormat: UnsafeMutableRawPointer] = [:]
    var rowBytes: [ActivationFormat: Int] = [:]
    for format in ActivationFormat.allCases {
      let bytes = format.bytes(for: (widest + 255) / 256 * 256)
      let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes * batchSize, alignment: 64)
      allocations.append(raw)
      quantized[format] = raw
      rowBytes[format] = bytes
    }
    self.quantized = quantized
    quantizedRowBytes = rowBytes
    let cache = config.numHiddenLayers * kvDim * contextLength
    keys = floats(cache)
    values = floats(cache)
    scores = floats(threads * contextLength)
    batchScores = floats(batchSize > 1 ? threads * batchSize * contextLength : 1)
    valuesTransposed = floats(batchSize > 1 ? threads * config.headDim * contextLength : 1)
    rope = floats(batchSize * config.headDim)
    self.allocations = allocations
  }

  deinit {
    for raw in allocations { raw.deallocate() }
  }
}
