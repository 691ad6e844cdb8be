import LlamaCore

/// Q4_K rows re-laid out at load time for the AVX-512 kernel (same values, 148 bytes per block
/// instead of 144): d and dmin stay; the 8 six-bit scales and 8 mins, packed in 12 bytes, are
/// stored as 16 bytes; the 128 nibble bytes become two 64-byte chunks whose low nibbles are
/// elements 128k..<128k+64 and high nibbles 128k+64..<128k+128, so that a 64-byte load meets 64
/// consecutive activations.
enum PackedQ4_K {
  static let blockBytes = 148

  /// Element e's nibble in the GGUF order: byte, and whether it is the high nibble.
  @inline(__always) static func original(_ e: Int) -> (Int, Bool) {
    let chunk = e / 64, within = e % 64
    return (32 * chunk + within % 32, within >= 32)
  }

  /// Element e's nibble in the packed order.
  @inline(__always) static func packed(_ e: Int) -> (Int, Bool) {
    let chunk = e / 128, within = e % 128
    return (64 * chunk + within % 64, within >= 64)
  }

  /// Moves the nibbles of one block's 128 bytes from one order to the other.
  static func moveNibbles(_ s: UnsafeRawPointer, _ d: UnsafeMutableRawPointer, from: (Int) -> (Int, Bool), to: (Int) -> (Int, Bool)) {
    d.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
    for e in 0..<256 {
      let (sb, sh) = from(e), (db, dh) = to(e)
      let nibble = (s.load(fromByteOffset: sb, as: UInt8.self) >> (sh ? 4 : 0)) & 0x0F
      let old = d.load(fromByteOffset: db, as: UInt8.self)
      d.storeBytes(of: old | nibble << (dh ? 4 : 0), toByteOffset: db, as: UInt8.self)
    }
  }

  static let pack: @Sendable (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void = { src, n, dst in
    for b in 0..<(n / 256) {
      let s = src + 144 * b, d = dst + blockBytes * b
      d.copyMemory(from: s, byteCount: 4)
      for g in 0..<8 {
        let (scale, min) = BlockLayouts.scaleMin(s + 4, g)
        d.storeBytes(of: UInt8(scale), toByteOffset: 4 + g, as: UInt8.self)
        d.storeBytes(of: UInt8(min), toByteOffset: 12 + g, as: UInt8.self)
      }
      moveNibbles(s + 16, d + 20, from: original, to: packed)
    }
  }

  static let unpack: @Sendable (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void = { src, n, dst in
    for b in 0..<(n / 256) {
      let s = src + blockBytes * b, d = dst + 144 * b
      d.copyMemory(from: s, byteCount: 4)
      // The 12-byte packing of 8 six-bit scales and mins (ggml's get_scale_min_k4, inverted).
      let scale = (0..<8).map { s.load(fromByteOffset: 4 + $0, as: UInt8.self) }
      let min = (0..<8).map { s.load(fromByteOffset: 12 + $0, as: UInt8.self) }
      for j in 0..<4 {
        d.storeBytes(of: scale[j] & 63 | (scale[j + 4] >> 4) << 6, toByteOffset: 4 + j, as: UInt8.self)
        d.storeBytes(of: min[j] & 63 | (min[j + 4] >> 4) << 6, toByteOffset: 8 + j, as: UInt8.self)
        d.storeBytes(of: scale[j + 4] & 0x0F | (min[j + 4] & 0x0F) << 4, toByteOffset: 12 + j, as: UInt8.self)
      }
      moveNibbles(s + 20, d + 16, from: packed, to: original)
    }
  }

  static let reference: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    var row = [UInt8](repeating: 0, count: n / 256 * 144)
    row.withUnsafeMutableBytes { unpack(w, n, $0.baseAddress!) }
    row.withUnsafeBytes { r in
      for t in 0..<tokens { out[t * outStride] = QuantizedReference.dot(BlockLayouts.q4_K, r.baseAddress!, a + t * aStride, n) }
    }
  }
}
