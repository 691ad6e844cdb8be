/// The 32-element block types (ggml `ggml-common.h`; formats.md §1.4–1.5). Nibble order is
/// split, not interleaved: byte `qs[i]` holds element i (low nibble) and element i + 16 (high).
enum LegacyQuants {
  /// Q4_0: d:half, qs[16]; y = d·(q − 8).
  static let q4_0: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 32) {
      let block = src + 18 * b
      let d = loadHalf(block, 0)
      let out = dst + 32 * b
      for j in 0..<16 {
        let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
        out[j] = d * Float(Int8(byte & 0x0F) - 8)
        out[j + 16] = d * Float(Int8(byte >> 4) - 8)
      }
    }
  }

  static let q4_0SIMD: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 32) {
      let block = src + 18 * b
      let d = SIMD16<Float>(repeating: loadHalf(block, 0))
      let qs = block.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
      let low = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: qs & 0x0F) &- 8)
      let high = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: qs &>> 4) &- 8)
      let out = UnsafeMutableRawPointer(dst + 32 * b)
      out.storeBytes(of: d * low, as: SIMD16<Float>.self)
      out.storeBytes(of: d * high, toByteOffset: 64, as: SIMD16<Float>.self)
    }
  }

  /// Q4_1: d:half, m:half, qs[16]; y = d·q + m.
  static let q4_1: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 32) {
      let block = src + 20 * b
      let d = loadHalf(block, 0)
      let m = loadHalf(block, 2)
      let out = dst + 32 * b
      for j in 0..<16 {
        let byte = block.load(fromByteOffset: 4 + j, as: UInt8.self)
        out[j] = (d * Float(byte & 0x0F)) + m
        out[j + 16] = (d * Float(byte >> 4)) + m
      }
    }
  }

  /// Q5_0: d:half, qh:u32 (bit j = fifth bit of element j), qs[16]; y = d·(q − 16).
  static let q5_0: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 32) {
      let block = src + 22 * b
      let d = loadHalf(block, 0)
      let qh = block.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian
      let out = dst + 32 * b
      for j in 0..<16 {
        let byte = block.load(fromByteOffset: 6 + j, as: UInt8.self)
        let low = Int32(byte & 0x0F) | Int32((qh >> UInt32(j)) & 1) << 4
        let high = Int32(byte >> 4) | Int32((qh >> UInt32(j + 16)) & 1) << 4
        out[j] = d * Float(low - 16)
        out[j + 16] = d * Float(high - 16)
      }
    }
  }

  /// Q5_1: d:half, m:half, qh:u32, qs[16]; y = d·q + m.
  static let q5_1: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 32) {
      let block = src + 24 * b
      let d = loadHalf(block, 0)
      let m = loadHalf(block, 2)
      let qh = block.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
      let out = dst + 32 * b
      for j in 0..<16 {
        let byte = block.load(fromByteOffset: 8 + j, as: UInt8.self)
        let low = UInt32(byte & 0x0F) | ((qh >> UInt32(j)) & 1) << 4
        let high = UInt32(byte >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
        out[j] = (d * Float(low)) + m
        out[j + 16] = (d * Float(high)) + m
      }
    }
  }

  /// Q8_0: d:half, qs[32] int8; y = q·d.
  static let q8_0: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 32) {
      let block = src + 34 * b
      let d = loadHalf(block, 0)
      let out = dst + 32 * b
      for j in 0..<32 { out[j] = Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
    }
  }

  static let q8_0SIMD: DequantizationKernel.Function = { src, n, dst in
    for b in 0..<(n / 32) {
      let block = src + 34 * b
      let d = SIMD16<Float>(repeating: loadHalf(block, 0))
      let out = UnsafeMutableRawPointer(dst + 32 * b)
      for half in 0..<2 {
        let q = block.loadUnaligned(fromByteOffset: 2 + 16 * half, as: SIMD16<Int8>.self)
        out.storeBytes(of: SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: q)) * d, toByteOffset: 64 * half, as: SIMD16<Float>.self)
      }
    }
  }
}
