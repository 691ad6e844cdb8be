import LlamaCore
import LlamaFormats
import LlamaIO

/// Writes one `torch.save` checkpoint of a state dict (formats.md §5.5), in the order torch
/// writes its records: `data.pkl`, `.format_version`, `.storage_alignment`, `byteorder`, one
/// storage `data/<i>` per tensor, `version`, all under a folder named after the file (as torch
/// names it). `torch.load(weights_only=True)` and `torch.load(mmap=True)` accept the result.
/// Tensors stream through in the announced order; the file appears only when `finish()`
/// succeeds.
public final class TorchCheckpointWriter: CheckpointWriter {
  /// The dtypes LlamaKit writes into torch checkpoints.
  public static let writableTypes: Set<DType> = [.f32, .f16, .bf16]

  public let path: String
  private let zip: TorchZipWriter
  private let folder: String
  private var data: PlannedTensorData
  private var index = 0

  public init(path: String, overwrite: Bool = false, tensors: [TensorPlan]) throws {
    self.path = path
    for plan in tensors where !Self.writableTypes.contains(plan.type) {
      throw FormatError.unwritable(path: path, detail: "tensor \(plan.name): LlamaKit writes torch checkpoints in f32, f16 or bf16, not \(plan.type)")
    }
    let name = path.split(separator: "/").last.map(String.init) ?? path
    let stem = name.lastIndex(of: ".").map { String(name[..<$0]) } ?? name
    folder = stem.isEmpty ? "archive" : stem
    data = PlannedTensorData(path: path, plans: tensors)
    let pickle = try StateDictPickle.serialize(tensors, path: path)
    zip = try TorchZipWriter(path: path, overwrite: overwrite)
    try zip.add(folder + "/data.pkl", pickle)
    try zip.add(folder + "/.format_version", Array("1".utf8))
    try zip.add(folder + "/.storage_alignment", Array("64".utf8))
    try zip.add(folder + "/byteorder", Array("little".utf8))
    try beginNext()
  }

  private func beginNext() throws {
    guard index < data.plans.count else { return }
    try zip.begin("\(folder)/data/\(index)", size: data.plans[index].byteCount)
  }

  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    let completed = try data.accept(bytes.count)
    try zip.write(bytes)
    if completed != nil {
      try zip.end()
      index += 1
      try beginNext()
    }
  }

  public func finish() throws {
    try data.checkComplete()
    try zip.add(folder + "/version", Array("3\n".utf8))
    try zip.finish()
  }
}
