/// SIMD versions of the block dequantizers: 16 values at a time, the same operations in the
/// same order as the scalar references (the tests compare them bit for bit).
enum SIMDQuants {
  typealias V = SIMD16<Float>

  @inline(__always)
  static func store(_ v: V, _ dst: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(dst).storeBytes(of: v, as: V.self)
  }

  /// Nibbles of 16 bytes: low halves and high halves, as floats.
  @inline(__always)
  static func nibbles(_ bytes: SIMD16<UInt8>) -> (V, V) {
    (V(SIMD16<Int32>(truncatingIfNeeded: bytes & 0x0F)), V(SIMD16<Int32>(truncatingIfNeeded: bytes &>> 4)))
  }

  /// Bit `bit` of each of 16 bytes, as 0/1 integers.
  @inline(__always)
  static func bits(_ bytes: SIMD16<UInt8>, _ bit: UInt8) -> SIMD16<Int32> {
    SIMD16<Int32>(truncatingIfNeeded: (bytes &>> bit) & 1)
  }

  /// The fifth bits of a Q5 block's 32 elements from the LE u32 `qh`: elements 0..<16 and 16..<32.
  @inline(__always)
  static func fifthBits(_ qh: UInt32) -> (SIMD16<Int32>, SIMD16<Int32>) {
    let shifts = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    let low = (SIMD16<UInt32>(repeating: qh) &>> shifts) & 1
    let high = (SIMD16<UInt32>(repeating: qh >> 16) &>> shifts) & 1
    return (SIMD16<Int32>(truncatingIfNeeded: low), SIMD16<Int32>(truncatingIfNeeded: high))
  }

