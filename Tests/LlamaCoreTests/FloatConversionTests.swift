import LlamaCore
import Testing

@Suite("float conversions")
struct FloatConversionTests {
  /// formats.md §8: round to nearest even, never truncation.
  @Test("bf16 rounds to nearest even", arguments: [
    (UInt32(0x3F80_8000), UInt16(0x3F80)), (0x3F81_8000, 0x3F82), (0xBB23_D70A, 0xBB24), (0x7F7F_C99E, 0x7F80),
  ])
  func bfloat16(bits: UInt32, expected: UInt16) {
    #expect(FloatConversion.bfloat16(Float(bitPattern: bits)) == expected)
  }

  @Test("fp16 rounds to nearest even and overflows to infinity", arguments: [
    (Float(1.00390625), UInt16(0x3C04)), (3.1415927, 0x4248), (-0.0025, 0x991F), (65519, 0x7BFF), (65520, 0x7C00),
  ])
  func half(value: Float, expected: UInt16) {
    #expect(FloatConversion.half(value) == expected)
  }

  @Test("bf16 NaN stays NaN; conversions back are exact")
  func roundTrips() {
    #expect(FloatConversion.float(fromBFloat16: FloatConversion.bfloat16(.nan)).isNaN)
    for bits in stride(from: UInt16(0), to: UInt16(0x7C00), by: 97) {
      #expect(FloatConversion.half(FloatConversion.float(fromHalf: bits)) == bits)
      #expect(FloatConversion.bfloat16(FloatConversion.float(fromBFloat16: bits)) == bits)
    }
  }
}
