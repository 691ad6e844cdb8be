import LlamaCore

/// Q4_K rows re-laid out at load time for the AVX-512 kernel (same bytes per block, same
/// values): d, dmin and the 12 scale bytes stay; the 128 nibble bytes become two 64-byte chunks
/// whose low nibbles are elements 128k..<128k+64 and high nibbles 128k+64..<128k+128, so that
/// a 64-byte load meets 64 consecutive activations.
enum PackedQ4_K {
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

  static func move(_ src: UnsafeRawPointer, _ n: Int, _ dst: UnsafeMutableRawPointer, from: (Int) -> (Int, Bool), to: (Int) -> (Int, Bool)) {
    for b in 0..<(n / 256) {
      let s = src + 144 * b, d = dst + 144 * b
      d.copyMemory(from: s, byteCount: 16)
      (d + 16).initializeMemory(as: UInt8.self, repeating: 0, count: 128)
      for e in 0..<256 {
        let (sb, sh) = from(e), (db, dh) = to(e)
        let nibble = (s.load(fromByteOffset: 16 + sb, as: UInt8.self) >> (sh ? 4 : 0)) & 0x0F
        let old = d.load(fromByteOffset: 16 + db, as: UInt8.self)
        d.storeBytes(of: old | nibble << (dh ? 4 : 0), toByteOffset: 16 + db, as: UInt8.self)
      }
    }
  }

  static let pack: @Sendable (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void = { src, n, dst in
    move(src, n, dst, from: original, to: packed)
  }
  static let unpack: @Sendable (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void = { src, n, dst in
    move(src, n, dst, from: packed, to: original)
  }

  static let reference: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    var row = [UInt8](repeating: 0, count: n / 256 * 144)
    row.withUnsafeMutableBytes { unpack(w, n, $0.baseAddress!) }
    row.withUnsafeBytes { r in
      for t in 0..<tokens { out[t * outStride] = QuantizedReference.dot(BlockLayouts.q4_K, r.baseAddress!, a + t * aStride, n) }
    }
  }
}