  static let q4_1: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 32) {
      let block = src + 20 * b
      let d = V(repeating: loadHalf(block, 0))
      let m = V(repeating: loadHalf(block, 2))
      let (low, high) = nibbles(block.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self))
      store((d * low) + m, dst + 32 * b)
      store((d * high) + m, dst + 32 * b + 16)
    }
  }

  static let q5_0: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 32) {
      let block = src + 22 * b
      let d = V(repeating: loadHalf(block, 0))
      let (h0, h1) = fifthBits(block.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian)
      let qs = block.loadUnaligned(fromByteOffset: 6, as: SIMD16<UInt8>.self)
      let low = SIMD16<Int32>(truncatingIfNeeded: qs & 0x0F) | (h0 &<< 4)
      let high = SIMD16<Int32>(truncatingIfNeeded: qs &>> 4) | (h1 &<< 4)
      store(d * V(low &- 16), dst + 32 * b)
      store(d * V(high &- 16), dst + 32 * b + 16)
    }
  }

  static let q5_1: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 32) {
      let block = src + 24 * b
      let d = V(repeating: loadHalf(block, 0))
      let m = V(repeating: loadHalf(block, 2))
      let (h0, h1) = fifthBits(block.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian)
      let qs = block.loadUnaligned(fromByteOffset: 8, as: SIMD16<UInt8>.self)
      let low = SIMD16<Int32>(truncatingIfNeeded: qs & 0x0F) | (h0 &<< 4)
      let high = SIMD16<Int32>(truncatingIfNeeded: qs &>> 4) | (h1 &<< 4)
      store((d * V(low)) + m, dst + 32 * b)
      store((d * V(high)) + m, dst + 32 * b + 16)
    }
  }

  /// Table lookup of 16 nibbles in the IQ4 value table.
  @inline(__always)
  static func lookup(_ q: SIMD16<UInt8>) -> V {
    var v = V()
    for i in 0..<16 { v[i] = NonLinearQuants.values[Int(q[i])] }
    return v
  }

  static let iq4_nl: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 32) {
      let block = src + 18 * b
      let d = V(repeating: loadHalf(block, 0))
      let qs = block.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
      store(d * lookup(qs & 0x0F), dst + 32 * b)
      store(d * lookup(qs &>> 4), dst + 32 * b + 16)
    }
  }

  static let iq4_xs: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 256) {
      let block = src + 136 * b
      let d = loadHalf(block, 0)
      let scalesHigh = block.loadUnaligned(fromByteOffset: 2, as: UInt16.self).littleEndian
      for ib in 0..<8 {
        let low = (block.load(fromByteOffset: 4 + ib / 2, as: UInt8.self) >> UInt8(4 * (ib % 2))) & 0x0F
        let high = UInt8((scalesHigh >> UInt16(2 * ib)) & 3)
        let dl = V(repeating: d * Float(Int32(low | high << 4) - 32))
        let qs = block.loadUnaligned(fromByteOffset: 8 + 16 * ib, as: SIMD16<UInt8>.self)
        store(dl * lookup(qs & 0x0F), dst + 256 * b + 32 * ib)
        store(dl * lookup(qs &>> 4), dst + 256 * b + 32 * ib + 16)
      }
    }
  }

  static let q2_K: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 256) {
      let block = src + 84 * b
      let d = loadHalf(block, 80)
      let dmin = loadHalf(block, 82)
      for half in 0..<2 {
        for g in 0..<4 {
          for part in 0..<2 {
            let e = 128 * half + 32 * g + 16 * part
            let sc = block.load(fromByteOffset: e / 16, as: UInt8.self)
            let qs = block.loadUnaligned(fromByteOffset: 16 + 32 * half + 16 * part, as: SIMD16<UInt8>.self)
            let q = V(SIMD16<Int32>(truncatingIfNeeded: (qs &>> UInt8(2 * g)) & 3))
            let dl = V(repeating: d * Float(sc & 0x0F))
            let ml = V(repeating: dmin * Float(sc >> 4))
            store(dl * q - ml, dst + 256 * b + e)
          }
        }
      }
    }
  }

  static let q3_K: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 256) {
      let block = src + 110 * b
      let d = loadHalf(block, 108)
      for half in 0..<2 {
        for g in 0..<4 {
          for part in 0..<2 {
            let e = 128 * half + 32 * g + 16 * part
            let i = e / 16
            let lowScale = (block.load(fromByteOffset: 96 + i % 8, as: UInt8.self) >> UInt8(4 * (i / 8))) & 0x0F
            let highScale = (block.load(fromByteOffset: 104 + i % 4, as: UInt8.self) >> UInt8(2 * (i / 4))) & 0x03
            let dl = V(repeating: d * Float(Int32(lowScale | highScale << 4) - 32))
            let qs = block.loadUnaligned(fromByteOffset: 32 + 32 * half + 16 * part, as: SIMD16<UInt8>.self)
            let hmask = block.loadUnaligned(fromByteOffset: 16 * part, as: SIMD16<UInt8>.self)
            let low = SIMD16<Int32>(truncatingIfNeeded: (qs &>> UInt8(2 * g)) & 3)
            let hbit = bits(hmask, UInt8(e / 32))
            store(dl * V(low &- ((hbit ^ 1) &<< 2)), dst + 256 * b + e)
          }
        }
      }
    }
  }

  static let q4_K: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 256) {
      let block = src + 144 * b
      let d = loadHalf(block, 0)
      let dmin = loadHalf(block, 2)
      for sb in 0..<8 {
        let (sc, m) = KQuants.scaleMin(block + 4, sb)
        let dl = V(repeating: d * Float(sc))
        let ml = V(repeating: dmin * Float(m))
        for part in 0..<2 {
          let qs = block.loadUnaligned(fromByteOffset: 16 + 32 * (sb / 2) + 16 * part, as: SIMD16<UInt8>.self)
          let q = sb % 2 == 0 ? qs & 0x0F : qs &>> 4
          store(dl * V(SIMD16<Int32>(truncatingIfNeeded: q)) - ml, dst + 256 * b + 32 * sb + 16 * part)
        }
      }
    }
  }

  static let q5_K: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 256) {
      let block = src + 176 * b
      let d = loadHalf(block, 0)
      let dmin = loadHalf(block, 2)
      for sb in 0..<8 {
        let (sc, m) = KQuants.scaleMin(block + 4, sb)
        let dl = V(repeating: d * Float(sc))
        let ml = V(repeating: dmin * Float(m))
        for part in 0..<2 {
          let qs = block.loadUnaligned(fromByteOffset: 48 + 32 * (sb / 2) + 16 * part, as: SIMD16<UInt8>.self)
          let qh = block.loadUnaligned(fromByteOffset: 16 + 16 * part, as: SIMD16<UInt8>.self)
          let low = SIMD16<Int32>(truncatingIfNeeded: sb % 2 == 0 ? qs & 0x0F : qs &>> 4)
          let q = low | (bits(qh, UInt8(sb)) &<< 4)
          store(dl * V(q) - ml, dst + 256 * b + 32 * sb + 16 * part)
        }
      }
    }
  }

  static let q6_K: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 256) {
      let block = src + 210 * b
      let d = loadHalf(block, 208)
      for half in 0..<2 {
        for g in 0..<4 {
          for part in 0..<2 {
            let e = 128 * half + 32 * g + 16 * part
            let lowBytes = block.loadUnaligned(fromByteOffset: 64 * half + 16 * part + 32 * (g & 1), as: SIMD16<UInt8>.self)
            let low = g < 2 ? lowBytes & 0x0F : lowBytes &>> 4
            let highBytes = block.loadUnaligned(fromByteOffset: 128 + 32 * half + 16 * part, as: SIMD16<UInt8>.self)
            let high = (highBytes &>> UInt8(2 * g)) & 3
            let q = SIMD16<Int32>(truncatingIfNeeded: low | (high &<< 4)) &- 32
            let scale = Float(block.load(fromByteOffset: 192 + e / 16, as: Int8.self))
            store(V(repeating: d * scale) * V(q), dst + 256 * b + e)
          }
        }
      }
    }
  }
}
