import LlamaFormats
import LlamaIO

/// Hugging Face safetensors: a `.safetensors` file, or a folder with `model.safetensors` or
/// `model.safetensors.index.json` (sharded), with `config.json` beside the weights.
public enum SafetensorsFormat: CheckpointFormat {
  public static let id = "safetensors"
  public static let signature = "a *.safetensors file, or a folder with model.safetensors or model.safetensors.index.json"
  static let single = "model.safetensors"
  static let index = "model.safetensors.index.json"

  public static func sniff(_ location: CheckpointLocation) throws -> Bool {
    if location.isDirectory { return location.has(index) || location.has(single) }
    if location.name.hasSuffix(".safetensors.index.json") { return true }
    guard location.name.hasSuffix(".safetensors") else { return false }
    // u64 header size, then a JSON object.
    let head = try location.prefix(9)
    return head.count == 9 && (head[8] == UInt8(ascii: "{") || head[8] == 0x20)
  }

  public static func open(_ location: CheckpointLocation) throws -> any CheckpointReader {
    try SafetensorsReader(location)
  }
}
