import LlamaFormats
import LlamaIO

/// llama2.c model files: a `.bin` starting with the "ak42" magic (versions 1 and 2), or a
/// legacy version 0 file whose 28-byte header predicts the file size exactly; or a folder with
/// `model.bin` in one of those layouts.
public enum Llama2CFormat: CheckpointFormat {
  public static let id = "llama2c"
  public static let signature = "a llama2.c .bin (magic ak42, or a version-0 header matching the file size), or a folder with model.bin"

  public static func sniff(_ location: CheckpointLocation) throws -> Bool {
    let path: String
    if location.isDirectory {
      guard location.has("model.bin") else { return false }
      path = location.file("model.bin")
    } else {
      guard location.name.hasSuffix(".bin") else { return false }
      path = location.path
    }
    return try MappedFile(path: path).withUnsafeBytes { Llama2CReader.recognizes($0) }
  }

  public static func open(_ location: CheckpointLocation) throws -> any CheckpointReader {
    try Llama2CReader(path: location.isDirectory ? location.file("model.bin") : location.path)
  }
}
