import LlamaIO

/// A reader for the protobuf wire format (proto2), enough to read a SentencePiece
/// `ModelProto` without generated code: varints, fixed32/64 and length-delimited fields, with
/// every length checked against the bytes present. Groups (wire types 3 and 4) are refused.
struct ProtobufReader {
  enum WireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
  }

  let source: String
  let bytes: UnsafeRawBufferPointer
  /// Absolute offset of `bytes[0]` in the file, for error messages.
  let base: Int
  private(set) var offset = 0

  init(_ bytes: UnsafeRawBufferPointer, source: String, base: Int = 0) {
    self.bytes = bytes
    self.source = source
    self.base = base
  }

  var isAtEnd: Bool { offset >= bytes.count }

  func error(_ detail: String) -> TokenizerError {
    .malformed(path: source, detail: "invalid protobuf at byte \(base + offset): \(detail)")
  }

  mutating func varint() throws -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard offset < bytes.count else { throw error("truncated varint") }
      let byte = bytes[offset]
      offset += 1
      guard shift < 64 else { throw error("varint longer than 10 bytes") }
      result |= UInt64(byte & 0x7F) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
    }
  }

  /// The next field's number and wire type.
  mutating func key() throws -> (field: UInt64, wireType: WireType) {
    let key = try varint()
    let raw = UInt8(key & 7)
    guard let wireType = WireType(rawValue: raw) else {
      throw error("unsupported wire type \(raw) for field \(key >> 3)")
    }
    let field = key >> 3
    guard field > 0 else { throw error("field number 0") }
    return (field, wireType)
  }

  mutating func fixed32() throws -> UInt32 {
    guard bytes.count - offset >= 4 else { throw error("truncated fixed32") }
    let value = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
    offset += 4
    return UInt32(littleEndian: value)
  }

  /// The payload of a length-delimited field and its absolute offset.
  mutating func lengthDelimited() throws -> (bytes: UnsafeRawBufferPointer, base: Int) {
    let length = try varint()
    guard length <= UInt64(bytes.count - offset) else {
      throw error("length \(length) runs past the end of the data (\(bytes.count - offset) bytes left)")
    }
    let start = offset
    offset += Int(length)
    return (UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), base + start)
  }

  mutating func string(_ what: String) throws -> String {
    let (raw, at) = try lengthDelimited()
    guard let text = String(validating: raw, as: UTF8.self) else {
      throw TokenizerError.malformed(path: source, detail: "\(what) at byte \(at) is not valid UTF-8")
    }
    return text
  }

  mutating func skip(_ wireType: WireType) throws {
    switch wireType {
    case .varint: _ = try varint()
    case .fixed64:
      guard bytes.count - offset >= 8 else { throw error("truncated fixed64") }
      offset += 8
    case .fixed32: _ = try fixed32()
    case .lengthDelimited: _ = try lengthDelimited()
    }
  }

  /// Checks that a known field has the wire type its declaration implies.
  func expect(_ actual: WireType, _ expected: WireType, field: UInt64, in message: String) throws {
    guard actual == expected else {
      throw error("\(message) field \(field) has wire type \(actual.rawValue), expected \(expected.rawValue)")
    }
  }
}
