import LlamaCore
import LlamaFormats
import LlamaIO

/// One tensor as a GGUF file describes it.
struct GGUFTensorInfo {
  var name: String
  /// `ne` reversed: the row-major shape.
  var shape: [Int]
  var type: DType
  /// Relative to the data section.
  var offset: Int
  /// nil for a type whose size this build does not know.
  var byteCount: Int?
}

/// The parsed header of a GGUF file (v2 or v3, little-endian). Every count and length is
/// checked against the bytes that remain before anything is allocated from it, and tensor
/// data ranges are checked to lie inside the data section without overlapping.
struct GGUFParser {
  let path: String
  var version: UInt32 = 0
  var metadata: [MetadataEntry] = []
  var tensors: [GGUFTensorInfo] = []
  var alignment = GGUFLayout.defaultAlignment
  var dataOffset = 0
  var dataSize = 0

  init(_ reader: ByteReader) throws {
    path = reader.source
    var r = reader
    do {
      try parseHeader(&r)
    } catch let error as IOError {
      // Truncation and UTF-8 errors from the byte reader already name the file and offset.
      throw FormatError.malformed(path: path, detail: "\(error)".replacingPrefix(path + ": ", with: ""))
    }
  }

  func fail(_ detail: String, at offset: Int) -> FormatError {
    .malformed(path: path, detail: "\(detail) (at byte \(offset))")
  }

  private mutating func parseHeader(_ r: inout ByteReader) throws {
    let magic = Array(try r.bytes(4, "magic"))
    guard magic == GGUFLayout.magic else { throw fail("bad magic \(magic), expected GGUF", at: 0) }
    version = try r.u32("version")
    if version & 0xFFFF == 0 && version != 0 {
      throw FormatError.unsupportedVersion(path: path, detail: "big-endian GGUF (version reads as \(version))")
    }
    guard version == 2 || version == 3 else {
      throw FormatError.unsupportedVersion(path: path, detail: "GGUF version \(version) (2 and 3 are supported)")
    }
    let tensorCount = try r.u64("tensor count")
    let kvCount = try r.u64("metadata count")
    // A key/value takes at least 13 bytes, a tensor info at least 33: refuse counts the file
    // cannot hold before reserving anything.
    guard kvCount <= UInt64(r.remaining / 13) else {
      throw fail("metadata count \(kvCount) is larger than the file can hold", at: 16)
    }
    guard tensorCount <= UInt64(r.remaining / 33) else {
      throw fail("tensor count \(tensorCount) is larger than the file can hold", at: 8)
    }
    guard kvCount <= UInt64(GGUFLayout.maximumKeys) else {
      throw fail("metadata count \(kvCount) is more than the limit of \(GGUFLayout.maximumKeys)", at: 16)
    }
    guard tensorCount <= UInt64(GGUFLayout.maximumTensors) else {
      throw fail("tensor count \(tensorCount) is more than the limit of \(GGUFLayout.maximumTensors)", at: 8)
    }
    var arrayBudget = GGUFLayout.maximumArrayElements
    var seenKeys = Set<String>()
    metadata.reserveCapacity(Int(kvCount))
    for _ in 0..<Int(kvCount) {
      let at = r.offset
      let key = try string(&r, "metadata key", limit: GGUFLayout.maximumKeyBytes)
      guard !key.isEmpty else { throw fail("empty metadata key", at: at) }
      guard seenKeys.insert(key).inserted else { throw fail("duplicate metadata key \(key)", at: at) }
      let rawType = try r.u32("type of \(key)")
      guard let type = GGUFLayout.ValueType(rawValue: rawType) else {
        throw fail("metadata \(key) has unknown value type \(rawType)", at: r.offset - 4)
      }
      metadata.append(MetadataEntry(key, try value(&r, type, key: key, budget: &arrayBudget)))
    }
    if let entry = metadata.first(where: { $0.key == GGUFLayout.Key.alignment }) {
      guard case .integer(let value, "u32") = entry.value else {
        throw FormatError.malformed(path: path, detail: "general.alignment must be a u32, found \(entry.value.typeName)")
      }
      guard value > 0, value & (value - 1) == 0, value <= 1 << 30 else {
        throw FormatError.malformed(path: path, detail: "general.alignment \(value) is not a power of two")
      }
      alignment = Int(value)
    }
    var seenNames = Set<String>()
    tensors.reserveCapacity(Int(tensorCount))
    for _ in 0..<Int(tensorCount) {
      let at = r.offset
      let name = try string(&r, "tensor name", limit: 1 << 16)
      guard name.utf8.count <= GGUFLayout.maximumTensorNameBytes else {
        throw fail("tensor name \(name.prefix(40))… is longer than \(GGUFLayout.maximumTensorNameBytes) bytes", at: at)
      }
      guard seenNames.insert(name).inserted else { throw fail("duplicate tensor \(name)", at: at) }
      let dimensions = try r.u32("dimension count of \(name)")
      guard (1...UInt32(GGUFLayout.maximumDimensions)).contains(dimensions) else {
        throw fail("tensor \(name) has \(dimensions) dimensions (1 to 4 allowed)", at: r.offset - 4)
      }
      var ne: [Int] = []
      for _ in 0..<Int(dimensions) {
        let value = try r.u64("dimension of \(name)")
        guard value <= UInt64(Int64.max) else { throw fail("tensor \(name) has a negative dimension", at: r.offset - 8) }
        ne.append(Int(value))
      }
      let type = DType.ggml(try r.u32("type of \(name)"))
      let offset = try r.u64("offset of \(name)")
      guard let count = elementCount(ne) else {
        throw fail("tensor \(name) shape \(ne) has more elements than fit in 64 bits", at: at)
      }
      var byteCount: Int?
      if type.isSized {
        guard ne[0] % type.blockSize == 0 else {
          throw fail("tensor \(name) row of \(ne[0]) is not a multiple of the \(type) block size \(type.blockSize)", at: at)
        }
        guard let bytes = type.byteCount(elements: count) else {
          throw fail("tensor \(name) size overflows", at: at)
        }
        byteCount = bytes
      }
      guard offset <= UInt64(Int.max), Int(offset) % alignment == 0 else {
        throw fail("tensor \(name) offset \(offset) is not a multiple of the alignment \(alignment)", at: r.offset - 8)
      }
      tensors.append(GGUFTensorInfo(name: name, shape: ne.reversed(), type: type, offset: Int(offset), byteCount: byteCount))
    }
    let end = r.offset
    dataOffset = end + (alignment - end % alignment) % alignment
    guard tensors.isEmpty || dataOffset <= r.bytes.count else {
      throw fail("data section starts past the end of the file", at: end)
    }
    dataSize = max(0, r.bytes.count - dataOffset)
    try checkDataRanges()
  }

