/// CRC-32 as zip and gzip use it (reflected polynomial 0xEDB88320, initial and final value
/// 0xFFFFFFFF), computed eight bytes at a time from eight tables ("slicing by 8"), so that
/// checksumming a multi-gigabyte checkpoint costs little next to writing it.
public struct CRC32: Sendable {
  public private(set) var value: UInt32 = 0

  public init() {}

  /// The tables: `tables[k][b]` is the CRC of byte `b` followed by `k` zero bytes.
  static let tables: [UInt32] = {
    var tables = [UInt32](repeating: 0, count: 8 * 256)
    for b in 0..<256 {
      var c = UInt32(b)
      for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
      tables[b] = c
    }
    for k in 1..<8 {
      for b in 0..<256 {
        let previous = tables[(k - 1) * 256 + b]
        tables[k * 256 + b] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
      }
    }
    return tables
  }()

  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard let base = bytes.baseAddress else { return }
    var crc = ~value
    var i = 0
    let count = bytes.count
    Self.tables.withUnsafeBufferPointer { t in
      while i + 8 <= count {
        let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian
        let low = UInt32(truncatingIfNeeded: word) ^ crc
        let high = UInt32(truncatingIfNeeded: word >> 32)
        crc =
          t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
          ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
          ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
          ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
        i += 8
      }
      while i < count {
        crc = (crc >> 8) ^ t[Int((crc ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)]
        i += 1
      }
    }
    value = ~crc
  }

  public static func checksum(_ bytes: [UInt8]) -> UInt32 {
    var crc = CRC32()
    bytes.withUnsafeBytes { crc.update($0) }
    return crc.value
  }
}
