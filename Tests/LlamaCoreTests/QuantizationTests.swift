import LlamaCore
import Testing

/// Every encoder against its own dequantization: what the reference files cannot cover (Q5_1
/// has no llama-quantize fixture; all-zero blocks, constant blocks, extreme magnitudes). The
/// bytes of llama-quantize's files are checked in the convert tests.
@Suite("quantization")
struct QuantizationTests {
  static let types: [DType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

  /// Values of a few kinds, 512 of each: random around 0, all positive, all zero, constant.
  static func inputs() -> [(String, [Float])] {
    var state: UInt64 = 0x1234_5678
    func random() -> Float {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(state >> 40) / Float(1 << 24) * 2 - 1
    }
    let mixed = (0..<512).map { _ in random() * 0.05 }
    return [
      ("mixed", mixed), ("positive", mixed.map { abs($0) + 0.01 }), ("zeros", [Float](repeating: 0, count: 512)),
      ("constant", [Float](repeating: -0.375, count: 512)), ("large", mixed.map { $0 * 1000 }),
    ]
  }

  /// Steps of the type's grid relative to the block's spread: 2^-24 for f32, 2^-11 f16, 2^-8
  /// bf16, 1/127 Q8_0, 1/8 … 1/32 for 4- and 5-bit blocks, 1/2 and 1/4 for the 2- and 3-bit
  /// K-quants, 1/16 for Q5_K and Q6_K (whose 6-bit group scales add their own rounding).
  static func tolerance(_ type: DType) -> Float {
    switch type {
    case .f32: return 0
    case .f16: return 1.0 / 2048
    case .bf16: return 1.0 / 256
    case .q8_0: return 1.0 / 127
    case .q4_0: return 1.0 / 8
    case .q4_1: return 1.0 / 15
    case .q5_0: return 1.0 / 16
    case .q5_1: return 1.0 / 31
    case .q2_K: return 1.0 / 2
    case .q3_K: return 1.0 / 4
    case .q4_K: return 1.0 / 8
    default: return 1.0 / 16
    }
  }

  @Test("dequantize(encode(x)) is within one grid step of x, and all zeros stay zeros", arguments: QuantizationTests.types)
  func roundTrip(type: DType) throws {
    let encode = try #require(Quantization.encoder(for: type))
    for (kind, x) in Self.inputs() {
      let bytes = try #require(type.byteCount(elements: x.count))
      var encoded = [UInt8](repeating: 0xAA, count: bytes)
      x.withUnsafeBufferPointer { xs in encoded.withUnsafeMutableBytes { encode(xs.baseAddress!, x.count, $0.baseAddress!) } }
      var decoded = [Float](repeating: .nan, count: x.count)
      try encoded.withUnsafeBytes { source in
        try decoded.withUnsafeMutableBufferPointer { try Dequantization.dequantize(type, source, count: x.count, into: $0.baseAddress!) }
      }
      let spread = max(x.map(abs).max() ?? 0, 1e-30)
      let worst = zip(x, decoded).map { abs($0 - $1) }.max() ?? .nan
      #expect(worst <= Self.tolerance(type) * spread * 1.01, "\(type) \(kind): worst error \(worst), spread \(spread)")
      if kind == "zeros" { #expect(decoded.allSatisfy { $0 == 0 }, "\(type)") }
    }
  }

  @Test("NaN and infinity in the input do not trap", arguments: QuantizationTests.types)
  func nonFinite(type: DType) throws {
    let encode = try #require(Quantization.encoder(for: type))
    var x = [Float](repeating: 0.5, count: 256)
    x[3] = .nan
    x[100] = .infinity
    x[200] = -.infinity
    var encoded = [UInt8](repeating: 0, count: try #require(type.byteCount(elements: x.count)))
    x.withUnsafeBufferPointer { xs in encoded.withUnsafeMutableBytes { encode(xs.baseAddress!, x.count, $0.baseAddress!) } }
  }
}