  /// Tensor data must lie inside the data section, without overlaps.
  private func checkDataRanges() throws {
    let sized = tensors.filter { $0.byteCount != nil }.sorted { $0.offset < $1.offset }
    var previousEnd = 0
    var previousName = ""
    for tensor in sized {
      let (end, overflow) = tensor.offset.addingReportingOverflow(tensor.byteCount!)
      guard !overflow, end <= dataSize else {
        throw FormatError.malformed(
          path: path,
          detail: "tensor \(tensor.name) data (offset \(tensor.offset), \(tensor.byteCount!) bytes) runs past the end of the file (data section \(dataSize) bytes)")
      }
      guard tensor.offset >= previousEnd else {
        throw FormatError.malformed(path: path, detail: "tensors \(previousName) and \(tensor.name) overlap")
      }
      previousEnd = end
      previousName = tensor.name
    }
  }

  private func string(_ r: inout ByteReader, _ what: String, limit: Int) throws -> String {
    let at = r.offset
    let length = try r.u64("length of \(what)")
    guard length <= UInt64(r.remaining) else {
      throw fail("\(what) length \(length) runs past the end of the file", at: at)
    }
    guard length <= UInt64(limit) else { throw fail("\(what) length \(length) exceeds \(limit)", at: at) }
    return try r.string(Int(length), what)
  }

  /// One metadata value; array elements are counted against `budget`.
  private func value(_ r: inout ByteReader, _ type: GGUFLayout.ValueType, key: String, budget: inout Int) throws -> MetadataValue {
    switch type {
    case .uint8: return .integer(Int64(try r.u8(key)), type: type.name)
    case .int8: return .integer(Int64(Int8(bitPattern: try r.u8(key))), type: type.name)
    case .uint16: return .integer(Int64(try r.u16(key)), type: type.name)
    case .int16: return .integer(Int64(Int16(bitPattern: try r.u16(key))), type: type.name)
    case .uint32: return .integer(Int64(try r.u32(key)), type: type.name)
    case .int32: return .integer(Int64(try r.i32(key)), type: type.name)
    case .uint64:
      let value = try r.u64(key)
      return value <= UInt64(Int64.max) ? .integer(Int64(value), type: type.name) : .unsigned(value)
    case .int64: return .integer(try r.i64(key), type: type.name)
    case .float32: return .float(Double(try r.f32(key)), type: type.name)
    case .float64: return .float(try r.f64(key), type: type.name)
    case .bool:
      let at = r.offset
      let byte = try r.u8(key)
      guard byte <= 1 else { throw fail("metadata \(key) is a bool with value \(byte)", at: at) }
      return .bool(byte == 1)
    case .string: return .string(try string(&r, "metadata \(key)", limit: Int.max))
    case .array:
      let at = r.offset
      let rawType = try r.u32("element type of \(key)")
      guard let element = GGUFLayout.ValueType(rawValue: rawType) else {
        throw fail("metadata \(key) is an array of unknown type \(rawType)", at: at)
      }
      guard element != .array else { throw fail("metadata \(key) is an array of arrays", at: at) }
      let count = try r.u64("element count of \(key)")
      guard count <= UInt64(r.remaining / element.minimumSize) else {
        throw fail("metadata \(key) has \(count) elements, more than the file can hold", at: at + 4)
      }
      guard count <= UInt64(budget) else {
        throw fail("metadata arrays hold more than \(GGUFLayout.maximumArrayElements) values (\(key) has \(count))", at: at + 4)
      }
      budget -= Int(count)
      var values: [MetadataValue] = []
      values.reserveCapacity(Int(count))
      for _ in 0..<Int(count) { values.append(try value(&r, element, key: key, budget: &budget)) }
      return .array(values, elementType: element.name)
    }
  }
}

extension String {
  func replacingPrefix(_ prefix: String, with replacement: String) -> String {
    hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
  }
}
