import LlamaCore
import LlamaFormats
import LlamaIO

/// Writes a GGUF v3 file: header, metadata, tensor infos, then the tensor data in the announced
/// order, each tensor aligned (formats.md §1). The file appears at its path only when
/// `finish()` succeeds (an `AtomicFile`); tensors stream through, nothing is held in memory.
public final class GGUFWriter: CheckpointWriter {
  public let path: String
  private let file: AtomicFile
  private var data: PlannedTensorData
  private let alignment: Int

  /// Writes everything up to the tensor data. `metadata` values keep their types ("u32",
  /// "f32", "array[string]", …); `general.alignment` is added when not 32.
  public init(
    path: String, overwrite: Bool = false, metadata: [(String, MetadataValue)], tensors: [TensorPlan], alignment: Int = 32
  ) throws {
    self.path = path
    data = PlannedTensorData(path: path, plans: tensors)
    self.alignment = alignment
    for plan in tensors where plan.type.blockBytes == 0 || plan.shape.last.map({ $0 % plan.type.blockSize != 0 }) ?? true {
      throw FormatError.unwritable(path: path, detail: "tensor \(plan.name): rows of \(plan.shape.last ?? 0) elements are not whole \(plan.type) blocks")
    }
    var entries = metadata
    if alignment != GGUFLayout.defaultAlignment { entries.append((GGUFLayout.Key.alignment, .integer(Int64(alignment), type: "u32"))) }
    var header = ByteWriter()
    header.bytes(GGUFLayout.magic)
    header.u32(3)
    header.u64(UInt64(tensors.count))
    header.u64(UInt64(entries.count))
    for (key, value) in entries {
      header.string(key)
      try Self.write(value, key: key, path: path, into: &header)
    }
    var offset = 0
    for plan in tensors {
      header.string(plan.name)
      header.u32(UInt32(plan.shape.count))
      for dimension in plan.shape.reversed() { header.u64(UInt64(dimension)) }
      header.u32(plan.type.ggmlID!)
      header.u64(UInt64(offset))
      offset += Self.padded(plan.byteCount, alignment)
    }
    header.bytes([UInt8](repeating: 0, count: Self.padded(header.data.count, alignment) - header.data.count))
    file = try AtomicFile(path: path, overwrite: overwrite)
    try file.write(header.data)
  }

  static func padded(_ n: Int, _ alignment: Int) -> Int { (n + alignment - 1) / alignment * alignment }

  /// The next tensor's bytes, in the order of the plans; `bytes` may come in several calls
  /// (the tensor is complete when its size is reached).
  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    let completed = try data.accept(bytes.count)
    try file.write(bytes)
    if let plan = completed {
      try file.write([UInt8](repeating: 0, count: Self.padded(plan.byteCount, alignment) - plan.byteCount))
    }
  }

  /// Checks that every tensor was written and puts the file in place.
  public func finish() throws {
    try data.checkComplete()
    try file.commit()
  }

  private static func write(_ value: MetadataValue, key: String, path: String, into w: inout ByteWriter) throws {
    func bad() -> FormatError { .unwritable(path: path, detail: "metadata \(key): a \(value.typeName) value has no GGUF type") }
    switch value {
    case .array(let elements, let elementType):
      guard let type = valueType(elementType), type != .array else { throw bad() }
      w.u32(GGUFLayout.ValueType.array.rawValue)
      w.u32(type.rawValue)
      w.u64(UInt64(elements.count))
      for element in elements { try scalar(element, type, into: &w, bad) }
    default:
      guard let type = valueType(value.typeName) else { throw bad() }
      w.u32(type.rawValue)
      try scalar(value, type, into: &w, bad)
    }
  }

  private static func valueType(_ name: String) -> GGUFLayout.ValueType? {
    (0...12).compactMap { GGUFLayout.ValueType(rawValue: UInt32($0)) }.first { $0.name == name }
  }

  private static func scalar(
    _ value: MetadataValue, _ type: GGUFLayout.ValueType, into w: inout ByteWriter, _ bad: () -> FormatError
  ) throws {
    switch (type, value) {
    case (.uint8, .integer(let v, _)), (.int8, .integer(let v, _)): w.bytes([UInt8(truncatingIfNeeded: v)])
    case (.uint16, .integer(let v, _)), (.int16, .integer(let v, _)): w.u16(UInt16(truncatingIfNeeded: v))
    case (.uint32, .integer(let v, _)), (.int32, .integer(let v, _)): w.u32(UInt32(truncatingIfNeeded: v))
    case (.uint64, .integer(let v, _)), (.int64, .integer(let v, _)): w.u64(UInt64(bitPattern: v))
    case (.uint64, .unsigned(let v)): w.u64(v)
    case (.float32, .float(let v, _)): w.u32(Float(v).bitPattern)
    case (.float64, .float(let v, _)): w.u64(v.bitPattern)
    case (.bool, .bool(let v)): w.bytes([v ? 1 : 0])
    case (.string, .string(let v)): w.string(v)
    default: throw bad()
    }
  }
}

/// Little-endian serialization into a byte array.
struct ByteWriter {
  var data: [UInt8] = []
  mutating func bytes(_ b: [UInt8]) { data.append(contentsOf: b) }
  mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
  mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
  mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
  mutating func string(_ s: String) {
    u64(UInt64(s.utf8.count))
    data.append(contentsOf: s.utf8)
  }
}
