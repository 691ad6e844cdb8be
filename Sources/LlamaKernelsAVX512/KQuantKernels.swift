import _Builtin_intrinsics.intel

/// One decoded 256-element K-quant block, in the form both kernels below take: four vectors of
/// unsigned weight bytes (elements 0..<64, 64..<128, 128..<192, 192..<256), each with its int16
/// group scales for `vpdpwssd`; and a correction Σ pairs·bsums (16 int16 pairs in the low 256
/// bits, zeros above) that is subtracted after scaling by `correctionScale`, while the main sum is
/// scaled by `d`. Both scales hold one value in every lane.
struct KQuantBlock {
  var q0, q1, q2, q3: __m512i
  var sc0, sc1, sc2, sc3: __m512i
  var pairs: __m512i
  var d, correctionScale: __m512
}

/// The loop shared by the K-quant kernels against Q8_K activations (4-byte d, 256 quants at 4,
/// 16 int16 bsums at 260; 292 bytes a block): per block, `decode` once, then for up to four
/// tokens one integer chain (`vpmaddubsw` then `vpdpwssd` with the scales), and one float step
/// `(d·Σ − correctionScale·Σ pairs·bsums) · d_a` with d_a broadcast from memory.
@inline(__always)
func kQuantRows(
  _ w: UnsafeRawPointer, blockBytes: Int, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int, decode: (UnsafeRawPointer) -> KQuantBlock
) {
  let blocks = n / 256
  var t0 = 0
  while t0 < tokens {
    let count = tokens - t0 >= 4 ? 4 : 1
    var f0 = _mm512_setzero_ps(), f1 = f0, f2 = f0, f3 = f0
    let a0 = a + t0 * aStride
    for b in 0..<blocks {
      let k = decode(w + blockBytes * b)
      @inline(__always) func token(_ ab: UnsafeRawPointer, _ f: inout __m512) {
        // One chain: the first product by `vpmaddwd`, the rest accumulated by `vpdpwssd`.
        var isum = _mm512_madd_epi16(_mm512_maddubs_epi16(k.q0, ab.loadUnaligned(fromByteOffset: 4, as: __m512i.self)), k.sc0)
        isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(k.q1, ab.loadUnaligned(fromByteOffset: 68, as: __m512i.self)), k.sc1)
        isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(k.q2, ab.loadUnaligned(fromByteOffset: 132, as: __m512i.self)), k.sc2)
        isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(k.q3, ab.loadUnaligned(fromByteOffset: 196, as: __m512i.self)), k.sc3)
        let correction = _mm512_madd_epi16(k.pairs, _mm512_castsi256_si512(ab.loadUnaligned(fromByteOffset: 260, as: __m256i.self)))
        let block = _mm512_fmsub_ps(_mm512_cvtepi32_ps(isum), k.d, _mm512_mul_ps(_mm512_cvtepi32_ps(correction), k.correctionScale))
        f = _mm512_fmadd_ps(block, _mm512_set1_ps(ab.loadUnaligned(as: Float.self)), f)
      }
      let ab = a0 + 292 * b
      token(ab, &f0)
      if count == 4 {
        token(ab + aStride, &f1)
        token(ab + 2 * aStride, &f2)
        token(ab + 3 * aStride, &f3)
      }
    }
    out[t0 * outStride] = _mm512_reduce_add_ps(f0)
    if count == 4 {
      out[(t0 + 1) * outStride] = _mm512_reduce_add_ps(f1)
      out[(t0 + 2) * outStride] = _mm512_reduce_add_ps(f2)
      out[(t0 + 3) * outStride] = _mm512_reduce_add_ps(f3)
    }
    t0 += count
  }
}

