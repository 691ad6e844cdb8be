import LlamaCore

/// One weight block in integer form, the common ground of every block-quantized type: element
/// j is `scale(group) · q[j]` times `d`, minus `min(group)` times `dmin`; groups are `groupSize`
/// consecutive elements. The scalar reference dot products are written against this form, so
/// that each type only has to say how its bits map to `q`, scales and mins.
struct DecodedBlock {
  /// Integer values, one per element (int8 range).
  var q = [Int8](repeating: 0, count: 256)
  /// Integer scale per group.
  var scales = [Int32](repeating: 1, count: 16)
  /// Integer min per group (K types with a minimum).
  var mins = [Int32](repeating: 0, count: 16)
  var d: Float = 0
  /// Multiplies the mins (K types), or is the float minimum itself (Q4_1, Q5_1: `m`).
  var dmin: Float = 0
}

/// How one block-quantized weight type is stored and which activation format it pairs with.
struct BlockLayout: Sendable {
  let type: DType
  let activation: ActivationFormat
  /// Elements per group sharing one integer scale.
  let groupSize: Int
  /// The type has a minimum: legacy `m` (Q4_1, Q5_1) or K-type mins (Q2_K, Q4_K, Q5_K).
  let hasMin: Bool
  let decode: @Sendable (UnsafeRawPointer, inout DecodedBlock) -> Void

  var blockSize: Int { type.blockSize }
  var blockBytes: Int { type.blockBytes }
}

@inline(__always)
func halfAt(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
  Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian))
}

