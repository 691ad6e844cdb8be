import LlamaIO

/// A zip file as `torch.save` writes it (formats.md §5.1, §5.5): members stored (method 0), each
/// member's data starting on a 64-byte boundary (the local header's extra field padded with a
/// 0x4246 "FB" record), CRC-32 and sizes in a data descriptor after the data (flags 0x0808, as
/// torch writes them) and in the central directory, ZIP64 records when a size, an offset or the
/// member count needs them. Members are streamed one after the other; the file appears at its
/// path only when `finish()` succeeds.
final class TorchZipWriter {
  static let alignment = 64
  static let limit32 = 0xFFFF_FFFF

  struct Entry {
    var name: [UInt8]
    var size: Int
    var crc: UInt32
    var headerOffset: Int
  }

  let path: String
  private let file: AtomicFile
  private var offset = 0
  private var entries: [Entry] = []
  /// The member being written: its declared size, bytes so far, running CRC.
  private var open: (entry: Entry, written: Int, crc: CRC32)?

  init(path: String, overwrite: Bool) throws {
    self.path = path
    file = try AtomicFile(path: path, overwrite: overwrite)
  }

  private func emit(_ bytes: [UInt8]) throws {
    try file.write(bytes)
    offset += bytes.count
  }

  /// Starts member `name` of `size` bytes; its data follows through `write`.
  func begin(_ name: String, size: Int) throws {
    guard open == nil else { throw IOError.cannotWrite(path: path, reason: "zip member begun before the last one ended") }
    let nameBytes = Array(name.utf8)
    let large = size >= Self.limit32
    var extra: [UInt8] = []
    if large {
      extra += le(UInt16(1)) + le(UInt16(16)) + le(UInt64(size)) + le(UInt64(size))
    }
    let unpadded = offset + 30 + nameBytes.count + extra.count + 4
    let padding = (Self.alignment - unpadded % Self.alignment) % Self.alignment
    extra += le(UInt16(0x4246)) + le(UInt16(padding)) + [UInt8](repeating: 0x5A, count: padding)
    var header = le(UInt32(0x0403_4B50)) + le(UInt16(large ? 45 : 20)) + le(UInt16(0x0808)) + le(UInt16(0))
    header += Self.dosTimeAndDate + le(UInt32(0))
    header += large ? le(UInt32(Self.limit32)) + le(UInt32(Self.limit32)) : le(UInt32(size)) + le(UInt32(size))
    header += le(UInt16(nameBytes.count)) + le(UInt16(extra.count)) + nameBytes + extra
    let entry = Entry(name: nameBytes, size: size, crc: 0, headerOffset: offset)
    try emit(header)
    open = (entry, 0, CRC32())
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard var current = open, current.written + bytes.count <= current.entry.size else {
      throw IOError.cannotWrite(path: path, reason: "zip member data beyond its declared size")
    }
    try file.write(bytes)
    offset += bytes.count
    current.written += bytes.count
    current.crc.update(bytes)
    open = current
  }

  /// Ends the member begun last: checks its size and writes its data descriptor.
  func end() throws {
    guard var current = open, current.written == current.entry.size else {
      throw IOError.cannotWrite(path: path, reason: "zip member ended before all its data arrived")
    }
    current.entry.crc = current.crc.value
    let large = current.entry.size >= Self.limit32
    var descriptor = le(UInt32(0x0807_4B50)) + le(current.entry.crc)
    descriptor += large
      ? le(UInt64(current.entry.size)) + le(UInt64(current.entry.size))
      : le(UInt32(current.entry.size)) + le(UInt32(current.entry.size))
    try emit(descriptor)
    entries.append(current.entry)
    open = nil
  }

  /// A whole small member.
  func add(_ name: String, _ contents: [UInt8]) throws {
    try begin(name, size: contents.count)
    try contents.withUnsafeBytes { try write($0) }
    try end()
  }

  /// Writes the central directory and end records and commits the file.
  func finish() throws {
    guard open == nil else { throw IOError.cannotWrite(path: path, reason: "zip member not ended") }
    let directoryOffset = offset
    var directory: [UInt8] = []
    for entry in entries {
      let largeSize = entry.size >= Self.limit32
      let largeOffset = entry.headerOffset >= Self.limit32
      var extra: [UInt8] = []
      if largeSize { extra += le(UInt64(entry.size)) + le(UInt64(entry.size)) }
      if largeOffset { extra += le(UInt64(entry.headerOffset)) }
      if !extra.isEmpty { extra = le(UInt16(1)) + le(UInt16(extra.count)) + extra }
      let version = UInt16(extra.isEmpty ? 20 : 45)
      directory += le(UInt32(0x0201_4B50)) + le(version) + le(version) + le(UInt16(0x0808)) + le(UInt16(0))
      directory += Self.dosTimeAndDate + le(entry.crc)
      directory += largeSize ? le(UInt32(Self.limit32)) + le(UInt32(Self.limit32)) : le(UInt32(entry.size)) + le(UInt32(entry.size))
      directory += le(UInt16(entry.name.count)) + le(UInt16(extra.count)) + le(UInt16(0)) + le(UInt16(0))
      directory += le(UInt16(0)) + le(UInt32(0))
      directory += le(UInt32(largeOffset ? Self.limit32 : entry.headerOffset)) + entry.name + extra
    }
    try emit(directory)
    let endOffset = offset
    let needs64 = entries.count >= 0xFFFF || directory.count >= Self.limit32 || directoryOffset >= Self.limit32
    if needs64 {
      var record = le(UInt32(0x0606_4B50)) + le(UInt64(44)) + le(UInt16(45)) + le(UInt16(45)) + le(UInt32(0)) + le(UInt32(0))
      record += le(UInt64(entries.count)) + le(UInt64(entries.count)) + le(UInt64(directory.count)) + le(UInt64(directoryOffset))
      record += le(UInt32(0x0706_4B50)) + le(UInt32(0)) + le(UInt64(endOffset)) + le(UInt32(1))
      try emit(record)
    }
    let count = UInt16(min(entries.count, 0xFFFF))
    var end = le(UInt32(0x0605_4B50)) + le(UInt16(0)) + le(UInt16(0)) + le(count) + le(count)
    end += le(UInt32(min(directory.count, Self.limit32))) + le(UInt32(min(directoryOffset, Self.limit32))) + le(UInt16(0))
    try emit(end)
    try file.commit()
  }

  /// 1980-01-01 00:00:00, the earliest DOS time (torch's zip writer stores a fixed time too).
  static let dosTimeAndDate: [UInt8] = [0, 0, 0x21, 0]

  private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
  }
}
