/// The 256-element "K" super-block types (ggml `ggml-common.h`; formats.md §1.4–1.5), in the
/// operation order of gguf-py's dequantizers.
enum KQuants {
  static let qk = 256

  /// Q2_K: scales[16], qs[64], d:half, dmin:half. Sub-block i of 16 elements:
  /// y = (d·(sc & 15))·q − dmin·(sc >> 4).
  static let q2_K: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / qk) {
      let block = src + 84 * b
      let d = loadHalf(block, 80)
      let dmin = loadHalf(block, 82)
      let out = dst + qk * b
      for e in 0..<qk {
        let half = e / 128, g = (e % 128) / 32, l = e % 32
        let sc = block.load(fromByteOffset: e / 16, as: UInt8.self)
        let q = (block.load(fromByteOffset: 16 + 32 * half + l, as: UInt8.self) >> UInt8(2 * g)) & 3
        let dl = d * Float(sc & 0x0F)
        let ml = dmin * Float(sc >> 4)
        out[e] = dl * Float(q) - ml
      }
    }
  }

  /// Q3_K: hmask[32], qs[64], scales[12] (6-bit, −32 offset), d:half; y = (d·S)·q with
  /// q = low2 − 4 unless the hmask bit is set.
  static let q3_K: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / qk) {
      let block = src + 110 * b
      let d = loadHalf(block, 108)
      /// The 6-bit scale of sub-block i of 16 elements.
      func scale(_ i: Int) -> Float {
        let low = (block.load(fromByteOffset: 96 + i % 8, as: UInt8.self) >> UInt8(4 * (i / 8))) & 0x0F
        let high = (block.load(fromByteOffset: 104 + i % 4, as: UInt8.self) >> UInt8(2 * (i / 4))) & 0x03
        return Float(Int32(low | high << 4) - 32)
      }
      let out = dst + qk * b
      for e in 0..<qk {
        let half = e / 128, g = (e % 128) / 32, l = e % 32
        let low = (block.load(fromByteOffset: 32 + 32 * half + l, as: UInt8.self) >> UInt8(2 * g)) & 3
        let hbit = (block.load(fromByteOffset: l, as: UInt8.self) >> UInt8(e / 32)) & 1
        let q = Int32(low) - Int32((hbit ^ 1) << 2)
        let dl = d * scale(e / 16)
        out[e] = dl * Float(q)
      }
    }
  }

  /// The 6-bit scale and min of sub-block j (0..<8) of a Q4_K/Q5_K block
  /// (ggml's `get_scale_min_k4`).
  @inline(__always)
  static func scaleMin(_ s: UnsafeRawPointer, _ j: Int) -> (UInt8, UInt8) {
    @inline(__always) func byte(_ i: Int) -> UInt8 { s.load(fromByteOffset: i, as: UInt8.self) }
    if j < 4 { return (byte(j) & 63, byte(j + 4) & 63) }
    return ((byte(j + 4) & 0x0F) | ((byte(j - 4) >> 6) << 4), (byte(j + 4) >> 4) | ((byte(j) >> 6) << 4))
  }

  /// Q4_K: d:half, dmin:half, scales[12], qs[128]; sub-block of 32: y = (d·sc)·q − dmin·m.
  static let q4_K: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / qk) {
      let block = src + 144 * b
      let d = loadHalf(block, 0)
      let dmin = loadHalf(block, 2)
      let out = dst + qk * b
      for sb in 0..<8 {
        let (sc, m) = scaleMin(block + 4, sb)
        let dl = d * Float(sc)
        let ml = dmin * Float(m)
        let c = sb / 2
        for l in 0..<32 {
          let byte = block.load(fromByteOffset: 16 + 32 * c + l, as: UInt8.self)
          let q = sb % 2 == 0 ? byte & 0x0F : byte >> 4
          out[32 * sb + l] = dl * Float(q) - ml
        }
      }
    }
  }

  /// Q5_K: d:half, dmin:half, scales[12], qh[32], qs[128]; q gains bit sb of qh[l] as its fifth bit.
  static let q5_K: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / qk) {
      let block = src + 176 * b
      let d = loadHalf(block, 0)
      let dmin = loadHalf(block, 2)
      let out = dst + qk * b
      for sb in 0..<8 {
        let (sc, m) = scaleMin(block + 4, sb)
        let dl = d * Float(sc)
        let ml = dmin * Float(m)
        let c = sb / 2
        for l in 0..<32 {
          let byte = block.load(fromByteOffset: 48 + 32 * c + l, as: UInt8.self)
          let low = sb % 2 == 0 ? byte & 0x0F : byte >> 4
          let high = (block.load(fromByteOffset: 16 + l, as: UInt8.self) >> UInt8(sb)) & 1
          out[32 * sb + l] = dl * Float(low | high << 4) - ml
        }
      }
    }
  }

  /// Q6_K: ql[128], qh[64], scales[16] int8, d:half; y = (d·scale)·(q − 32).
  static let q6_K: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / qk) {
      let block = src + 210 * b
      let d = loadHalf(block, 208)
      let out = dst + qk * b
      for e in 0..<qk {
        let half = e / 128, r = e % 128, g = r / 32, l = r % 32
        let lowByte = block.load(fromByteOffset: 64 * half + l + 32 * (g & 1), as: UInt8.self)
        let low = g < 2 ? lowByte & 0x0F : lowByte >> 4
        let high = (block.load(fromByteOffset: 128 + 32 * half + l, as: UInt8.self) >> UInt8(2 * g)) & 3
        let q = Int32(low | high << 4) - 32
        let scale = Float(block.load(fromByteOffset: 192 + e / 16, as: Int8.self))
        out[e] = (d * scale) * Float(q)
      }
    }
  }

  /// Q8_K: d:f32, qs[256] int8, bsums[16]; y = d·q (a compute type, not found in model files).
  static let q8_K: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / qk) {
      let block = src + 292 * b
      let d = Float(bitPattern: block.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian)
      for j in 0..<qk { dst[qk * b + j] = d * Float(block.load(fromByteOffset: 4 + j, as: Int8.self)) }
    }
  }
}

