import _Builtin_intrinsics.intel

/// Fused AVX2 kernels for the types of common model files (Q4_0, Q8_0, Q4_K, Q6_K): weights are
/// unpacked in registers, never written out. The K kernels keep the reference's per-block float
/// order and are bit-identical to it; the 32-element kernels accumulate in eight float lanes,
/// which reorders the float sum (the tests bound the difference).
enum QuantizedAVX2 {
  static let q4_0: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    let mask = _mm256_set1_epi8(0x0F)
    let eight = _mm256_set1_epi8(8)
    let ones = AVX2.ones16()
    for t in 0..<tokens {
      let at = a + t * aStride
      var acc = _mm256_setzero_ps()
      for b in 0..<(n / 32) {
        let wb = w + 18 * b, ab = at + 34 * b
        let packed = AVX2.load128(wb + 2)
        let q = _mm256_sub_epi8(_mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), mask), eight)
        let pairs = AVX2.signedPairs(q, AVX2.load(ab + 2))
        let isum = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones))
        acc = _mm256_fmadd_ps(isum, _mm256_set1_ps(AVX2.half(wb) * AVX2.half(ab)), acc)
      }
      out[t * outStride] = AVX2.sum(acc)
    }
  }

  static let q8_0: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    let ones = AVX2.ones16()
    for t in 0..<tokens {
      let at = a + t * aStride
      var acc = _mm256_setzero_ps()
      for b in 0..<(n / 32) {
        let wb = w + 34 * b, ab = at + 34 * b
        let pairs = AVX2.signedPairs(AVX2.load(wb + 2), AVX2.load(ab + 2))
        let isum = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones))
        acc = _mm256_fmadd_ps(isum, _mm256_set1_ps(AVX2.half(wb) * AVX2.half(ab)), acc)
      }
      out[t * outStride] = AVX2.sum(acc)
    }
  }

  /// Q4_K: the 12 scale bytes unpacked to 8 scales and 8 mins at once (as ggml's `utmp`).
  @inline(__always)
  static func q4_KScalesMins(_ p: UnsafeRawPointer) -> (scales: UInt64, mins: UInt64) {
    let u0 = p.loadUnaligned(as: UInt32.self), u1 = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
    let u2 = p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
    let low6: UInt32 = 0x3F3F_3F3F, low4: UInt32 = 0x0F0F_0F0F, low2: UInt32 = 0x0303_0303
    let scalesLow = u0 & low6
    let scalesHigh = (u2 & low4) | (((u0 >> 6) & low2) << 4)
    let minsLow = u1 & low6
    let minsHigh = ((u2 >> 4) & low4) | (((u1 >> 6) & low2) << 4)
    return (UInt64(scalesLow) | UInt64(scalesHigh) << 32, UInt64(minsLow) | UInt64(minsHigh) << 32)
  }

  static let q4_K: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    let mask = _mm256_set1_epi8(0x0F)
    for t in 0..<tokens {
      let at = a + t * aStride
      var sum: Float = 0
      for b in 0..<(n / 256) {
        let wb = w + 144 * b, ab = at + 292 * b
        let (scales, mins) = q4_KScalesMins(wb + 4)
        var acc = _mm256_setzero_si256()
        for c in 0..<4 {
          let packed = AVX2.load(wb + 16 + 32 * c)
          let low = _mm256_and_si256(packed, mask)
          let high = _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask)
          let pLow = _mm256_maddubs_epi16(low, AVX2.load(ab + 4 + 64 * c))
          let pHigh = _mm256_maddubs_epi16(high, AVX2.load(ab + 36 + 64 * c))
          let sLow = Int16(truncatingIfNeeded: (scales >> UInt64(16 * c)) & 0xFF)
          let sHigh = Int16(truncatingIfNeeded: (scales >> UInt64(16 * c + 8)) & 0xFF)
          acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pLow, _mm256_set1_epi16(sLow)))
          acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pHigh, _mm256_set1_epi16(sHigh)))
        }
        // Σ_g min_g · (bsum_2g + bsum_2g+1): mins widened to int16 and doubled up.
        let m16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(Int64(bitPattern: mins)))
        let mPairs = _mm256_set_m128i(_mm_unpackhi_epi16(m16, m16), _mm_unpacklo_epi16(m16, m16))
        let msum = AVX2.sum(_mm256_madd_epi16(mPairs, AVX2.load(ab + 260)))
        let da = AVX2.float(ab)
        sum += (da * AVX2.half(wb)) * Float(AVX2.sum(acc))
        sum -= (da * AVX2.half(wb, 2)) * Float(msum)
      }
      out[t * outStride] = sum
    }
  }

  /// 32 unsigned 6-bit values times 32 activations, the two 16-element halves scaled by s[0], s[1].
  @inline(__always)
  static func q6Step(_ acc: __m256i, _ q: __m256i, _ y: UnsafeRawPointer, _ s: UnsafeRawPointer) -> __m256i {
    let pairs = _mm256_maddubs_epi16(q, AVX2.load(y))
    let sLow = Int16(s.load(as: Int8.self)), sHigh = Int16(s.load(fromByteOffset: 1, as: Int8.self))
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set_m128i(_mm_set1_epi16(sHigh), _mm_set1_epi16(sLow))))
  }

  /// Q6_K: the unsigned 6-bit values times the activations, minus 32 · Σ_g scale_g · bsum_g.
  static let q6_K: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    let mask4 = _mm256_set1_epi8(0x0F)
    let mask2 = _mm256_set1_epi8(0x30)
    for t in 0..<tokens {
      let at = a + t * aStride
      var sum: Float = 0
      for b in 0..<(n / 256) {
        let wb = w + 210 * b, ab = at + 292 * b
        var acc = _mm256_setzero_si256()
        for h in 0..<2 {
          let ql0 = AVX2.load(wb + 64 * h), ql1 = AVX2.load(wb + 64 * h + 32)
          let qh = AVX2.load(wb + 128 + 32 * h)
          let q0 = _mm256_or_si256(_mm256_and_si256(ql0, mask4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), mask2))
          let q1 = _mm256_or_si256(_mm256_and_si256(ql1, mask4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), mask2))
          let q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), mask4), _mm256_and_si256(qh, mask2))
          let q3 = _mm256_or_si256(
            _mm256_and_si256(_mm256_srli_epi16(ql1, 4), mask4), _mm256_and_si256(_mm256_srli_epi16(qh, 2), mask2))
          let y = ab + 4 + 128 * h
          let s = wb + 192 + 8 * h
          acc = q6Step(acc, q0, y, s)
          acc = q6Step(acc, q1, y + 32, s + 2)
          acc = q6Step(acc, q2, y + 64, s + 4)
          acc = q6Step(acc, q3, y + 96, s + 6)
        }
        let scales16 = _mm256_cvtepi8_epi16(AVX2.load128(wb + 192))
        let offset = AVX2.sum(_mm256_madd_epi16(scales16, AVX2.load(ab + 260)))
        let isum = AVX2.sum(acc) &- 32 &* offset
        sum += (AVX2.float(ab) * AVX2.half(wb, 208)) * Float(isum)
      }
      out[t * outStride] = sum
    }
  }
}
