import LlamaCore
import LlamaFormats
import LlamaIO

/// Writes one safetensors file: an 8-byte header length, the JSON header (`__metadata__`
/// first, then every tensor's dtype, shape and data offsets, in data order; padded with spaces
/// to a multiple of 8 as the Rust library does), then the tensor data. Tensors stream through in
/// the announced order; the file appears at its path only when `finish()` succeeds.
public final class SafetensorsWriter: CheckpointWriter {
  /// The dtypes a safetensors file can hold that LlamaKit writes.
  public static let writableTypes: Set<DType> = [.f32, .f16, .bf16]

  public let path: String
  private let file: AtomicFile
  private var data: PlannedTensorData

  public init(path: String, overwrite: Bool = false, metadata: [(String, String)] = [("format", "pt")], tensors: [TensorPlan]) throws {
    self.path = path
    data = PlannedTensorData(path: path, plans: tensors)
    var entries: [(String, JSON)] = [("__metadata__", .object(JSONObject(metadata.map { ($0.0, JSON.string($0.1)) })))]
    var offset = 0
    for plan in tensors {
      guard Self.writableTypes.contains(plan.type) else {
        throw FormatError.unwritable(path: path, detail: "tensor \(plan.name): safetensors holds no \(plan.type) (use f32, f16 or bf16)")
      }
      entries.append(
        (
          plan.name,
          .object(
            JSONObject([
              ("dtype", .string(plan.type.name)), ("shape", .array(plan.shape.map { .number($0) })),
              ("data_offsets", .array([.number(offset), .number(offset + plan.byteCount)])),
            ]))
        ))
      offset += plan.byteCount
    }
    var header = Array(JSON.object(JSONObject(entries)).serialized().utf8)
    header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
    var length = [UInt8](repeating: 0, count: 8)
    for i in 0..<8 { length[i] = UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64(i))) }
    file = try AtomicFile(path: path, overwrite: overwrite)
    try file.write(length + header)
  }

  /// The next tensor's bytes, in the order of the plans, in one or several calls.
  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    _ = try data.accept(bytes.count)
    try file.write(bytes)
  }

  public func finish() throws {
    try data.checkComplete()
    try file.commit()
  }
}
