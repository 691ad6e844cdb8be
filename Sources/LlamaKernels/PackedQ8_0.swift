import LlamaCore
import LlamaKernelsAVX512
import _Builtin_intrinsics.intel

/// Q8_0 rows re-laid out at load time (same bytes per row, same values): per group of 8 blocks
/// (256 elements), the 8 f16 scales, then the values in the `q8_0x` quad order (first halves of
/// four blocks, then their second halves) stored offset by 128 as unsigned bytes, the operand
/// `vpdpbusd` wants; Σ(q + 128)·a − 128·Σa gives the dot product back.
enum PackedQ8_0 {
  static let groupBytes = 272

  static let pack: @Sendable (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void = { src, n, dst in
    for g in 0..<(n / 256) {
      let out = dst + groupBytes * g
      for b in 0..<8 {
        let block = src + 34 * (8 * g + b)
        (out + 2 * b).copyMemory(from: block, byteCount: 2)
        for j in 0..<32 {
          let value = block.load(fromByteOffset: 2 + j, as: UInt8.self) ^ 0x80
          out.storeBytes(of: value, toByteOffset: 16 + PairedQ8.half(j / 16, block: b) - 64 + j % 16, as: UInt8.self)
        }
      }
    }
  }

  static let unpack: @Sendable (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void = { src, n, dst in
    for g in 0..<(n / 256) {
      let group = src + groupBytes * g
      for b in 0..<8 {
        let block = dst + 34 * (8 * g + b)
        block.copyMemory(from: group + 2 * b, byteCount: 2)
        for j in 0..<32 {
          let value = group.load(fromByteOffset: 16 + PairedQ8.half(j / 16, block: b) - 64 + j % 16, as: UInt8.self) ^ 0x80
          block.storeBytes(of: value, toByteOffset: 2 + j, as: UInt8.self)
        }
      }
    }
  }

  static let reference: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    PairedQ8.reference(BlockLayouts.q8_0, unpack: unpack, w, a, aStride, tokens, n, out, outStride)
  }

  /// AVX2: the values back to signed bytes (xor 0x80) and the sign trick of `vpmaddubsw`.
  static let simd: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    let flip = _mm256_set1_epi8(-128)
    let ones = _mm256_set1_epi16(1)
    let spread0 = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1), spread1 = _mm256_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3)
    let spread2 = _mm256_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5), spread3 = _mm256_setr_epi32(6, 6, 6, 6, 7, 7, 7, 7)
    for t in 0..<tokens {
      let at = a + t * aStride
      var acc = _mm256_setzero_ps()
      for g in 0..<(n / 256) {
        let wg = w + groupBytes * g, ag = at + PairedQ8.groupBytes * g
        let scales = _mm256_mul_ps(_mm256_cvtph_ps(AVX2.load128(wg)), ag.loadUnaligned(as: __m256.self))
        @inline(__always) func pair(_ p: Int, _ spread: __m256i) {
          let offset = PairedQ8.lowHalves(pair: p)
          let low = _mm256_xor_si256(AVX2.load(wg + 16 + offset - 64), flip)
          let high = _mm256_xor_si256(AVX2.load(wg + 16 + offset), flip)
          let y = ag + offset
          let sums = _mm256_add_epi32(
            _mm256_madd_epi16(AVX2.signedPairs(low, AVX2.load(y)), ones),
            _mm256_madd_epi16(AVX2.signedPairs(high, AVX2.load(y + 64)), ones))
          acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_permutevar8x32_ps(scales, spread), acc)
        }
        pair(0, spread0)
        pair(1, spread1)
        pair(2, spread2)
        pair(3, spread3)
      }
      out[t * outStride] = AVX2.sum(acc)
    }
  }
}
