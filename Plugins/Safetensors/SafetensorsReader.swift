import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaTokenizer

/// A Hugging Face safetensors checkpoint, single file or sharded through
/// `model.safetensors.index.json`. Tensors are zero-copy views of the mapped shards; `q_proj`
/// and `k_proj` are lazy row-permuted views in the canonical interleaved layout.
public final class SafetensorsReader: CheckpointReader, @unchecked Sendable {
  public let format = SafetensorsFormat.id
  public let formatDescription: String
  public let files: [String]
  public let config: ModelConfig
  public let metadata: [MetadataEntry]
  public let tensors: [TensorInfo]
  let folder: String
  private var sources: [String: (file: SafetensorsFile, entry: SafetensorsFile.Entry, rowMap: [Int32]?)] = [:]

  init(_ location: CheckpointLocation) throws {
    folder = location.directory
    var shardNames: [String]
    var indexFile: String?
    if location.isDirectory {
      if location.has(SafetensorsFormat.index) {
        indexFile = location.file(SafetensorsFormat.index)
        shardNames = try ShardIndex.shards(of: indexFile!, folder: folder)
      } else {
        shardNames = [SafetensorsFormat.single]
      }
    } else if location.name.hasSuffix(".index.json") {
      indexFile = location.path
      shardNames = try ShardIndex.shards(of: location.path, folder: folder)
    } else {
      shardNames = [location.name]
    }
    let configPath = location.file("config.json")
    guard fileExists(atPath: configPath) else {
      throw FormatError.invalidConfig(
        path: location.path, detail: "config.json is missing beside the weights (it gives the head counts)")
    }
    let (config, configEntries) = try HuggingFaceConfig.read(path: configPath)
    let validated = try config.validated(path: configPath)
    self.config = validated
    let shards = try shardNames.map { try SafetensorsFile(path: location.file($0)) }
    files = shards.map(\.path) + [configPath] + (indexFile.map { [$0] } ?? [])
    formatDescription = shards.count == 1 ? "safetensors" : "safetensors, \(shards.count) shards"

    var infos: [TensorInfo] = []
    var metadata = configEntries.map { MetadataEntry("config." + $0.key, $0.value) }
    for shard in shards {
      metadata += shard.metadata.map { MetadataEntry("safetensors.\($0.key)", $0.value) }
      for entry in shard.entries {
        if TensorNameMap.huggingFace.isIgnored(entry.name) { continue }
        let mapped = try HuggingFaceLayout.canonical(entry.name, shape: entry.shape, config: validated, path: shard.path)
        let name = mapped?.name ?? entry.name
        guard sources[name] == nil else {
          throw FormatError.malformed(path: shard.path, detail: "tensor \(entry.name) appears in more than one shard")
        }
        sources[name] = (shard, entry, mapped?.rowMap)
        infos.append(TensorInfo(
          name: name, originalName: entry.name, shape: entry.shape, dtype: entry.dtype,
          byteCount: entry.end - entry.begin, file: shard.path, offset: shard.dataStart + entry.begin,
          note: mapped == nil ? "not a LLaMA tensor" : mapped?.rowMap != nil ? "rows un-permuted from the Hugging Face q/k layout" : nil))
      }
    }
    tensors = infos
    self.metadata = metadata
  }

  public func contains(_ name: String) -> Bool { sources[name] != nil }

  public func tensor(_ name: String) throws -> Tensor {
    guard let (file, entry, rowMap) = sources[name] else {
      throw FormatError.missingTensor(path: files[0], name: name)
    }
    let bytes = file.bytes(of: entry)
    if let rowMap {
      let rowBytes = rowMap.isEmpty ? 0 : bytes.count / rowMap.count
      return Tensor(name: name, shape: entry.shape, dtype: entry.dtype,
                    storage: .permutedRows(bytes, owner: file.file, rowBytes: rowBytes, rowMap: rowMap))
    }
    return Tensor(name: name, shape: entry.shape, dtype: entry.dtype, storage: .contiguous(bytes, owner: file.file))
  }

  public func vocabulary() throws -> Vocabulary? {
    try TokenizerFiles.vocabulary(inFolder: folder)
  }
}