@inline(__always)
func byteAt(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 { p.load(fromByteOffset: offset, as: UInt8.self) }

/// The int8 values of the non-linear 4-bit types (IQ4_NL, IQ4_XS).
let nonLinearValues: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

/// The block layouts, by weight type (ggml `ggml-common.h`; formats.md §1.4–1.5).
enum BlockLayouts {
  static func layout(for type: DType) -> BlockLayout? { all.first { $0.type == type } }

  static let all: [BlockLayout] = [q4_0, q4_1, q5_0, q5_1, q8_0, iq4_nl, q2_K, q3_K, q4_K, q5_K, q6_K, iq4_xs]

  // MARK: 32-element types (split nibbles: byte j holds elements j and j + 16)

  static let q4_0 = BlockLayout(type: .q4_0, activation: .q8_0, groupSize: 32, hasMin: false) { b, out in
    out.d = halfAt(b, 0)
    for j in 0..<16 {
      let byte = byteAt(b, 2 + j)
      out.q[j] = Int8(byte & 0x0F) - 8
      out.q[j + 16] = Int8(byte >> 4) - 8
    }
  }

  static let q4_1 = BlockLayout(type: .q4_1, activation: .q8_1, groupSize: 32, hasMin: true) { b, out in
    out.d = halfAt(b, 0)
    out.dmin = halfAt(b, 2)
    for j in 0..<16 {
      let byte = byteAt(b, 4 + j)
      out.q[j] = Int8(byte & 0x0F)
      out.q[j + 16] = Int8(byte >> 4)
    }
  }

  static func fiveBit(_ b: UnsafeRawPointer, qh: Int, qs: Int, offset: Int8, _ out: inout DecodedBlock) {
    let high = b.loadUnaligned(fromByteOffset: qh, as: UInt32.self).littleEndian
    for j in 0..<16 {
      let byte = byteAt(b, qs + j)
      out.q[j] = Int8(byte & 0x0F | UInt8((high >> UInt32(j)) & 1) << 4) - offset
      out.q[j + 16] = Int8(byte >> 4 | UInt8((high >> UInt32(j + 16)) & 1) << 4) - offset
    }
  }

  static let q5_0 = BlockLayout(type: .q5_0, activation: .q8_0, groupSize: 32, hasMin: false) { b, out in
    out.d = halfAt(b, 0)
    fiveBit(b, qh: 2, qs: 6, offset: 16, &out)
  }

  static let q5_1 = BlockLayout(type: .q5_1, activation: .q8_1, groupSize: 32, hasMin: true) { b, out in
    out.d = halfAt(b, 0)
    out.dmin = halfAt(b, 2)
    fiveBit(b, qh: 4, qs: 8, offset: 0, &out)
  }

  static let q8_0 = BlockLayout(type: .q8_0, activation: .q8_0, groupSize: 32, hasMin: false) { b, out in
    out.d = halfAt(b, 0)
    for j in 0..<32 { out.q[j] = b.load(fromByteOffset: 2 + j, as: Int8.self) }
  }

  static let iq4_nl = BlockLayout(type: .iq4_nl, activation: .q8_0, groupSize: 32, hasMin: false) { b, out in
    out.d = halfAt(b, 0)
    for j in 0..<16 {
      let byte = byteAt(b, 2 + j)
      out.q[j] = nonLinearValues[Int(byte & 0x0F)]
      out.q[j + 16] = nonLinearValues[Int(byte >> 4)]
    }
  }

  // MARK: 256-element K types

  /// scales[16] (low nibble scale, high nibble min), qs[64], d, dmin.
  static let q2_K = BlockLayout(type: .q2_K, activation: .q8_K, groupSize: 16, hasMin: true) { b, out in
    out.d = halfAt(b, 80)
    out.dmin = halfAt(b, 82)
    for g in 0..<16 {
      let sc = byteAt(b, g)
      out.scales[g] = Int32(sc & 0x0F)
      out.mins[g] = Int32(sc >> 4)
    }
    for e in 0..<256 {
      let half = e / 128, shift = 2 * ((e % 128) / 32), l = e % 32
      out.q[e] = Int8((byteAt(b, 16 + 32 * half + l) >> UInt8(shift)) & 3)
    }
  }

  /// hmask[32], qs[64], scales[12] (6-bit, −32), d; q = low 2 bits − 4 unless the hmask bit is set.
  static let q3_K = BlockLayout(type: .q3_K, activation: .q8_K, groupSize: 16, hasMin: false) { b, out in
    out.d = halfAt(b, 108)
    for g in 0..<16 {
      let low = (byteAt(b, 96 + g % 8) >> UInt8(4 * (g / 8))) & 0x0F
      let high = (byteAt(b, 104 + g % 4) >> UInt8(2 * (g / 4))) & 0x03
      out.scales[g] = Int32(low | high << 4) - 32
    }
    for e in 0..<256 {
      let half = e / 128, shift = 2 * ((e % 128) / 32), l = e % 32
      let low = Int8((byteAt(b, 32 + 32 * half + l) >> UInt8(shift)) & 3)
      let set = (byteAt(b, l) >> UInt8(e / 32)) & 1 == 1
      out.q[e] = set ? low : low - 4
    }
  }

  /// The 6-bit scale and min of group j (0..<8) of a Q4_K/Q5_K block (ggml's `get_scale_min_k4`).
  @inline(__always)
  static func scaleMin(_ s: UnsafeRawPointer, _ j: Int) -> (Int32, Int32) {
    if j < 4 { return (Int32(byteAt(s, j) & 63), Int32(byteAt(s, j + 4) & 63)) }
    let scale = (byteAt(s, j + 4) & 0x0F) | ((byteAt(s, j - 4) >> 6) << 4)
    let min = (byteAt(s, j + 4) >> 4) | ((byteAt(s, j) >> 6) << 4)
    return (Int32(scale), Int32(min))
  }

  /// d, dmin, scales[12], qs[128]: groups of 32, group 2c low nibbles and 2c+1 high nibbles of qs[32c..<32c+32].
  static let q4_K = BlockLayout(type: .q4_K, activation: .q8_K, groupSize: 32, hasMin: true) { b, out in
    out.d = halfAt(b, 0)
    out.dmin = halfAt(b, 2)
    for g in 0..<8 {
      (out.scales[g], out.mins[g]) = scaleMin(b + 4, g)
      for l in 0..<32 {
        let byte = byteAt(b, 16 + 32 * (g / 2) + l)
        out.q[32 * g + l] = Int8(g % 2 == 0 ? byte & 0x0F : byte >> 4)
      }
    }
  }

  /// d, dmin, scales[12], qh[32], qs[128]: as Q4_K with bit g of qh[l] as fifth bit.
  static let q5_K = BlockLayout(type: .q5_K, activation: .q8_K, groupSize: 32, hasMin: true) { b, out in
    out.d = halfAt(b, 0)
    out.dmin = halfAt(b, 2)
    for g in 0..<8 {
      (out.scales[g], out.mins[g]) = scaleMin(b + 4, g)
      for l in 0..<32 {
        let byte = byteAt(b, 48 + 32 * (g / 2) + l)
        let low = g % 2 == 0 ? byte & 0x0F : byte >> 4
        let high = (byteAt(b, 16 + l) >> UInt8(g)) & 1
        out.q[32 * g + l] = Int8(low | high << 4)
      }
    }
  }

  /// ql[128], qh[64], scales[16] int8, d; q = 6 bits − 32.
  static let q6_K = BlockLayout(type: .q6_K, activation: .q8_K, groupSize: 16, hasMin: false) { b, out in
    out.d = halfAt(b, 208)
    for g in 0..<16 { out.scales[g] = Int32(b.load(fromByteOffset: 192 + g, as: Int8.self)) }
    for e in 0..<256 {
      let half = e / 128, r = e % 128, quarter = r / 32, l = r % 32
      let lowByte = byteAt(b, 64 * half + l + 32 * (quarter & 1))
      let low = quarter < 2 ? lowByte & 0x0F : lowByte >> 4
      let high = (byteAt(b, 128 + 32 * half + l) >> UInt8(2 * quarter)) & 3
      out.q[e] = Int8(low | high << 4) - 32
    }
  }

  /// d, scales_h:u16, scales_l[4], qs[128]; groups of 32 with a 6-bit scale (−32), values from the table.
  static let iq4_xs = BlockLayout(type: .iq4_xs, activation: .q8_K, groupSize: 32, hasMin: false) { b, out in
    out.d = halfAt(b, 0)
    let scalesHigh = b.loadUnaligned(fromByteOffset: 2, as: UInt16.self).littleEndian
    for g in 0..<8 {
      let low = (byteAt(b, 4 + g / 2) >> UInt8(4 * (g % 2))) & 0x0F
      let high = UInt8((scalesHigh >> UInt16(2 * g)) & 3)
      out.scales[g] = Int32(low | high << 4) - 32
      for k in 0..<16 {
        let byte = byteAt(b, 8 + 16 * g + k)
        out.q[32 * g + k] = nonLinearValues[Int(byte & 0x0F)]
        out.q[32 * g + 16 + k] = nonLinearValues[Int(byte >> 4)]
      }
    }
  }
}
