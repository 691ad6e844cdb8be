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
    let (shardNames, indexFile, weightMap) = try ShardIndex.files(
      of: location, single: SafetensorsFormat.single, index: SafetensorsFormat.index)
    let (validated, configEntries, configPath) = try HuggingFaceConfig.load(beside: location)
    config = validated
    let shards = try shardNames.map { try SafetensorsFile(path: location.file($0)) }
    files = shards.map(\.path) + [configPath] + (indexFile.map { [$0] } ?? [])
    formatDescription = shards.count == 1 ? "safetensors" : "safetensors, \(shards.count) shards"

    var infos: [TensorInfo] = []
    var metadata = configEntries
    for (shardName, shard) in zip(shardNames, shards) {
      metadata += shard.metadata.map { MetadataEntry("safetensors.\($0.key)", $0.value) }
      for entry in shard.entries {
        if TensorNameMap.huggingFace.isIgnored(entry.name) { continue }
        if let listed = weightMap[entry.name], listed != shardName {
          throw FormatError.malformed(path: indexFile!, detail: "weight_map puts \(entry.name) in \(listed) but it is in \(shardName)")
        }
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
    try ShardIndex.checkListed(weightMap, found: Set(shards.flatMap { $0.entries.map(\.name) }), index: indexFile)
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
