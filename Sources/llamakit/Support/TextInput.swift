import LlamaIO
import LlamaTokenizer

/// Text to tokenize, from an argument, a file (`-` for stdin) or stdin, checked to be UTF-8.
enum TextInput {
  static func read(argument: String?, file: String?) throws -> String {
    if let argument { return argument }
    if let file, file != "-" {
      return try MappedFile(path: file).withUnsafeBytes { try decode($0, source: file) }
    }
    let bytes = try readStandardInput()
    return try bytes.withUnsafeBytes { try decode($0, source: "<stdin>") }
  }

  static func decode(_ bytes: UnsafeRawBufferPointer, source: String) throws -> String {
    if let offset = firstInvalidUTF8Offset(bytes) {
      throw TokenizerError.invalidText(source: source, offset: offset)
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// All bytes of a file, or stdin for `-`.
  static func bytes(of path: String) throws -> [UInt8] {
    if path == "-" { return try readStandardInput() }
    return try MappedFile(path: path).contents
  }
}
