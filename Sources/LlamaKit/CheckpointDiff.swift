import LlamaCore
import LlamaFormats

/// Tensor-by-tensor comparison of two checkpoints in any formats, by canonical name and in the
/// canonical (GGUF) q/k layout: the check a user runs to trust a conversion. Values are compared
/// as f32 (block types dequantized), a run of whole rows at a time, so memory stays near one
/// chunk per side whatever the tensor's size.
public struct CheckpointDiff: Sendable {
  /// One tensor present in both checkpoints.
  public struct TensorDifference: Sendable {
    public let name: String
    public let shapeA: [Int], shapeB: [Int]
    public let typeA: DType, typeB: DType
    /// nil when the shapes differ (nothing to compare value by value).
    public let maxAbsError: Double?
    public let rmsError: Double?
    /// Σab / √(Σa² Σb²) (exactly 1 for identical tensors, also all-zero ones; 0 when only one
    /// is all zeros).
    public let cosine: Double?
    /// Same shape and bit-identical f32 values.
    public let identical: Bool
  }

  public let onlyInA: [String]
  public let onlyInB: [String]
  public let tensors: [TensorDifference]

  /// Every tensor in both, same shape, bit-identical f32 values; none only on one side.
  public var identical: Bool { onlyInA.isEmpty && onlyInB.isEmpty && tensors.allSatisfy(\.identical) }

  /// Compares `a` and `b`; `progress(done, total)` is told the bytes of A's tensors compared.
  public init(_ a: any CheckpointReader, _ b: any CheckpointReader, progress: (Int, Int) -> Void = { _, _ in }) throws {
    let namesB = Set(b.tensors.map(\.name))
    let namesA = Set(a.tensors.map(\.name))
    onlyInA = a.tensors.map(\.name).filter { !namesB.contains($0) }
    onlyInB = b.tensors.map(\.name).filter { !namesA.contains($0) }
    let shared = a.tensors.filter { namesB.contains($0.name) }
    let total = shared.reduce(0) { $0 + $1.byteCount }
    var done = 0
    var tensors: [TensorDifference] = []
    for info in shared {
      tensors.append(try Self.compare(a.tensor(info.name), b.tensor(info.name), a: a.sourceName, b: b.sourceName))
      done += info.byteCount
      progress(done, total)
    }
    self.tensors = tensors
  }

  static func compare(_ x: Tensor, _ y: Tensor, a: String, b: String) throws -> TensorDifference {
    for (tensor, source) in [(x, a), (y, b)] where !tensor.dtype.isDequantizable {
      throw ModelError.invalidInput("\(source): tensor \(tensor.name) has type \(tensor.dtype), whose values LlamaKit cannot read")
    }
    guard x.shape == y.shape else {
      return TensorDifference(
        name: x.name, shapeA: x.shape, shapeB: y.shape, typeA: x.dtype, typeB: y.dtype,
        maxAbsError: nil, rmsError: nil, cosine: nil, identical: false)
    }
    let rowLength = x.rowLength, rows = x.rowCount
    let chunkRows = x.rowsPerChunk()
    var maxAbs = 0.0, squaredError = 0.0, dot = 0.0, normA = 0.0, normB = 0.0
    var identical = true
    var valuesA = [Float](repeating: 0, count: chunkRows * rowLength), valuesB = valuesA
    try x.withContiguousBytes { bytesA in
      try y.withContiguousBytes { bytesB in
        var r0 = 0
        while r0 < rows {
          let chunk = r0..<min(rows, r0 + chunkRows), count = chunk.count * rowLength
          try valuesA.withUnsafeMutableBufferPointer { try x.dequantizeRows(chunk, of: bytesA, into: $0.baseAddress!) }
          try valuesB.withUnsafeMutableBufferPointer { try y.dequantizeRows(chunk, of: bytesB, into: $0.baseAddress!) }
          for i in 0..<count {
            let p = valuesA[i], q = valuesB[i]
            if p.bitPattern != q.bitPattern { identical = false }
            let (u, v) = (Double(p), Double(q))
            let error = abs(u - v)
            // A NaN error (NaN on one side) sticks: no later comparison replaces it.
            if error.isNaN || error > maxAbs { maxAbs = error }
            squaredError += (u - v) * (u - v)
            dot += u * v
            normA += u * u
            normB += v * v
          }
          r0 += chunkRows
        }
      }
    }
    let n = Double(max(x.elementCount, 1))
    let cosine: Double
    if identical || normA == 0 || normB == 0 {
      cosine = normA == normB ? 1 : 0
    } else {
      cosine = min(1, max(-1, dot / (normA.squareRoot() * normB.squareRoot())))
    }
    return TensorDifference(
      name: x.name, shapeA: x.shape, shapeB: y.shape, typeA: x.dtype, typeB: y.dtype,
      maxAbsError: maxAbs, rmsError: (squaredError / n).squareRoot(), cosine: cosine, identical: identical)
  }
}
