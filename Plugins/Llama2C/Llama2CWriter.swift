import LlamaCore
import LlamaFormats
import LlamaIO

#if canImport(Glibc)
  import Glibc
#endif

/// Writes a llama2.c model file as karpathy/llama2.c's `export.py` does (formats.md §6):
/// version 0 (the legacy 28-byte header and f32 weights run.c reads, with the RoPE cos/sin
/// tables it skips) or version 2 (runq.c's 256-byte header, f32 norms, then each matrix as int8
/// values followed by its f32 group scales: scale = max|w|/127, q = round-half-even(w/scale)).
/// The tensors arrive as f32 values in the order of `tensors`; the file appears only when
/// `finish()` succeeds.
public final class Llama2CWriter: CheckpointWriter {
  public enum Version: Int, Sendable {
    case legacy = 0
    case quantized = 2
  }

  public let path: String
  /// The tensors (canonical names, f32) in the order their values must be written.
  public let tensors: [TensorPlan]
  let header: Llama2CLayout.Header
  private let file: AtomicFile
  private var data: PlannedTensorData
  /// Index in `tensors` of the tensor being written.
  private var current = 0
  /// After which tensor the v0 frequency tables go.
  private let tablesAfter: String?
  /// v2: the values of an unfinished group and the scales of the current matrix.
  private var pending: [Float] = []
  private var scales: [Float] = []

  /// The group size export.py picks: 64, halved until it divides dim.
  static func groupSize(dim: Int) -> Int {
    var size = 64
    while size > 1 && dim % size != 0 { size /= 2 }
    return size
  }

  public init(path: String, overwrite: Bool = false, config c: ModelConfig, version: Version) throws {
    self.path = path
    guard c.headDim * c.numAttentionHeads == c.hiddenSize else {
      throw FormatError.unwritable(path: path, detail: "llama2.c needs head_dim × heads = dim (\(c.headDim) × \(c.numAttentionHeads) ≠ \(c.hiddenSize))")
    }
    guard c.ropeTheta == Llama2CLayout.ropeTheta, c.rmsNormEps == Llama2CLayout.rmsNormEps else {
      throw FormatError.unwritable(
        path: path,
        detail: "the model has RoPE θ \(c.ropeTheta) and RMSNorm ε \(c.rmsNormEps); llama2.c files cannot say so (run.c assumes 10000 and 1e-5)")
    }
    header = Llama2CLayout.Header(
      version: version.rawValue, dim: c.hiddenSize, hiddenDim: c.intermediateSize, layers: c.numHiddenLayers,
      heads: c.numAttentionHeads, kvHeads: c.numKeyValueHeads, vocab: c.vocabSize,
      sequenceLength: c.contextLength ?? 2048, sharedClassifier: c.tieWordEmbeddings,
      groupSize: version == .quantized ? Self.groupSize(dim: c.hiddenSize) : 0)
    var plans: [TensorPlan] = []
    var tablesAfter: String? = nil
    for entry in Llama2CLayout.order(header) {
      switch entry {
      case .single(let name, let shape): plans.append(TensorPlan(name: name, shape: shape, type: .f32))
      case .stacked(let role, let shape):
        for layer in 0..<header.layers { plans.append(TensorPlan(name: "blk.\(layer).\(role)", shape: shape, type: .f32)) }
      case .skipped: tablesAfter = tablesAfter ?? plans.last?.name
      }
    }
    if version == .quantized {
      for plan in plans where plan.shape.count == 2 && plan.shape.reduce(1, *) % header.groupSize != 0 {
        throw FormatError.unwritable(path: path, detail: "tensor \(plan.name) has \(plan.shape.reduce(1, *)) values, not a multiple of the group size \(header.groupSize)")
      }
    }
    tensors = plans
    self.tablesAfter = tablesAfter
    data = PlannedTensorData(path: path, plans: plans)
    file = try AtomicFile(path: path, overwrite: overwrite)
    try file.write(headerBytes())
  }

