import LlamaIO
import Testing

@Suite("ByteReader")
struct ByteReaderTests {
  @Test("little-endian reads and truncation errors")
  func reads() throws {
    let data: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x80, 0x3F, 0x68, 0x69]
    try data.withUnsafeBytes { raw in
      var reader = ByteReader(raw, source: "x.bin")
      #expect(try reader.u16() == 0x0201)
      #expect(try reader.u8() == 3)
      #expect(try reader.u8() == 4)
      #expect(try reader.f32() == 1.0)
      #expect(try reader.string(2) == "hi")
      #expect(reader.isAtEnd)
      #expect(throws: IOError.truncated(source: "x.bin", offset: 10, what: "count", needed: 4, available: 0)) {
        _ = try reader.u32("count")
      }
      try reader.seek(to: 6)
      #expect(throws: IOError.truncated(source: "x.bin", offset: 6, what: "u64", needed: 8, available: 4)) {
        _ = try reader.u64()
      }
      #expect(reader.offset == 6)
      #expect(throws: IOError.self) { try reader.seek(to: 11) }
      #expect(throws: IOError.self) { try reader.skip(-1) }
      #expect(throws: IOError.self) { _ = try reader.bytes(Int.max) }
    }
  }

  @Test("invalid UTF-8 strings are errors")
  func invalidString() throws {
    let data: [UInt8] = [0x61, 0xFF]
    try data.withUnsafeBytes { raw in
      var reader = ByteReader(raw, source: "x.bin")
      #expect(throws: IOError.invalidValue(source: "x.bin", offset: 0, what: "name", detail: "not valid UTF-8")) {
        _ = try reader.string(2, "name")
      }
    }
  }
}
