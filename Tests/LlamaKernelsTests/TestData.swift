import LlamaCore

/// A small deterministic generator (SplitMix64) for kernel test data.
struct SplitMix64 {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in [-1, 1).
  mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
  mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}

/// Random weight rows of a type: random bytes with every f16 scale field set to a small sane
/// value (random bits would give NaN and infinity scales).
func randomWeights(_ type: DType, rows: Int, n: Int, rng: inout SplitMix64) -> [UInt8] {
  let blockCount = rows * n / type.blockSize
  var bytes = (0..<(blockCount * type.blockBytes)).map { _ in rng.byte() }
  let halfFields: [DType: [Int]] = [
    .q4_0: [0], .q4_1: [0, 2], .q5_0: [0], .q5_1: [0, 2], .q8_0: [0], .iq4_nl: [0], .q2_K: [80, 82],
    .q3_K: [108], .q4_K: [0, 2], .q5_K: [0, 2], .q6_K: [208], .iq4_xs: [0],
  ]
  if type == .f32 {
    return (0..<(rows * n)).flatMap { _ in withUnsafeBytes(of: rng.float().bitPattern.littleEndian, Array.init) }
  }
  if type == .f16 || type == .bf16 {
    return (0..<(rows * n)).flatMap { _ -> [UInt8] in
      let v = rng.float()
      let bits = type == .f16 ? FloatConversion.half(v) : FloatConversion.bfloat16(v)
      return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
    }
  }
  for b in 0..<blockCount {
    for offset in halfFields[type] ?? [] {
      let bits = FloatConversion.half(0.001 + 0.02 * abs(rng.float()))
      bytes[b * type.blockBytes + offset] = UInt8(bits & 0xFF)
      bytes[b * type.blockBytes + offset + 1] = UInt8(bits >> 8)
    }
  }
  return bytes
}
