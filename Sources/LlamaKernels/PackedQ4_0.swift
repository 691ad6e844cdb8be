import LlamaCore
import _Builtin_intrinsics.intel

/// Q4_0 rows re-laid out at load time for AVX2 (same bytes per row, same values): per group of
/// 8 blocks (256 elements), the 8 f16 scales, then for each pair of blocks the two 16-byte
/// nibble arrays side by side. One 32-byte load then holds two blocks; its low nibbles are
/// elements 0–15 of both, its high nibbles elements 16–31, matching the `q8_0x` activation
/// layout, and the 8 scales convert in one instruction.
enum PackedQ4_0 {
  static let groupBytes = 144

  static let pack: @Sendable (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void = { src, n, dst in
    for g in 0..<(n / 256) {
      let out = dst + groupBytes * g
      for b in 0..<8 {
        let block = src + 18 * (8 * g + b)
        (out + 2 * b).copyMemory(from: block, byteCount: 2)
        (out + 16 + 32 * (b / 2) + 16 * (b % 2)).copyMemory(from: block + 2, byteCount: 16)
      }
    }
  }

  static let unpack: @Sendable (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void = { src, n, dst in
    for g in 0..<(n / 256) {
      let group = src + groupBytes * g
      for b in 0..<8 {
        let block = dst + 18 * (8 * g + b)
        block.copyMemory(from: group + 2 * b, byteCount: 2)
        (block + 2).copyMemory(from: group + 16 + 32 * (b / 2) + 16 * (b % 2), byteCount: 16)
      }
    }
  }

  /// The reference: unpack the row and the activations and run the scalar Q4_0 × Q8_0 reference.
  static let reference: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    PairedQ8.reference(BlockLayouts.q4_0, unpack: unpack, w, a, aStride, tokens, n, out, outStride)
  }

  /// Σ_blocks d_w·d_a·Σ nibble·a − 8 · Σ_blocks d_w·(d_a·Σa): the nibbles are unsigned, so
  /// `vpmaddubsw` takes them as they are and the −8 offset is one dot product of scales per group.
  static let simd: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    let mask = _mm256_set1_epi8(0x0F)
    let ones = _mm256_set1_epi16(1)
    let spread0 = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1), spread1 = _mm256_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3)
    let spread2 = _mm256_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5), spread3 = _mm256_setr_epi32(6, 6, 6, 6, 7, 7, 7, 7)
    for t in 0..<tokens {
      let at = a + t * aStride
      var acc = _mm256_setzero_ps()
      var offset = _mm256_setzero_ps()
      for g in 0..<(n / 256) {
        let wg = w + groupBytes * g, ag = at + PairedQ8.groupBytes * g
        let dw = _mm256_cvtph_ps(AVX2.load128(wg))
        let scales = _mm256_mul_ps(dw, ag.loadUnaligned(as: __m256.self))
        offset = _mm256_fmadd_ps(dw, ag.loadUnaligned(fromByteOffset: 32, as: __m256.self), offset)
        @inline(__always) func pair(_ p: Int, _ spread: __m256i) {
          let packed = AVX2.load(wg + 16 + 32 * p)
          let low = _mm256_and_si256(packed, mask)
          let high = _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask)
          let y = ag + PairedQ8.lowHalves(pair: p)
          let products = _mm256_add_epi16(_mm256_maddubs_epi16(low, AVX2.load(y)), _mm256_maddubs_epi16(high, AVX2.load(y + 64)))
          let sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(products, ones))
          acc = _mm256_fmadd_ps(sums, _mm256_permutevar8x32_ps(scales, spread), acc)
        }
        pair(0, spread0)
        pair(1, spread1)
        pair(2, spread2)
        pair(3, spread3)
      }
      out[t * outStride] = AVX2.sum(acc) - 8 * AVX2.sum(offset)
    }
  }
}

/// The `q8_0x` activation layout: Q8_0's values (scale `d = max|x|/127` rounded to f16,
/// `q = round(x/d)` half to even) regrouped for the packed kernels. Per 256 elements: the 8 block
/// scales as f32, the 8 products d·Σq as f32, then per quad of blocks the first halves of the
/// four blocks, then their second halves: `[b0[0..<16], b1[0..<16], b2[0..<16], b3[0..<16],
/// b0[16..<32], …, b3[16..<32]]`. A 64-byte load holds one half of four blocks (AVX-512), a
/// 32-byte load one half of two (AVX2).
enum PairedQ8 {
  static let groupBytes = 320

  /// Offset in a group of the first halves of blocks 2p and 2p+1 (their second halves are 64
  /// bytes further).
  @inline(__always) static func lowHalves(pair p: Int) -> Int { 64 + 128 * (p / 2) + 32 * (p % 2) }

  /// Offset in a group of the first (`half` 0) or second half of block b.
  @inline(__always) static func half(_ half: Int, block b: Int) -> Int { 64 + 128 * (b / 4) + 64 * half + 16 * (b % 4) }

  static func quantize(_ x: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutableRawPointer, reference: Bool) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 8 * 34) { buffer in
      let blocks = UnsafeMutableRawPointer(buffer.baseAddress!)
      let quantize = ActivationQuantizer.function(.q8_0, reference: reference)
      for g in 0..<(n / 256) {
        quantize(x + 256 * g, 256, blocks)
        let group = out + groupBytes * g
        for b in 0..<8 {
          let block = blocks + 34 * b
          let d = FloatConversion.float(fromHalf: block.loadUnaligned(as: UInt16.self))
          var sum: Int32 = 0
          for j in 0..<32 { sum += Int32(block.load(fromByteOffset: 2 + j, as: Int8.self)) }
          group.storeBytes(of: d, toByteOffset: 4 * b, as: Float.self)
          group.storeBytes(of: d * Float(sum), toByteOffset: 32 + 4 * b, as: Float.self)
          (group + half(0, block: b)).copyMemory(from: block + 2, byteCount: 16)
          (group + half(1, block: b)).copyMemory(from: block + 18, byteCount: 16)
        }
      }
    }
  }

  /// Back to plain Q8_0 blocks (for the references).
  static func toQ8_0(_ a: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutableRawPointer) {
    for g in 0..<(n / 256) {
      let group = a + groupBytes * g
      for b in 0..<8 {
        let block = out + 34 * (8 * g + b)
        let d = group.loadUnaligned(fromByteOffset: 4 * b, as: Float.self)
        block.storeBytes(of: FloatConversion.half(d).littleEndian, as: UInt16.self)
        (block + 2).copyMemory(from: group + half(0, block: b), byteCount: 16)
        (block + 18).copyMemory(from: group + half(1, block: b), byteCount: 16)
      }
    }
  }

  /// The reference of a packed 32-element type: the row unpacked to `layout`'s blocks, the
  /// activations back to Q8_0, and the scalar dot product of the plain layouts.
  static func reference(
    _ layout: BlockLayout, unpack: (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void,
    _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
    _ out: UnsafeMutablePointer<Float>, _ outStride: Int
  ) {
    var row = [UInt8](repeating: 0, count: n / 32 * layout.blockBytes)
    var activation = [UInt8](repeating: 0, count: n / 32 * 34)
    row.withUnsafeMutableBytes { unpack(w, n, $0.baseAddress!) }
    for t in 0..<tokens {
      activation.withUnsafeMutableBytes { toQ8_0(a + t * aStride, n, $0.baseAddress!) }
      out[t * outStride] = row.withUnsafeBytes { r in
        activation.withUnsafeBytes { QuantizedReference.dot(layout, r.baseAddress!, $0.baseAddress!, n) }
      }
    }
  }
}
