import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaTokenizer

/// A llama2.c checkpoint: version 0 (legacy header, run.c), 1 (fp32) or 2 (int8 groups, runq.c),
/// shared or separate classifier, with `tokenizer.bin` beside it for the vocabulary. Float
/// tensors are views of the mapping; version-2 int8 groups are dequantized when a tensor is
/// requested (`q·scale`, as runq.c does).
public final class Llama2CReader: CheckpointReader, @unchecked Sendable {
  public let format = Llama2CFormat.id
  public let formatDescription: String
  public let files: [String]
  public let config: ModelConfig
  public let metadata: [MetadataEntry]
  public let tensors: [TensorInfo]
  let file: MappedFile
  let header: Llama2CLayout.Header
  /// Canonical name → (offset of the data, element count, shape).
  private let locations: [String: (offset: Int, count: Int, shape: [Int])]
  private let path: String

  /// Whether the bytes start like a llama2.c model (magic, or a v0 header predicting the size).
  static func recognizes(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard bytes.count >= Llama2CLayout.legacyHeaderSize else { return false }
    if bytes.loadUnaligned(as: UInt32.self).littleEndian == Llama2CLayout.magic { return true }
    guard let header = try? legacyHeader(bytes, path: "") else { return false }
    return legacySize(header) == bytes.count
  }

  public init(path: String) throws {
    self.path = path
    file = try MappedFile(path: path)
    let (header, dataStart) = try file.withUnsafeBytes { bytes -> (Llama2CLayout.Header, Int) in
      guard bytes.count >= 8 else { throw FormatError.malformed(path: path, detail: "too short for a llama2.c header") }
      if bytes.loadUnaligned(as: UInt32.self).littleEndian == Llama2CLayout.magic {
        return (try Self.versionedHeader(bytes, path: path), Llama2CLayout.headerSize)
      }
      let header = try Self.legacyHeader(bytes, path: path)
      guard let size = Self.legacySize(header), size == bytes.count else {
        throw FormatError.malformed(
          path: path,
          detail: "version-0 header (dim \(header.dim), \(header.layers) layers, vocab \(header.vocab)) needs \(Self.legacySize(header).map(String.init) ?? "an impossible number of") bytes, the file has \(bytes.count)")
      }
      return (header, Llama2CLayout.legacyHeaderSize)
    }
    self.header = header
    formatDescription = "llama2.c version \(header.version)" + (header.version == 2 ? " (int8 groups of \(header.groupSize))" : "")
    config = try ModelConfig(
      vocabSize: header.vocab, hiddenSize: header.dim, intermediateSize: header.hiddenDim,
      numHiddenLayers: header.layers, numAttentionHeads: header.heads, numKeyValueHeads: header.kvHeads,
      ropeTheta: Llama2CLayout.ropeTheta, rmsNormEps: Llama2CLayout.rmsNormEps,
      contextLength: header.sequenceLength, tieWordEmbeddings: header.sharedClassifier
    ).validated(path: path)
    let tokenizer = Self.sibling(path, "tokenizer.bin")
    files = [path] + (fileExists(atPath: tokenizer) ? [tokenizer] : [])
    metadata = [
      MetadataEntry("version", .integer(Int64(header.version), type: "i32")),
      MetadataEntry("dim", .integer(Int64(header.dim), type: "i32")),
      MetadataEntry("hidden_dim", .integer(Int64(header.hiddenDim), type: "i32")),
      MetadataEntry("n_layers", .integer(Int64(header.layers), type: "i32")),
      MetadataEntry("n_heads", .integer(Int64(header.heads), type: "i32")),
      MetadataEntry("n_kv_heads", .integer(Int64(header.kvHeads), type: "i32")),
      MetadataEntry("vocab_size", .integer(Int64(header.vocab), type: "i32")),
      MetadataEntry("seq_len", .integer(Int64(header.sequenceLength), type: "i32")),
      MetadataEntry("shared_classifier", .bool(header.sharedClassifier)),
    ] + (header.version == 2 ? [MetadataEntry("group_size", .integer(Int64(header.groupSize), type: "i32"))] : [])
    (tensors, locations) = try Self.layOut(header, file: file, dataStart: dataStart, path: path)
  }

