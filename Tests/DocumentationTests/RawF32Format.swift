import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaTokenizer

/// An example checkpoint format: a folder with Hugging Face's `config.json`, `weights.f32`
/// (every tensor's float32 values, little-endian, one tensor after another) and `tensors.json`
/// (`{"<canonical name>": {"shape": [rows, columns], "offset": <byte offset>}, …}`), and
/// optionally a tokenizer file.
public enum RawF32Format: CheckpointFormat {
  public static let id = "raw-f32"
  public static let signature = "a folder with tensors.json and weights.f32"

  /// Decided by file names alone; never by trying to parse.
  public static func sniff(_ location: CheckpointLocation) throws -> Bool {
    location.isDirectory && location.has("tensors.json") && location.has("weights.f32")
  }

  public static func open(_ location: CheckpointLocation) throws -> any CheckpointReader {
    try RawF32Reader(location)
  }
}

/// Tensors are views of the mapped `weights.f32`: opening copies nothing.
public final class RawF32Reader: CheckpointReader, @unchecked Sendable {
  public let format = RawF32Format.id
  public let formatDescription = "raw float32 folder"
  public let files: [String]
  public let config: ModelConfig
  public let metadata: [MetadataEntry]
  public let tensors: [TensorInfo]
  private let weights: MappedFile
  private let folder: String

  init(_ location: CheckpointLocation) throws {
    folder = location.path
    let (config, metadata, configPath) = try HuggingFaceConfig.load(beside: location)
    let index = location.file("tensors.json")
    weights = try MappedFile(path: location.file("weights.f32"))
    guard let entries = try JSON.parse(contentsOf: index).objectValue else {
      throw FormatError.malformed(path: index, detail: "expected an object of tensors")
    }
    var tensors: [TensorInfo] = []
    for entry in entries.entries {
      // Every number is checked before use: against overflow, and against the file's size.
      guard let shape = entry.value["shape"]?.arrayValue?.compactMap({ $0.intValue.map(Int.init) }),
        let offset = entry.value["offset"]?.intValue.map(Int.init), offset >= 0, offset % 4 == 0,
        offset <= weights.count, let count = elementCount(shape), count <= (weights.count - offset) / 4
      else {
        throw FormatError.malformed(path: index, detail: "tensor \(entry.key): shape and offset do not fit weights.f32 (\(weights.count) bytes)")
      }
      tensors.append(TensorInfo(
        name: entry.key, originalName: entry.key, shape: shape, dtype: .f32, byteCount: 4 * count, file: weights.path, offset: offset))
    }
    self.config = config
    self.metadata = metadata
    self.tensors = tensors
    files = [weights.path, index, configPath]
  }

  public func contains(_ name: String) -> Bool { tensors.contains { $0.name == name } }

  public func tensor(_ name: String) throws -> Tensor {
    guard let info = tensors.first(where: { $0.name == name }) else { throw FormatError.missingTensor(path: folder, name: name) }
    let bytes = weights.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[info.offset..<(info.offset + info.byteCount)]) }
    return Tensor(name: name, shape: info.shape, dtype: .f32, storage: .contiguous(bytes, owner: weights))
  }

  /// tokenizer.model, tokenizer.json or tokenizer.bin in the folder, if there is one.
  public func vocabulary() throws -> Vocabulary? { try TokenizerFiles.vocabulary(inFolder: folder) }
}
