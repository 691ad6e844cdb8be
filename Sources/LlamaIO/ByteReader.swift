/// Bounds-checked little-endian reads over a byte buffer. Every read checks the bytes that are
/// left first and throws `IOError.truncated` instead of trapping, so that a short or corrupt
/// file becomes a one-line error. Reads use `loadUnaligned`: file layouts are not aligned.
public struct ByteReader {
  /// Name of the input, for errors (usually the file path).
  public let source: String
  /// The whole input: `[count]`.
  public let bytes: UnsafeRawBufferPointer
  /// Position of the next read.
  public private(set) var offset: Int
  /// Keeps the storage of `bytes` alive (a `MappedFile`, an array box, …).
  private let owner: AnyObject?

  public init(_ bytes: UnsafeRawBufferPointer, source: String, owner: AnyObject? = nil) {
    self.bytes = bytes
    self.source = source
    self.offset = 0
    self.owner = owner
  }

  /// Bytes not yet read.
  public var remaining: Int { bytes.count &- offset }
  public var isAtEnd: Bool { offset >= bytes.count }

  /// Throws unless `count` more bytes are available.
  @inline(__always)
  public func require(_ count: Int, _ what: @autoclosure () -> String) throws {
    guard count >= 0, count <= remaining else {
      throw IOError.truncated(
        source: source, offset: offset, what: what(), needed: count, available: remaining)
    }
  }

  public mutating func seek(to position: Int, _ what: @autoclosure () -> String = "seek target")
    throws
  {
    guard position >= 0, position <= bytes.count else {
      throw IOError.invalidValue(
        source: source, offset: offset, what: what(),
        detail: "position \(position) is outside the input (\(bytes.count) bytes)")
    }
    offset = position
  }

  public mutating func skip(_ count: Int, _ what: @autoclosure () -> String = "skipped bytes")
    throws
  {
    try require(count, what())
    offset &+= count
  }

  @inline(__always)
  private mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String)
    throws -> T
  {
    try require(MemoryLayout<T>.size, what())
    let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
    offset &+= MemoryLayout<T>.size
    return T(littleEndian: value)
  }

  public mutating func u8(_ what: @autoclosure () -> String = "u8") throws -> UInt8 {
    try load(UInt8.self, what())
  }
  public mutating func u16(_ what: @autoclosure () -> String = "u16") throws -> UInt16 {
    try load(UInt16.self, what())
  }
  public mutating func u32(_ what: @autoclosure () -> String = "u32") throws -> UInt32 {
    try load(UInt32.self, what())
  }
  public mutating func u64(_ what: @autoclosure () -> String = "u64") throws -> UInt64 {
    try load(UInt64.self, what())
  }
  public mutating func i32(_ what: @autoclosure () -> String = "i32") throws -> Int32 {
    try load(Int32.self, what())
  }
  public mutating func i64(_ what: @autoclosure () -> String = "i64") throws -> Int64 {
    try load(Int64.self, what())
  }
  public mutating func f32(_ what: @autoclosure () -> String = "f32") throws -> Float {
    Float(bitPattern: try load(UInt32.self, what()))
  }
  public mutating func f64(_ what: @autoclosure () -> String = "f64") throws -> Double {
    Double(bitPattern: try load(UInt64.self, what()))
  }

  /// The next `count` bytes, without copying; valid as long as the owner of `bytes` lives.
  public mutating func bytes(_ count: Int, _ what: @autoclosure () -> String = "bytes") throws
    -> UnsafeRawBufferPointer
  {
    try require(count, what())
    let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ count)])
    offset &+= count
    return slice
  }

  /// The next `count` bytes as UTF-8 text; invalid UTF-8 is an error.
  public mutating func string(_ count: Int, _ what: @autoclosure () -> String = "string") throws
    -> String
  {
    let start = offset
    let raw = try bytes(count, what())
    guard let text = String(validating: raw, as: UTF8.self) else {
      throw IOError.invalidValue(
        source: source, offset: start, what: what(), detail: "not valid UTF-8")
    }
    return text
  }
}
