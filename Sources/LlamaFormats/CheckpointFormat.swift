import LlamaCore
import LlamaIO
import LlamaTokenizer

/// What a path names: a file, or a folder and the files in it.
public struct CheckpointLocation: Sendable {
  public let path: String
  public let isDirectory: Bool

  public init(path: String) throws {
    self.path = path
    isDirectory = try fileKind(atPath: path) == .directory
  }

  /// The path of `name` inside the folder (or beside the file).
  public func file(_ name: String) -> String {
    let folder = isDirectory ? path : directory
    return folder.hasSuffix("/") ? folder + name : folder + "/" + name
  }

  public func has(_ name: String) -> Bool { fileExists(atPath: file(name)) }

  /// The folder holding the location (itself for a folder).
  public var directory: String {
    if isDirectory { return path }
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  /// The file name (last path component).
  public var name: String { path.split(separator: "/").last.map(String.init) ?? path }

  /// The first `count` bytes of the file (fewer if it is shorter).
  public func prefix(_ count: Int) throws -> [UInt8] {
    try MappedFile(path: path).withUnsafeBytes { Array($0.prefix(count)) }
  }
}

/// A checkpoint layout: recognizes its files and opens them. A plugin target implements one
/// and the umbrella module registers it with one line.
public protocol CheckpointFormat: Sendable {
  /// Short name used on the command line and in reports: "gguf", "safetensors", …
  static var id: String { get }
  /// What `sniff` looks for, used in "not a recognized checkpoint (tried …)".
  static var signature: String { get }
  /// Whether the location is this format, decided by magic bytes and file names — never by
  /// trying to parse everything. Throws only on I/O errors.
  static func sniff(_ location: CheckpointLocation) throws -> Bool
  static func open(_ location: CheckpointLocation) throws -> any CheckpointReader
}

/// One logical model, possibly spread over several files.
public protocol CheckpointReader: TensorSource {
  /// The format's id ("gguf", …).
  var format: String { get }
  /// Format details for reports: "GGUF v3", "safetensors, 2 shards", …
  var formatDescription: String { get }
  /// Every file the model was read from.
  var files: [String] { get }
  var config: ModelConfig { get }
  /// Everything else the files say, in file order.
  var metadata: [MetadataEntry] { get }
  /// The vocabulary, when the format carries one (GGUF, llama2.c) or a tokenizer file sits
  /// beside the weights; read on demand, so that a broken tokenizer file does not stop the
  /// weights from being inspected.
  func vocabulary() throws -> Vocabulary?
  /// Every tensor, canonical names, in file order.
  var tensors: [TensorInfo] { get }
}

extension CheckpointReader {
  public var sourceName: String { files.first ?? formatDescription }
}

/// The formats LlamaKit knows, tried in order (the order decides between formats that both
/// match a folder, e.g. safetensors before pytorch_model.bin, as transformers prefers).
public struct FormatRegistry: Sendable {
  public let formats: [any CheckpointFormat.Type]

  public init(_ formats: [any CheckpointFormat.Type]) { self.formats = formats }

  /// The format of `path`, or an error listing what was tried.
  public func format(of path: String) throws -> any CheckpointFormat.Type {
    let location = try CheckpointLocation(path: path)
    for format in formats where try format.sniff(location) { return format }
    throw FormatError.unrecognized(path: path, tried: formats.map { "\($0.id): \($0.signature)" })
  }

  public func open(_ path: String) throws -> any CheckpointReader {
    try format(of: path).open(CheckpointLocation(path: path))
  }
}
