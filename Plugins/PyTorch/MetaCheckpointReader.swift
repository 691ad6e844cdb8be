import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaTokenizer

/// Meta "consolidated" checkpoints: `params.json` and `consolidated.00.pth` … one per
/// model-parallel rank (formats.md §4). Shards are merged lazily along the dimension fairscale
/// split them on: column-parallel weights (wq, wk, wv, w1, w3, output) on dimension 0,
/// row-parallel ones (wo, w2) on dimension 1, the embedding on dimension 1 (Llama 1/2) or 0
/// (Llama 3), as its shard shape shows; 1-D norms are replicated and taken from shard 0.
final class MetaCheckpointReader: CheckpointReader, @unchecked Sendable {
  let format = PyTorchFormat.id
  let formatDescription: String
  let files: [String]
  let config: ModelConfig
  let metadata: [MetadataEntry]
  let tensors: [TensorInfo]
  let folder: String
  private let shards: [TorchCheckpoint]
  /// Canonical name → Meta name and merge dimension (nil: replicated, take shard 0).
  private let plan: [String: (original: String, dimension: Int?)]

  init(_ location: CheckpointLocation) throws {
    folder = location.directory
    let paramsPath = location.file("params.json")
    let names = try listDirectory(folder).filter { $0.hasPrefix("consolidated.") && $0.hasSuffix(".pth") }
    // consolidated.00.pth, .01, …: every rank from 0 without gaps.
    var shardNames: [String] = []
    for rank in 0..<names.count {
      let name = "consolidated.\(rank < 10 ? "0" : "")\(rank).pth"
      guard names.contains(name) else {
        throw FormatError.malformed(path: folder, detail: "model-parallel shard \(name) is missing (found \(names.joined(separator: ", ")))")
      }
      shardNames.append(name)
    }
    guard !shardNames.isEmpty else { throw FormatError.malformed(path: folder, detail: "no consolidated.00.pth") }
    let shards = try shardNames.map { try TorchCheckpoint(path: location.file($0)) }
    self.shards = shards
    files = shards.map(\.path) + [paramsPath]
    formatDescription = "PyTorch (Meta consolidated)" + (shards.count > 1 ? ", \(shards.count) model-parallel shards" : "")

    let params = try JSON.parse(contentsOf: paramsPath)
    guard let object = params.objectValue else {
      throw FormatError.malformed(path: paramsPath, detail: "params.json is not an object")
    }
    metadata = object.entries.map { MetadataEntry("params." + $0.key, HuggingFaceConfig.metadata($0.value)) }
    let first = shards[0]
    let embedding = first.byName["tok_embeddings.weight"]
    let dim = try Self.integer(object, "dim", path: paramsPath)
    let (config, shapes) = try Self.config(object, path: paramsPath, shards: shards, dim: dim, embedding: embedding)
    self.config = config

    var infos: [TensorInfo] = []
    var plan: [String: (original: String, dimension: Int?)] = [:]
    for (name, tensor) in first.entries {
      if TensorNameMap.meta.isIgnored(name) { continue }
      guard let canonical = TensorNameMap.meta.canonical(name) else {
        throw FormatError.malformed(path: first.path, detail: "unexpected tensor \(name) in a Meta checkpoint")
      }
      let dimension = try Self.mergeDimension(canonical, shardShape: tensor.shape, dim: dim, shards: shards.count)
      var shape = tensor.shape
      for shard in shards.dropFirst() {
        guard let other = shard.byName[name] else {
          throw FormatError.malformed(path: shard.path, detail: "tensor \(name) is missing from this shard")
        }
        guard other.shape == tensor.shape, other.dtype == tensor.dtype else {
          throw FormatError.malformed(path: shard.path, detail: "tensor \(name) has shape \(other.shape) \(other.dtype), shard 0 has \(tensor.shape) \(tensor.dtype)")
        }
        if let dimension { shape[dimension] += other.shape[dimension] }
      }
      if let expected = shapes[canonical], expected != shape {
        throw FormatError.shapeMismatch(path: first.path, name: name, expected: expected, actual: shape)
      }
      plan[canonical] = (name, dimension)
      var info = try first.info(tensor, name: name, canonicalName: canonical,
        note: dimension.map { "merged from \(shards.count) shards along dimension \($0)" })
      info.shape = shape
      info.byteCount = tensor.dtype.byteCount(elements: elementCount(shape) ?? 0) ?? 0
      infos.append(info)
    }
    tensors = infos
    self.plan = plan
  }

  /// The concatenation dimension of a tensor (nil when replicated or unsharded).
  static func mergeDimension(_ canonical: String, shardShape: [Int], dim: Int, shards: Int) throws -> Int? {
    guard shards > 1, shardShape.count == 2 else { return nil }
    if canonical == CanonicalName.tokenEmbedding {
      // ParallelEmbedding (Llama 1/2) splits the embedding dimension; Llama 3's
      // VocabParallelEmbedding splits the vocabulary.
      return shardShape[1] == dim ? 0 : 1
    }
    if canonical == CanonicalName.output { return 0 }
    guard let (_, layer) = CanonicalName.parseLayer(canonical) else { return nil }
    switch layer {
    case .attentionQ, .attentionK, .attentionV, .ffnGate, .ffnUp: return 0
    case .attentionOutput, .ffnDown: return 1
    case .attentionNorm, .ffnNorm: return nil
    }
  }

