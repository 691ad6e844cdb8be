import LlamaFormats
import LlamaIO

/// GGUF (llama.cpp): one file, magic "GGUF", versions 2 and 3.
public enum GGUFFormat: CheckpointFormat {
  public static let id = "gguf"
  public static let signature = "a file starting with the magic GGUF"

  public static func sniff(_ location: CheckpointLocation) throws -> Bool {
    guard !location.isDirectory else { return false }
    return try location.prefix(4) == GGUFLayout.magic
  }

  public static func open(_ location: CheckpointLocation) throws -> any CheckpointReader {
    try GGUFReader(path: location.path)
  }
}