  static func sibling(_ path: String, _ name: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return name }
    return String(path[...slash]) + name
  }

  static func legacyHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Llama2CLayout.Header {
    var r = ByteReader(bytes, source: path)
    var fields: [Int] = []
    for name in ["dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"] {
      fields.append(Int(try r.i32(name)))
    }
    return try checked(
      Llama2CLayout.Header(
        version: 0, dim: fields[0], hiddenDim: fields[1], layers: fields[2], heads: fields[3], kvHeads: fields[4],
        vocab: abs(fields[5]), sequenceLength: fields[6], sharedClassifier: fields[5] > 0, groupSize: 0),
      path: path)
  }

  static func versionedHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Llama2CLayout.Header {
    var r = ByteReader(bytes, source: path)
    try r.require(Llama2CLayout.headerSize, "256-byte header")
    _ = try r.u32("magic")
    let version = Int(try r.i32("version"))
    guard version == 1 || version == 2 else {
      throw FormatError.unsupportedVersion(path: path, detail: "llama2.c version \(version) (0, 1 and 2 are supported)")
    }
    var fields: [Int] = []
    for name in ["dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "max_seq_len"] {
      fields.append(Int(try r.i32(name)))
    }
    let shared = try r.u8("shared_classifier")
    guard shared <= 1 else { throw FormatError.malformed(path: path, detail: "shared_classifier is \(shared), expected 0 or 1") }
    // runq.c's header has the group size at the unaligned byte offset 37.
    let groupSize = version == 2 ? Int(try r.i32("group_size")) : 0
    if version == 2 && groupSize <= 0 {
      throw FormatError.malformed(path: path, detail: "group_size \(groupSize) is not positive")
    }
    guard fields[5] > 0 else { throw FormatError.malformed(path: path, detail: "vocab_size \(fields[5]) is not positive") }
    return try checked(
      Llama2CLayout.Header(
        version: version, dim: fields[0], hiddenDim: fields[1], layers: fields[2], heads: fields[3], kvHeads: fields[4],
        vocab: fields[5], sequenceLength: fields[6], sharedClassifier: shared == 1, groupSize: groupSize),
      path: path)
  }

  /// Header values must be positive, within the model limits, and heads must divide dim.
  static func checked(_ h: Llama2CLayout.Header, path: String) throws -> Llama2CLayout.Header {
    let limits = ModelConfig.limits
    for (name, value, limit) in [
      ("dim", h.dim, limits.dimension), ("hidden_dim", h.hiddenDim, limits.dimension), ("n_layers", h.layers, limits.layers),
      ("n_heads", h.heads, limits.heads), ("n_kv_heads", h.kvHeads, limits.heads), ("vocab_size", h.vocab, limits.vocabulary),
      ("seq_len", h.sequenceLength, 1 << 24),
    ] where value <= 0 || value > limit {
      throw FormatError.malformed(path: path, detail: "\(name) is \(value) (must be 1 to \(limit))")
    }
    guard h.dim % h.heads == 0, h.heads % h.kvHeads == 0 else {
      throw FormatError.malformed(path: path, detail: "dim \(h.dim), n_heads \(h.heads), n_kv_heads \(h.kvHeads) do not divide")
    }
    return h
  }

  /// Bytes of a version-0 file with this header (nil on overflow).
  static func legacySize(_ h: Llama2CLayout.Header) -> Int? {
    var total = Llama2CLayout.legacyHeaderSize
    for entry in Llama2CLayout.legacyOrder(h) {
      let count: Int?
      switch entry {
      case .single(_, let shape): count = elementCount(shape)
      case .stacked(_, let shape):
        let perLayer = elementCount(shape)
        let product = perLayer?.multipliedReportingOverflow(by: h.layers)
        count = product.flatMap { $0.overflow ? nil : $0.partialValue }
      case .skipped(let elements): count = elements
      }
      guard let count, count <= Int.max / 4 else { return nil }
      let (sum, overflow) = total.addingReportingOverflow(count * 4)
      if overflow { return nil }
      total = sum
    }
    return total
  }

  /// Places every tensor and checks that the file holds exactly what the header describes.
  private static func layOut(_ h: Llama2CLayout.Header, file: MappedFile, dataStart: Int, path: String) throws
    -> ([TensorInfo], [String: (offset: Int, count: Int, shape: [Int])])
  {
    var offset = dataStart
    var infos: [TensorInfo] = []
    var locations: [String: (offset: Int, count: Int, shape: [Int])] = [:]
    let quantized = h.version == 2
    func place(_ name: String, _ shape: [Int]) throws {
      guard let count = elementCount(shape) else { throw FormatError.malformed(path: path, detail: "tensor \(name) is too large") }
      let bytes: Int
      if quantized && shape.count == 2 {
        guard count % h.groupSize == 0 else {
          throw FormatError.malformed(path: path, detail: "tensor \(name) has \(count) values, not a multiple of group_size \(h.groupSize)")
        }
        bytes = count + 4 * (count / h.groupSize)
      } else {
        bytes = 4 * count
      }
      guard offset <= file.count - bytes else {
        throw FormatError.malformed(path: path, detail: "tensor \(name) (\(bytes) bytes at offset \(offset)) runs past the end of the file (\(file.count) bytes)")
      }
      locations[name] = (offset, count, shape)
      infos.append(TensorInfo(
        name: name, originalName: name, shape: shape, dtype: .f32, byteCount: 4 * count, file: path, offset: offset,
        note: quantized && shape.count == 2 ? "stored as int8 groups of \(h.groupSize) with f32 scales; read as f32" : nil))
      offset += bytes
    }
    for entry in Llama2CLayout.order(h) {
      switch entry {
      case .single(let name, let shape): try place(name, shape)
      case .stacked(let role, let shape):
        for layer in 0..<h.layers { try place("blk.\(layer).\(role)", shape) }
      case .skipped(let elements):
        guard offset <= file.count - 4 * elements else {
          throw FormatError.malformed(path: path, detail: "frequency table runs past the end of the file")
        }
        offset += 4 * elements
      }
    }
    guard offset == file.count else {
      throw FormatError.malformed(path: path, detail: "the header describes \(offset) bytes but the file has \(file.count)")
    }
    // Sort as the other formats list them (embedding, layers, final norm, output).
    let order = Dictionary(uniqueKeysWithValues: CanonicalName.all(layers: h.layers, tied: false).enumerated().map { ($1, $0) })
    return (infos.sorted { (order[$0.name] ?? .max) < (order[$1.name] ?? .max) }, locations)
  }

  public func contains(_ name: String) -> Bool { locations[name] != nil }

  public func tensor(_ name: String) throws -> Tensor {
    guard let (offset, count, shape) = locations[name] else { throw FormatError.missingTensor(path: path, name: name) }
    if header.version == 2 && shape.count == 2 {
      // int8 q[count] then f32 scale[count / group]: w = q·scale.
      let group = header.groupSize
      var values = [Float](repeating: 0, count: count)
      file.withUnsafeBytes { bytes in
        let base = bytes.baseAddress! + offset
        for i in 0..<count {
          let scale = Float(bitPattern: base.loadUnaligned(fromByteOffset: count + 4 * (i / group), as: UInt32.self).littleEndian)
          values[i] = Float(base.load(fromByteOffset: i, as: Int8.self)) * scale
        }
      }
      let owned = OwnedBytes(values.withUnsafeBytes { Array($0) })
      return Tensor(name: name, shape: shape, dtype: .f32, storage: .contiguous(owned.buffer, owner: owned))
    }
    let bytes = file.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + 4 * count)]) }
    return Tensor(name: name, shape: shape, dtype: .f32, storage: .contiguous(bytes, owner: file))
  }

  public func vocabulary() throws -> Vocabulary? {
    let tokenizer = Self.sibling(path, "tokenizer.bin")
    guard fileExists(atPath: tokenizer) else { return nil }
    let vocabulary = try Llama2CTokenizerFile(path: tokenizer).loadVocabulary()
    guard vocabulary.count == header.vocab else {
      throw FormatError.malformed(path: tokenizer, detail: "has \(vocabulary.count) pieces but the model's vocab_size is \(header.vocab)")
    }
    return vocabulary
  }
}