  static func integer(_ object: JSONObject, _ key: String, path: String) throws -> Int {
    guard let value = object[key]?.intValue, let int = Int(exactly: value) else {
      throw FormatError.invalidConfig(path: path, detail: "\(key) is missing or not an integer")
    }
    return int
  }

  /// The configuration from params.json and the shard shapes, and the full shape each tensor
  /// must have after merging.
  static func config(
    _ object: JSONObject, path: String, shards: [TorchCheckpoint], dim: Int, embedding: TorchTensor?
  ) throws -> (ModelConfig, [String: [Int]]) {
    func invalid(_ detail: String) -> FormatError { .invalidConfig(path: path, detail: detail) }
    /// A product of shard shapes that must stay within the model limits.
    func merged(_ rows: Int, _ what: String) throws -> Int {
      let (total, overflow) = rows.multipliedReportingOverflow(by: shards.count)
      guard !overflow else { throw invalid("\(what) of \(rows) × \(shards.count) shards is too large") }
      return total
    }
    let limit = ModelConfig.limits.dimension
    guard dim > 0, dim <= limit else { throw invalid("dim is \(dim), must be 1 to \(limit)") }
    let layers = try integer(object, "n_layers", path: path)
    let heads = try integer(object, "n_heads", path: path)
    let kvHeads = object["n_kv_heads"].flatMap { $0.isNull ? nil : $0.intValue }.map(Int.init) ?? heads
    // Llama 2 params.json says vocab_size -1: the embedding rows tell.
    var vocab = object["vocab_size"]?.intValue.map(Int.init) ?? -1
    if vocab <= 0, let embedding {
      vocab = embedding.shape.count == 2 && embedding.shape[1] == dim
        ? try merged(embedding.shape[0], "tok_embeddings rows") : embedding.shape.first ?? 0
    }
    // FFN width: the actual w1 rows (summed over shards); else Meta's rule (formats.md §4.2).
    var hidden: Int
    if let w1 = shards[0].byName["layers.0.feed_forward.w1.weight"], w1.shape.count == 2 {
      hidden = try merged(w1.shape[0], "w1 rows")
    } else {
      let multiple = object["multiple_of"]?.intValue.map(Int.init) ?? 256
      guard multiple >= 0, multiple <= limit else { throw invalid("multiple_of is \(multiple), must be 0 to \(limit)") }
      hidden = 2 * (4 * dim) / 3
      if let factor = object["ffn_dim_multiplier"]?.doubleValue {
        let scaled = factor * Double(hidden)
        guard scaled.isFinite, scaled >= 0, scaled <= Double(limit) else {
          throw invalid("ffn_dim_multiplier \(factor) makes a feed-forward width of \(scaled)")
        }
        hidden = Int(scaled)
      }
      hidden = multiple > 0 ? multiple * ((hidden + multiple - 1) / multiple) : hidden
    }
    let config = try ModelConfig(
      vocabSize: vocab, hiddenSize: dim, intermediateSize: hidden, numHiddenLayers: layers,
      numAttentionHeads: heads, numKeyValueHeads: kvHeads,
      ropeTheta: Float(object["rope_theta"]?.doubleValue ?? 10000),
      rmsNormEps: Float(object["norm_eps"]?.doubleValue ?? 1e-5),
      contextLength: object["max_seq_len"]?.intValue.map(Int.init),
      tieWordEmbeddings: !shards[0].entries.contains { $0.name == "output.weight" }
    ).validated(path: path)
    let hd = config.headDim
    var shapes: [String: [Int]] = [
      CanonicalName.tokenEmbedding: [vocab, dim], CanonicalName.output: [vocab, dim], CanonicalName.outputNorm: [dim],
    ]
    for layer in 0..<layers {
      shapes[CanonicalName.layer(layer, .attentionNorm)] = [dim]
      shapes[CanonicalName.layer(layer, .ffnNorm)] = [dim]
      shapes[CanonicalName.layer(layer, .attentionQ)] = [heads * hd, dim]
      shapes[CanonicalName.layer(layer, .attentionK)] = [kvHeads * hd, dim]
      shapes[CanonicalName.layer(layer, .attentionV)] = [kvHeads * hd, dim]
      shapes[CanonicalName.layer(layer, .attentionOutput)] = [dim, heads * hd]
      shapes[CanonicalName.layer(layer, .ffnGate)] = [hidden, dim]
      shapes[CanonicalName.layer(layer, .ffnUp)] = [hidden, dim]
      shapes[CanonicalName.layer(layer, .ffnDown)] = [dim, hidden]
    }
    return (config, shapes)
  }

  func contains(_ name: String) -> Bool { plan[name] != nil }

  func tensor(_ name: String) throws -> Tensor {
    guard let (original, dimension) = plan[name] else { throw FormatError.missingTensor(path: files[0], name: name) }
    let parts = try shards.map { shard -> Tensor in
      guard let tensor = shard.byName[original] else { throw FormatError.missingTensor(path: shard.path, name: original) }
      return try shard.tensor(tensor, name: original, canonicalName: name)
    }
    guard let dimension else { return parts[0] }
    var shape = parts[0].shape
    shape[dimension] = parts.reduce(0) { $0 + $1.shape[dimension] }
    return Tensor(name: name, shape: shape, dtype: parts[0].dtype, storage: .concatenated(parts, dimension: dimension))
  }

  func vocabulary() throws -> Vocabulary? { try TokenizerFiles.vocabulary(inFolder: folder) }
}