  func headerBytes() -> [UInt8] {
    var out: [UInt8] = []
    func i32(_ v: Int) { for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: Int32(v) >> Int32(shift))) } }
    let h = header
    if h.version == 0 {
      for v in [h.dim, h.hiddenDim, h.layers, h.heads, h.kvHeads, h.sharedClassifier ? h.vocab : -h.vocab, h.sequenceLength] { i32(v) }
      return out
    }
    i32(Int(Int32(bitPattern: Llama2CLayout.magic)))
    i32(h.version)
    for v in [h.dim, h.hiddenDim, h.layers, h.heads, h.kvHeads, h.vocab, h.sequenceLength] { i32(v) }
    out.append(h.sharedClassifier ? 1 : 0)
    i32(h.groupSize)  // at the unaligned offset 37, as runq.c reads it
    out += [UInt8](repeating: 0, count: Llama2CLayout.headerSize - out.count)
    return out
  }

  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard current < tensors.count else { throw IOError.cannotWrite(path: path, reason: "more tensor data than planned") }
    let plan = tensors[current]
    let completed = try data.accept(bytes.count)
    if header.version == 2 && plan.shape.count == 2 {
      try quantize(bytes)
    } else {
      try file.write(bytes)
    }
    guard completed != nil else { return }
    if header.version == 2 && plan.shape.count == 2 {
      guard pending.isEmpty else { throw IOError.cannotWrite(path: path, reason: "tensor \(plan.name) ends inside a group") }
      try scales.withUnsafeBytes { try file.write($0) }
      scales.removeAll(keepingCapacity: true)
    }
    if plan.name == tablesAfter { try writeFrequencyTables() }
    current += 1
  }

  /// Appends whole groups' int8 values (their scales wait for the end of the tensor).
  private func quantize(_ bytes: UnsafeRawBufferPointer) throws {
    guard bytes.count % 4 == 0 else { throw IOError.cannotWrite(path: path, reason: "f32 data in pieces that split a value") }
    let group = header.groupSize
    var values = [Float](repeating: 0, count: bytes.count / 4)
    values.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
    if !pending.isEmpty {
      values = pending + values
      pending.removeAll()
    }
    let whole = values.count / group * group
    pending = Array(values[whole...])
    var q = [Int8](repeating: 0, count: whole)
    for start in stride(from: 0, to: whole, by: group) {
      var largest: Float = 0
      for i in start..<(start + group) {
        guard values[i].isFinite else {
          throw FormatError.unwritable(path: path, detail: "tensor \(tensors[current].name) holds \(values[i]), which int8 groups cannot store")
        }
        largest = max(largest, abs(values[i]))
      }
      let scale = largest / 127
      scales.append(scale)
      guard scale > 0 else { continue }
      for i in start..<(start + group) { q[i] = Int8((values[i] / scale).rounded(.toNearestOrEven)) }
    }
    try q.withUnsafeBytes { try file.write($0) }
  }

  /// llama2.c's `precompute_freqs_cis` tables (cos, then sin; seq_len × head_size/2, f32
  /// arithmetic as its model.py does it), which run.c skips.
  private func writeFrequencyTables() throws {
    let half = header.headSize / 2
    var frequencies = [Float](repeating: 0, count: half)
    for i in 0..<half { frequencies[i] = 1 / powf(Llama2CLayout.ropeTheta, Float(2 * i) / Float(header.headSize)) }
    for function in [cosf, sinf] as [(Float) -> Float] {
      var table = [Float](repeating: 0, count: header.sequenceLength * half)
      for t in 0..<header.sequenceLength {
        for i in 0..<half { table[t * half + i] = function(Float(t) * frequencies[i]) }
      }
      try table.withUnsafeBytes { try file.write($0) }
    }
  }

  public func finish() throws {
    try data.checkComplete()
    try file.commit()
  }
}
