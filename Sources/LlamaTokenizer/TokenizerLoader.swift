import LlamaIO

/// Opens a tokenizer from a path: a `tokenizer.model` (SentencePiece), a `tokenizer.json`
/// (Hugging Face), a llama2.c `tokenizer.bin`, or a folder holding one of them (looked for in
/// that order). The kind is decided by file name and content, never guessed: an unknown file
/// is an error listing what was tried.
public enum TokenizerLoader {
  /// File names looked for in a folder, in order of preference.
  public static let folderCandidates = ["tokenizer.model", "tokenizer.json", "tokenizer.bin"]
  /// Compressed files (`tokenizer.json.xz`, …) are decompressed through libarchive first.
  public static let compressedSuffixes = [".gz", ".xz", ".zst", ".bz2", ".lz4"]
  /// Decompressed tokenizer files larger than this are refused.
  public static let maximumDecompressedSize = 1 << 30

  public enum Kind: String, Sendable {
    case sentencePiece = "SentencePiece model"
    case huggingFace = "Hugging Face tokenizer.json"
    case llama2C = "llama2.c tokenizer.bin"
  }

  public static func load(path: String) throws -> any Tokenizer {
    let file = try resolve(path: path)
    if let suffix = compressedSuffixes.first(where: { file.hasSuffix($0) }) {
      let bytes = try ArchiveReader.decompressedContents(of: file, limit: maximumDecompressedSize)
      return try bytes.withUnsafeBytes {
        try load($0, name: String(file.dropLast(suffix.count)), origin: file)
      }
    }
    return try MappedFile(path: file).withUnsafeBytes { try load($0, name: file, origin: file) }
  }

  /// Loads a tokenizer from bytes in memory; `name` (a file name or path) and the content
  /// decide the kind, `origin` names the input in errors.
  public static func load(_ bytes: UnsafeRawBufferPointer, name: String, origin: String) throws
    -> any Tokenizer
  {
    guard let kind = kind(of: bytes, name: baseName(name)) else {
      throw TokenizerError.unrecognizedFile(
        path: origin,
        tried: "SentencePiece model (protobuf starting with a piece), tokenizer.json (a JSON object), llama2.c tokenizer.bin (*.bin with a plausible max_token_length)")
    }
    switch kind {
    case .sentencePiece:
      return try SentencePieceTokenizer(vocabulary: SentencePieceModelFile.parse(bytes, origin: origin))
    case .llama2C:
      return try SentencePieceTokenizer(
        vocabulary: Llama2CTokenizerFile.parse(ByteReader(bytes, source: origin)))
    case .huggingFace:
      let json = try JSON.parse(bytes, source: origin)
      // tokenizer_config.json beside the file names BOS and EOS; a broken one is an error.
      let slash = origin.lastIndex(of: "/")
      let configPath = (slash.map { String(origin[...$0]) } ?? "") + "tokenizer_config.json"
      let config = fileExists(atPath: configPath) ? try JSON.parse(contentsOf: configPath) : nil
      return try HFTokenizerParser(path: origin, config: config).tokenizer(from: json)
    }
  }

  /// The file to read: `path` itself, or the first known tokenizer file in the folder `path`.
  public static func resolve(path: String) throws -> String {
    guard try fileKind(atPath: path) == .directory else { return path }
    let folder = path.hasSuffix("/") ? path : path + "/"
    for name in folderCandidates {
      for suffix in [""] + compressedSuffixes where fileExists(atPath: folder + name + suffix) {
        return folder + name + suffix
      }
    }
    throw TokenizerError.unrecognizedFile(
      path: path, tried: "a folder holding " + folderCandidates.joined(separator: ", "))
  }

  /// Decides from the name and the first bytes; the chosen reader then checks everything.
  static func kind(of bytes: UnsafeRawBufferPointer, name: String) -> Kind? {
    let first = bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) })
    if name.hasSuffix(".json") || first == UInt8(ascii: "{") { return .huggingFace }
    if name.hasSuffix(".bin") {
      guard bytes.count >= 4 else { return nil }
      let maxLength = bytes.loadUnaligned(as: UInt32.self).littleEndian
      return maxLength > 0 && maxLength < 8000 ? .llama2C : nil
    }
    // A ModelProto starts with field 1 (pieces, length-delimited).
    if name.hasSuffix(".model") || bytes.first == 0x0A { return .sentencePiece }
    return nil
  }

  static func baseName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
  }
}