/// Q4_K rows in the packed order (LlamaKernels' PackedQ4_K: per 148-byte block d, dmin, the 8
/// scales and 8 mins one byte each, then two 64-byte chunks whose low nibbles are elements
/// 128k..<128k+64 and high nibbles elements 128k+64..<128k+128) × Q8_K activations. The mins
/// come back as dmin·Σ min·bsum (a group of 32 is two bsums of 16).
@inline(never)
public func packedQ4_KAVX512(
  _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int
) {
  let mask = _mm512_set1_epi8(0x0F)
  // int16 lane pairs selecting scale i for 16 lanes, then scale i+1 for 16.
  let pick01 = _mm512_set_epi32(
    0x10001, 0x10001, 0x10001, 0x10001, 0x10001, 0x10001, 0x10001, 0x10001, 0, 0, 0, 0, 0, 0, 0, 0)
  let pick23 = _mm512_add_epi16(pick01, _mm512_set1_epi16(2))
  let pick45 = _mm512_add_epi16(pick01, _mm512_set1_epi16(4))
  let pick67 = _mm512_add_epi16(pick01, _mm512_set1_epi16(6))
  kQuantRows(w, blockBytes: 148, a, aStride, tokens, n, out, outStride) { wb in
    let scales16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(wb.loadUnaligned(fromByteOffset: 4, as: Int64.self)))
    let s16 = _mm512_broadcast_i32x4(scales16)
    let m16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(wb.loadUnaligned(fromByteOffset: 12, as: Int64.self)))
    let z0 = wb.loadUnaligned(fromByteOffset: 20, as: __m512i.self)
    let z1 = wb.loadUnaligned(fromByteOffset: 84, as: __m512i.self)
    // d and dmin in every lane (the upper correction lanes are zero, so dmin there is unused).
    let scales = _mm512_cvtph_ps(_mm256_set1_epi32(wb.loadUnaligned(as: Int32.self)))
    return KQuantBlock(
      q0: _mm512_and_si512(z0, mask), q1: _mm512_and_si512(_mm512_srli_epi16(z0, 4), mask),
      q2: _mm512_and_si512(z1, mask), q3: _mm512_and_si512(_mm512_srli_epi16(z1, 4), mask),
      sc0: _mm512_permutexvar_epi16(pick01, s16), sc1: _mm512_permutexvar_epi16(pick23, s16),
      sc2: _mm512_permutexvar_epi16(pick45, s16), sc3: _mm512_permutexvar_epi16(pick67, s16),
      pairs: _mm512_zextsi256_si512(_mm256_set_m128i(_mm_unpackhi_epi16(m16, m16), _mm_unpacklo_epi16(m16, m16))),
      d: _mm512_permutexvar_ps(_mm512_setzero_si512(), scales),
      correctionScale: _mm512_permutexvar_ps(_mm512_set1_epi32(1), scales))
  }
}

/// Q6_K rows (GGUF layout) × Q8_K activations. In each half block, one 64-byte load of `ql`
/// gives elements 0..<64 (low nibbles) and 64..<128 (high nibbles) in order; `qh` adds the top
/// two bits. The unsigned 6-bit values go through `vpmaddubsw`, the group scales through
/// `vpdpwssd`, and the −32 offset comes back as 32·d·Σ scale·bsum.
@inline(never)
public func q6_KAVX512(
  _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int
) {
  let mask4 = _mm512_set1_epi8(0x0F), mask2 = _mm512_set1_epi8(0x30)
  // int16 lanes: scale i for 8 lanes, i+1, i+2, i+3 (16 elements per scale).
  let pick = _mm512_set_epi32(
    0x30003, 0x30003, 0x30003, 0x30003, 0x20002, 0x20002, 0x20002, 0x20002,
    0x10001, 0x10001, 0x10001, 0x10001, 0, 0, 0, 0)
  let pick4 = _mm512_add_epi16(pick, _mm512_set1_epi16(4))
  let pick8 = _mm512_add_epi16(pick, _mm512_set1_epi16(8))
  let pick12 = _mm512_add_epi16(pick, _mm512_set1_epi16(12))
  kQuantRows(w, blockBytes: 210, a, aStride, tokens, n, out, outStride) { wb in
    // The 16 scales in the low 256 bits, zeros above (for the offset's vpmaddwd).
    let s512 = _mm512_zextsi256_si512(_mm256_cvtepi8_epi16(wb.loadUnaligned(fromByteOffset: 192, as: __m128i.self)))
    @inline(__always) func half(_ h: Int) -> (__m512i, __m512i) {
      let ql = wb.loadUnaligned(fromByteOffset: 64 * h, as: __m512i.self)
      let qh256 = wb.loadUnaligned(fromByteOffset: 128 + 32 * h, as: __m256i.self)
      // Elements 0..<32 take qh bits 0–1, 32..<64 bits 2–3, 64..<96 bits 4–5, 96..<128 bits 6–7.
      // (16-bit shifts; the 0x30 mask drops what crosses between bytes.)
      let qhLow = __m512i(lowHalf: _mm256_slli_epi16(qh256, 4), highHalf: _mm256_slli_epi16(qh256, 2))
      let qhHigh = __m512i(lowHalf: qh256, highHalf: _mm256_srli_epi16(qh256, 2))
      let low = _mm512_or_si512(_mm512_and_si512(ql, mask4), _mm512_and_si512(qhLow, mask2))
      let high = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), mask4), _mm512_and_si512(qhHigh, mask2))
      return (low, high)
    }
    let (q0, q1) = half(0)
    let (q2, q3) = half(1)
    // d in every lane, and 32·d for the offset (exact: a power of two).
    let d = _mm512_cvtph_ps(_mm256_set1_epi16(wb.loadUnaligned(fromByteOffset: 208, as: Int16.self)))
    return KQuantBlock(
      q0: q0, q1: q1, q2: q2, q3: q3,
      sc0: _mm512_permutexvar_epi16(pick, s512), sc1: _mm512_permutexvar_epi16(pick4, s512),
      sc2: _mm512_permutexvar_epi16(pick8, s512), sc3: _mm512_permutexvar_epi16(pick12, s512),
      pairs: s512, d: d, correctionScale: _mm512_mul_ps(d, _mm512_set1_ps(32)))
  }
}
