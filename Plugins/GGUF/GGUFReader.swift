import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaTokenizer

/// A GGUF file, mapped: metadata and tensor infos parsed up front, tensor data handed out as
/// zero-copy views of the mapping (GGUF already holds the canonical names, shapes reversed,
/// and the interleaved q/k layout).
public final class GGUFReader: CheckpointReader, @unchecked Sendable {
  public let format = GGUFFormat.id
  public let files: [String]
  public let config: ModelConfig
  public let metadata: [MetadataEntry]
  public let tensors: [TensorInfo]
  public let formatDescription: String
  let file: MappedFile
  let parsed: GGUFParser
  private let index: [String: Int]

  public init(path: String) throws {
    file = try MappedFile(path: path)
    let parsed = try GGUFParser(file.reader())
    self.parsed = parsed
    files = [path]
    metadata = parsed.metadata
    formatDescription = "GGUF v\(parsed.version)"
    tensors = parsed.tensors.map { t in
      TensorInfo(
        name: t.name, originalName: t.name, shape: t.shape, dtype: t.type, byteCount: t.byteCount ?? 0,
        file: path, offset: parsed.dataOffset + t.offset,
        note: t.byteCount == nil ? "unknown tensor type: data not readable" : nil)
    }
    index = Dictionary(uniqueKeysWithValues: parsed.tensors.enumerated().map { ($1.name, $0) })
    config = try GGUFConfig.config(metadata: parsed.metadata, tensors: parsed.tensors, path: path)
  }

  public func contains(_ name: String) -> Bool { index[name] != nil }

  public func tensor(_ name: String) throws -> Tensor {
    guard let i = index[name] else { throw FormatError.missingTensor(path: files[0], name: name) }
    let t = parsed.tensors[i]
    guard let byteCount = t.byteCount else {
      throw FormatError.unsupportedTensorType(path: files[0], name: name, type: t.type.name)
    }
    let bytes = file.withUnsafeBytes { all in
      UnsafeRawBufferPointer(rebasing: all[(parsed.dataOffset + t.offset)..<(parsed.dataOffset + t.offset + byteCount)])
    }
    return Tensor(name: name, shape: t.shape, dtype: t.type, storage: .contiguous(bytes, owner: file))
  }

  public func vocabulary() throws -> Vocabulary? {
    guard GGUFVocabulary.isPresent(in: metadata) else { return nil }
    return try GGUFVocabulary(metadata: metadata, origin: files[0]).loadVocabulary()
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
