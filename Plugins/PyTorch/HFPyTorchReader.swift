import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaTokenizer

/// Hugging Face `pytorch_model.bin` checkpoints (single or sharded), read like safetensors:
/// HF names, `config.json`, q/k rows un-permuted in a lazy view.
final class HFPyTorchReader: CheckpointReader, @unchecked Sendable {
  let format = PyTorchFormat.id
  let formatDescription: String
  let files: [String]
  let config: ModelConfig
  let metadata: [MetadataEntry]
  let tensors: [TensorInfo]
  let folder: String
  private var sources: [String: (checkpoint: TorchCheckpoint, tensor: TorchTensor, original: String, rowMap: [Int32]?)] = [:]

  init(_ location: CheckpointLocation) throws {
    folder = location.directory
    let (shardNames, indexFile, weightMap) = try ShardIndex.files(
      of: location, single: PyTorchFormat.single, index: PyTorchFormat.index)
    let (validated, configEntries, configPath) = try HuggingFaceConfig.load(beside: location)
    config = validated
    let shards = try shardNames.map { try TorchCheckpoint(path: location.file($0)) }
    files = shards.map(\.path) + [configPath] + (indexFile.map { [$0] } ?? [])
    formatDescription = "PyTorch (Hugging Face)" + (shards.count > 1 ? ", \(shards.count) shards" : "")
    var infos: [TensorInfo] = []
    for (shardName, shard) in zip(shardNames, shards) {
      for (name, tensor) in shard.entries {
        if TensorNameMap.huggingFace.isIgnored(name) { continue }
        if let listed = weightMap[name], listed != shardName {
          throw FormatError.malformed(path: indexFile!, detail: "weight_map puts \(name) in \(listed) but it is in \(shardName)")
        }
        let mapped = try HuggingFaceLayout.canonical(name, shape: tensor.shape, config: validated, path: shard.path)
        let canonical = mapped?.name ?? name
        guard sources[canonical] == nil else {
          throw FormatError.malformed(path: shard.path, detail: "tensor \(name) appears in more than one shard")
        }
        sources[canonical] = (shard, tensor, name, mapped?.rowMap)
        infos.append(try shard.info(tensor, name: name, canonicalName: canonical,
          note: mapped == nil ? "not a LLaMA tensor" : mapped?.rowMap != nil ? "rows un-permuted from the Hugging Face q/k layout" : nil))
      }
    }
    try ShardIndex.checkListed(weightMap, found: Set(shards.flatMap { $0.entries.map(\.name) }), index: indexFile)
    tensors = infos
    metadata = configEntries
  }

  func contains(_ name: String) -> Bool { sources[name] != nil }

  func tensor(_ name: String) throws -> Tensor {
    guard let (checkpoint, tensor, original, rowMap) = sources[name] else {
      throw FormatError.missingTensor(path: files[0], name: name)
    }
    let view = try checkpoint.tensor(tensor, name: original, canonicalName: name)
    guard let rowMap else { return view }
    return view.withRowMap(rowMap)
  }

  func vocabulary() throws -> Vocabulary? { try TokenizerFiles.vocabulary(inFolder: folder) }
}

extension TorchCheckpoint {
  /// What `inspect` shows for a tensor, without reading its data.
  func info(_ t: TorchTensor, name: String, canonicalName: String, note: String?) throws -> TensorInfo {
    guard let count = elementCount(t.shape), let bytes = t.dtype.byteCount(elements: count) else {
      throw FormatError.malformed(path: path, detail: "tensor \(name) shape \(t.shape) is too large")
    }
    guard let member = zip.member("data/" + t.storage.key) else {
      throw FormatError.malformed(path: path, detail: "tensor \(name): storage \(t.storage.key) is missing")
    }
    let offset = member.dataOffset + t.offset * t.dtype.blockBytes
    return TensorInfo(
      name: canonicalName, originalName: name, shape: t.shape, dtype: t.dtype, byteCount: bytes, file: path,
      offset: offset, note: note)
  }
}

extension Tensor {
  /// The same data with canonical row r taken from stored row `rowMap[r]` (copied into
  /// contiguous bytes first when the data is not contiguous already).
  func withRowMap(_ rowMap: [Int32]) -> Tensor {
    let rowBytes = rowMap.isEmpty ? 0 : byteCount / rowMap.count
    if case .contiguous(let bytes, let owner) = storage {
      return Tensor(name: name, shape: shape, dtype: dtype, storage: .permutedRows(bytes, owner: owner, rowBytes: rowBytes, rowMap: rowMap))
    }
    var copy = [UInt8](repeating: 0, count: byteCount)
    copy.withUnsafeMutableBytes { copyBytes(to: $0.baseAddress!) }
    let owned = OwnedBytes(copy)
    return Tensor(name: name, shape: shape, dtype: dtype, storage: .permutedRows(owned.buffer, owner: owned, rowBytes: rowBytes, rowMap: rowMap))
  }
}
