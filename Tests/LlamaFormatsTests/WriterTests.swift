import Foundation
import LlamaCore
import LlamaFormats
import LlamaIO
@testable import LlamaKit
@testable import PyTorch
import Testing

@Suite("Writers: zip, pickle, CRC-32, value checks")
struct WriterTests {
  func temporaryFolder() throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-writers-\(getpid())-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
  }

  @Test("CRC-32: the check value of \"123456789\", and pieces of any size give the bitwise result")
  func crc32() {
    #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    #expect(CRC32.checksum([]) == 0)
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }
    var bitwise: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      bitwise ^= UInt32(byte)
      for _ in 0..<8 { bitwise = bitwise & 1 != 0 ? 0xEDB8_8320 ^ (bitwise >> 1) : bitwise >> 1 }
    }
    var pieces = CRC32()
    var start = 0
    for size in [1, 7, 8, 9, 64, 1000, 3911] {
      bytes[start..<(start + size)].withUnsafeBytes { pieces.update($0) }
      start += size
    }
    #expect(start == bytes.count && pieces.value == ~bitwise)
  }

  @Test("a zip with more than 65535 members has ZIP64 end records; every member reads back, data 64-byte aligned")
  func zip64() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/many.zip"
    let writer = try TorchZipWriter(path: path, overwrite: false)
    let count = 70_000
    for i in 0..<count { try writer.add("archive/data/\(i)", Array("member \(i)".utf8)) }
    try writer.finish()
    let zip = try TorchZip(path: path)
    #expect(zip.members.count == count && zip.prefix == "archive/")
    for i in [0, 1, 65_534, 65_535, 65_536, count - 1] {
      let (bytes, owner) = try zip.contents("data/\(i)")
      withExtendedLifetime(owner) {
        #expect(Array(bytes) == Array("member \(i)".utf8))
        #expect(Int(bitPattern: bytes.baseAddress!) % 64 == 0)
      }
    }
    // libarchive checks each member's CRC-32 and the data descriptors.
    let archive = try ArchiveReader(path: path)
    var read = 0
    while let entry = try archive.next(), read < 100 {
      let data = try archive.readData(limit: 64)
      #expect(data == Array("member \(read)".utf8), "\(entry.name)")
      read += 1
    }
    #expect(read == 100)
  }

  @Test("state-dict pickles: any rank, sizes past 2^31 (LONG1), more than 1000 entries (SETITEMS batches) read back")
  func pickle() throws {
    var plans = (0..<1003).map { TensorPlan(name: "t\($0)", shape: [2, 3], type: .f16) }
    plans.append(TensorPlan(name: "huge", shape: [(1 << 31) + 5], type: .bf16))
    plans.append(TensorPlan(name: "cube", shape: [2, 3, 4, 5], type: .f32))
    plans.append(TensorPlan(name: "scalar-ish", shape: [1], type: .f32))
    let bytes = try StateDictPickle.serialize(plans, path: "test")
    let root = try bytes.withUnsafeBytes { buffer in
      var reader = PickleReader(buffer, path: "test")
      return try reader.run()
    }
    guard case .dict(let dict) = root else {
      Issue.record("not a dict: \(root.kind)")
      return
    }
    #expect(dict.entries.count == plans.count)
    for ((key, value), plan) in zip(dict.entries, plans) {
      guard case .string(let name) = key, case .tensor(let tensor) = value else {
        Issue.record("entry \(key.kind): \(value.kind)")
        continue
      }
      #expect(name == plan.name)
      #expect(tensor.shape == plan.shape && tensor.dtype == plan.type, "\(name)")
      #expect(tensor.storage.elementCount == plan.shape.reduce(1, *), "\(name)")
    }
    #expect(throws: FormatError.self) { try StateDictPickle.serialize([TensorPlan(name: "q", shape: [32], type: .q8_0)], path: "x") }
  }

  @Test("a value too large for f16 is an error naming the tensor unless f16 was asked for; then it becomes infinity")
  func f16Overflow() throws {
    let values: [Float] = [1, -2, 70_000, 3]
    let owned = OwnedBytes(values.withUnsafeBytes { Array($0) })
    let tensor = Tensor(name: "blk.0.ffn_down.weight", shape: [1, 4], dtype: .f32, storage: .contiguous(owned.buffer, owner: owned))
    var written: [UInt8] = []
    let error = #expect(throws: FormatError.self) {
      try TensorEncoding.write(tensor, as: .f16) { written += $0 }
    }
    #expect("\(error.map { String(describing: $0) } ?? "")".contains("blk.0.ffn_down.weight"))
    try TensorEncoding.write(tensor, as: .f16, allowsF16Overflow: true) { written += $0 }
    #expect(written.count == 8 && written[4] == 0x00 && written[5] == 0x7C)  // +inf
    // bf16 has f32's range: no error.
    try TensorEncoding.write(tensor, as: .bf16) { _ in }
  }
}
