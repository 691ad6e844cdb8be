import LlamaFormats
import LlamaIO

/// `torch.save` zip checkpoints: Hugging Face `pytorch_model.bin` (single, or sharded with
/// `pytorch_model.bin.index.json`) with `config.json`, and Meta `consolidated.NN.pth` with
/// `params.json` (any number of model-parallel shards).
public enum PyTorchFormat: CheckpointFormat {
  public static let id = "pytorch"
  public static let signature = "a torch.save zip (.bin/.pth/.pt starting with PK) beside config.json or params.json, or a folder with pytorch_model.bin, pytorch_model.bin.index.json or params.json + consolidated.00.pth"
  static let single = "pytorch_model.bin"
  static let index = "pytorch_model.bin.index.json"

  public static func sniff(_ location: CheckpointLocation) throws -> Bool {
    if location.isDirectory {
      return location.has(single) || location.has(index) || (location.has("params.json") && location.has("consolidated.00.pth"))
    }
    if location.name.hasSuffix(".bin.index.json") { return true }
    guard [".bin", ".pth", ".pt"].contains(where: { location.name.hasSuffix($0) }) else { return false }
    let head = try location.prefix(12)
    return head.starts(with: TorchCheckpoint.zipMagic) || head == TorchCheckpoint.legacyMagic
  }

  public static func open(_ location: CheckpointLocation) throws -> any CheckpointReader {
    let meta = location.isDirectory
      ? location.has("params.json") && !location.has(single) && !location.has(index)
      : location.has("params.json") && location.name.hasPrefix("consolidated.")
    return meta ? try MetaCheckpointReader(location) : try HFPyTorchReader(location)
  }
}
