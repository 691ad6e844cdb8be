import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaTokenizer

/// A GGUF file, mapped: metadata and tensor infos parsed up front, tensor data handed out as
/// zero-copy views. Any GGUF file (a model, an adapter, a test file); `GGUFReader` is the model
/// view on top of it.
public final class GGUFFile: @unchecked Sendable {
  public let path: String
  public let version: UInt32
  public let metadata: [MetadataEntry]
  public let tensors: [TensorInfo]
  let file: MappedFile
  let parsed: GGUFParser
  private let index: [String: Int]

  public init(path: String) throws {
    self.path = path
    file = try MappedFile(path: path)
    let parsed = try GGUFParser(file.reader())
    self.parsed = parsed
    version = parsed.version
    metadata = parsed.metadata
    tensors = parsed.tensors.map { t in
      TensorInfo(
        name: t.name, originalName: t.name, shape: t.shape, dtype: t.type, byteCount: t.byteCount ?? 0,
        file: path, offset: parsed.dataOffset + t.offset,
        note: t.byteCount == nil ? "unknown tensor type: data not readable" : nil)
    }
    index = Dictionary(uniqueKeysWithValues: parsed.tensors.enumerated().map { ($1.name, $0) })
  }

  public func contains(_ name: String) -> Bool { index[name] != nil }

  /// A zero-copy view of a tensor's data (shape in row-major order).
  public func tensor(_ name: String) throws -> Tensor {
    guard let i = index[name] else { throw FormatError.missingTensor(path: path, name: name) }
    let t = parsed.tensors[i]
    guard let byteCount = t.byteCount else {
      throw FormatError.unsupportedTensorType(path: path, name: name, type: t.type.name)
    }
    let start = parsed.dataOffset + t.offset
    let bytes = file.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[start..<(start + byteCount)]) }
    return Tensor(name: name, shape: t.shape, dtype: t.type, storage: .contiguous(bytes, owner: file))
  }
}

/// A GGUF model (GGUF already holds the canonical names, shapes reversed, and the interleaved
/// q/k layout).
public final class GGUFReader: CheckpointReader, @unchecked Sendable {
  public let format = GGUFFormat.id
  public let config: ModelConfig
  public let formatDescription: String
  public let gguf: GGUFFile

  public init(path: String) throws {
    gguf = try GGUFFile(path: path)
    formatDescription = "GGUF v\(gguf.version)"
    config = try GGUFConfig.config(metadata: gguf.metadata, tensors: gguf.parsed.tensors, path: path)
  }

  public var files: [String] { [gguf.path] }
  public var metadata: [MetadataEntry] { gguf.metadata }
  public var tensors: [TensorInfo] { gguf.tensors }
  public func contains(_ name: String) -> Bool { gguf.contains(name) }
  public func tensor(_ name: String) throws -> Tensor { try gguf.tensor(name) }

  public func vocabulary() throws -> Vocabulary? {
    guard GGUFVocabulary.isPresent(in: gguf.metadata) else { return nil }
    return try GGUFVocabulary(metadata: gguf.metadata, origin: gguf.path).loadVocabulary()
  }
}

/// Hyperparameters from the `<arch>.*` keys (formats.md §1.2).
enum GGUFConfig {
  static func config(metadata: [MetadataEntry], tensors: [GGUFTensorInfo], path: String) throws -> ModelConfig {
    var values: [String: MetadataValue] = [:]
    for entry in metadata { values[entry.key] = entry.value }
    func fail(_ detail: String) -> FormatError { .invalidConfig(path: path, detail: detail) }
    guard let architecture = values[GGUFLayout.Key.architecture]?.stringValue else {
      throw fail("general.architecture is missing")
    }
    guard architecture == "llama" else {
      throw FormatError.unsupportedVersion(path: path, detail: "architecture \(architecture) (only llama is supported)")
    }
    let prefix = architecture + "."
    /// An integer key; per-layer arrays must hold one value.
    func integer(_ key: String, default fallback: Int? = nil) throws -> Int {
      guard let value = values[prefix + key] else {
        if let fallback { return fallback }
        throw fail("\(prefix + key) is missing")
      }
      if let number = value.intValue, let int = Int(exactly: number) { return int }
      if let items = value.arrayValue, let first = items.first?.intValue,
        items.allSatisfy({ $0.intValue == first }), let int = Int(exactly: first)
      {
        return int
      }
      if case .unsigned(let huge) = value { throw fail("\(prefix + key) is \(huge), out of range") }
      throw fail("\(prefix + key) is \(value.typeName), expected an integer")
    }
    func float(_ key: String, default fallback: Float?) throws -> Float {
      guard let value = values[prefix + key] else {
        if let fallback { return fallback }
        throw fail("\(prefix + key) is missing")
      }
      guard let number = value.doubleValue else { throw fail("\(prefix + key) is \(value.typeName), expected a float") }
      return Float(number)
    }
    let hidden = try integer(GGUFLayout.Key.embeddingLength)
    let heads = try integer(GGUFLayout.Key.headCount)
    let embedding = tensors.first { $0.name == "token_embd.weight" }
    let tokenCount = values[GGUFLayout.Key.tokens]?.arrayValue?.count
    let vocab = try integer(GGUFLayout.Key.vocabSize, default: embedding?.shape.first ?? tokenCount ?? 0)
    return try ModelConfig(
      vocabSize: vocab, hiddenSize: hidden, intermediateSize: try integer(GGUFLayout.Key.feedForwardLength),
      numHiddenLayers: try integer(GGUFLayout.Key.blockCount), numAttentionHeads: heads,
      numKeyValueHeads: try integer(GGUFLayout.Key.headCountKV, default: heads),
      headDim: try integer(GGUFLayout.Key.keyLength, default: heads > 0 ? hidden / heads : 0),
      ropeTheta: try float(GGUFLayout.Key.ropeFreqBase, default: 10000),
      rmsNormEps: try float(GGUFLayout.Key.rmsEpsilon, default: nil),
      contextLength: try integer(GGUFLayout.Key.contextLength),
      tieWordEmbeddings: !tensors.contains { $0.name == "output.weight" }
    ).validated(path: path)
  }
}
