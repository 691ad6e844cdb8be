import LlamaCore
import Testing

@Suite("dequantization")
struct DequantizationTests {
  func dequantize(_ type: DType, _ bytes: [UInt8], count: Int, reference: Bool = true) throws -> [Float] {
    var out = [Float](repeating: .nan, count: count)
    try bytes.withUnsafeBytes { raw in
      try out.withUnsafeMutableBufferPointer {
        try Dequantization.dequantize(type, raw, count: count, into: $0.baseAddress!, reference: reference)
      }
    }
    return out
  }

  func hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").filter { $0 != "|" }.map { UInt8($0, radix: 16)! }
  }

  /// formats.md §8 test vectors (made with gguf-py).
  @Test("Q4_0 test vector")
  func q4_0() throws {
    let values = try dequantize(.q4_0, hex("00 38 | 80 91 91 a2 a2 b3 b3 c4 c4 d5 d5 e6 e6 f7 f7 f8"), count: 32)
    let low: [Float] = [-4, -3.5, -3.5, -3, -3, -2.5, -2.5, -2, -2, -1.5, -1.5, -1, -1, -0.5, -0.5, 0]
    let high: [Float] = [0, 0.5, 0.5, 1, 1, 1.5, 1.5, 2, 2, 2.5, 2.5, 3, 3, 3.5, 3.5, 3.5]
    #expect(values == low + high)
    // The block was quantized from x_j = (j − 16)/4: every value is within half a step.
    for (j, value) in values.enumerated() { #expect(abs(value - Float(j - 16) / 4) <= 0.25) }
  }

  @Test("Q8_0 test vector")
  func q8_0() throws {
    let bytes = hex("08 28 | 81 89 91 99 a1 a9 b1 b9 c0 c8 d0 d8 e0 e8 f0 f8 00 08 10 18 20 28 30 38 40 47 4f 57 5f 67 6f 77")
    let values = try dequantize(.q8_0, bytes, count: 32)
    let d: Float = 0.031494140625
    for j in 0..<32 {
      #expect(values[j] == Float(Int8(bitPattern: bytes[2 + j])) * d)
      #expect(abs(values[j] - Float(j - 16) / 4) <= 0.015625)
    }
  }

  @Test("Q5_0, Q4_1 and Q5_1 test vectors reproduce x = (j − 16)/4")
  func otherLegacy() throws {
    let x = (0..<32).map { Float($0 - 16) / 4 }
    let q5_0 = try dequantize(.q5_0, hex("00 34 00 00 ff ff") + (0..<16).map { UInt8($0 * 0x11) }, count: 32)
    #expect(q5_0 == x)  // d = 0.25, exact
    let q4_1 = try dequantize(
      .q4_1, hex("22 38 00 c4 80 80 91 91 a2 a2 b3 b3 c4 c4 d5 d5 e6 e6 f7 f7"), count: 32)
    for (value, target) in zip(q4_1, x) { #expect(abs(value - target) <= 0.26) }
    let q5_1 = try dequantize(.q5_1, hex("00 34 00 c4 00 00 ff ff") + (0..<16).map { UInt8($0 * 0x11) }, count: 32)
    #expect(q5_1 == x)
  }

  @Test("Q4_K test vector")
  func q4_K() throws {
    let block = hex("00 3c 00 3c c1 02 03 04 85 06 07 08 21 43 65 87") + [UInt8](repeating: 0x10, count: 128)
    let values = try dequantize(.q4_K, block, count: 256)
    let expected: [Float] = [-5, -4, -7, -4, -34, -1, -6, -1]
    for (sub, value) in expected.enumerated() {
      #expect(values[(32 * sub)..<(32 * sub + 32)].allSatisfy { $0 == value }, "sub-block \(sub)")
    }
  }

  @Test("Q6_K test vectors")
  func q6_K() throws {
    var block = [UInt8](repeating: 0x21, count: 128) + [UInt8](repeating: 0xE4, count: 64)
    block += [UInt8](repeating: 1, count: 16) + [0x00, 0x3C]
    let values = try dequantize(.q6_K, block, count: 256)
    for half in 0..<2 {
      for (group, value) in [Float(-31), -15, 2, 18].enumerated() {
        let start = 128 * half + 32 * group
        #expect(values[start..<(start + 32)].allSatisfy { $0 == value })
      }
    }
    let zero = [UInt8](repeating: 0, count: 192) + (1...16).map { UInt8($0) } + [0x00, 0x3C]
    let scaled = try dequantize(.q6_K, zero, count: 256)
    for i in 0..<16 { #expect(scaled[(16 * i)..<(16 * i + 16)].allSatisfy { $0 == Float(-32 * (i + 1)) }) }
  }

  /// Blocks with random quants and finite scales.
  func randomBlocks(_ type: DType, blocks: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
    var bytes = (0..<(blocks * type.blockBytes)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    // Put finite halves where the block layouts keep their scales.
    let halfOffsets: [Int]
    switch type {
    case .q4_0, .q8_0, .iq4_nl, .q5_0: halfOffsets = [0]
    case .q4_1, .q5_1, .q4_K, .q5_K: halfOffsets = [0, 2]
    case .q2_K: halfOffsets = [80, 82]
    case .q3_K: halfOffsets = [108]
    case .q6_K: halfOffsets = [208]
    case .iq4_xs: halfOffsets = [0]
    case .f16: halfOffsets = Array(stride(from: 0, to: type.blockBytes, by: 2))
    default: halfOffsets = []
    }
    for b in 0..<blocks {
      for offset in halfOffsets {
        let h = FloatConversion.half(Float.random(in: -2...2, using: &generator))
        bytes[b * type.blockBytes + offset] = UInt8(h & 0xFF)
        bytes[b * type.blockBytes + offset + 1] = UInt8(h >> 8)
      }
    }
    return bytes
  }

  @Test("SIMD kernels equal the scalar references", arguments: Dequantization.supportedTypes)
  func simdMatchesScalar(type: DType) throws {
    var generator = SplitMix64(seed: 42)
    let blocks = type.blockSize == 1 ? 301 : 9
    let bytes = type.blockSize == 1 && type != .f16
      ? randomFinite(type, count: blocks, using: &generator) : randomBlocks(type, blocks: blocks, using: &generator)
    let count = blocks * type.blockSize
    let scalar = try dequantize(type, bytes, count: count, reference: true)
    let simd = try dequantize(type, bytes, count: count, reference: false)
    #expect(scalar.map(\.bitPattern) == simd.map(\.bitPattern))
    #expect(scalar.allSatisfy { !$0.isNaN } || type.blockSize == 1)
  }

  func randomFinite(_ type: DType, count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
    var bytes: [UInt8] = []
    for _ in 0..<count {
      let value = Float.random(in: -100...100, using: &generator)
      switch type {
      case .f32: bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
      case .bf16: bytes += withUnsafeBytes(of: FloatConversion.bfloat16(value).littleEndian, Array.init)
      case .f64: bytes += withUnsafeBytes(of: Double(value).bitPattern.littleEndian, Array.init)
      default: bytes += (0..<type.blockBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
      }
    }
    return bytes
  }

  @Test("sizes, partial blocks and unsupported types are errors")
  func errors() throws {
    #expect(DType.q4_K.byteCount(elements: 512) == 288)
    #expect(DType.q4_K.byteCount(elements: 100) == nil)
    #expect(DType.f32.byteCount(elements: Int.max / 2) == nil)
    #expect(throws: DequantizationError.partialBlock(.q8_0, elements: 33)) {
      _ = try dequantize(.q8_0, [UInt8](repeating: 0, count: 68), count: 33)
    }
    #expect(throws: DequantizationError.sourceTooShort(.q8_0, needed: 34, available: 10)) {
      _ = try dequantize(.q8_0, [UInt8](repeating: 0, count: 10), count: 32)
    }
    #expect(throws: DequantizationError.unsupportedType(.ggml(16))) {
      _ = try dequantize(.ggml(16), [UInt8](repeating: 0, count: 66), count: 256)
    }
    #expect(DType.ggml(999).name == "type 999" && !DType.ggml(999).isSized)
  }
}

/// A small deterministic generator for test data.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