/// Non-linear 4-bit types: each nibble indexes a fixed table of int8 values.
enum NonLinearQuants {
  static let values: [Float] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

  /// IQ4_NL: d:half, qs[16] (split nibbles as in Q4_0); y = d·values[q].
  static let iq4_nl: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 32) {
      let block = src + 18 * b
      let d = loadHalf(block, 0)
      let out = dst + 32 * b
      for j in 0..<16 {
        let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
        out[j] = d * values[Int(byte & 0x0F)]
        out[j + 16] = d * values[Int(byte >> 4)]
      }
    }
  }

  /// IQ4_XS: d:half, scales_h:u16, scales_l[4], qs[128]; sub-block of 32 with a 6-bit scale
  /// (−32 offset): y = (d·scale)·values[q].
  static let iq4_xs: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 256) {
      let block = src + 136 * b
      let d = loadHalf(block, 0)
      let scalesHigh = block.loadUnaligned(fromByteOffset: 2, as: UInt16.self).littleEndian
      let out = dst + 256 * b
      for ib in 0..<8 {
        let low = (block.load(fromByteOffset: 4 + ib / 2, as: UInt8.self) >> UInt8(4 * (ib % 2))) & 0x0F
        let high = UInt8((scalesHigh >> UInt16(2 * ib)) & 3)
        let dl = d * Float(Int32(low | high << 4) - 32)
        for k in 0..<16 {
          let byte = block.load(fromByteOffset: 8 + 16 * ib + k, as: UInt8.self)
          out[32 * ib + k] = dl * values[Int(byte & 0x0F)]
          out[32 * ib + 16 + k] = dl * values[Int(byte >> 4)]
        }
      }
    }
  }
}
