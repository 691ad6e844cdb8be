import _Builtin_intrinsics.intel

// AVX-512 (F, BW, VL) + VNNI kernels. This module is compiled for x86-64-v4 and every function
// in it may use those instructions: LlamaKernels calls them only after checking the CPU
// (CPUFeatures), and the module holds only raw-pointer code (no generic code that another
// module could share, see the binary check in the tests).

/// Packed Q4_0 rows × `q8_0x` activations (layouts in LlamaKernels' PackedQ4_0 / PairedQ8):
/// four blocks per 64-byte load, `vpdpbusd` on the unsigned nibbles (the −8 offset comes back
/// as 8·Σ d_w·(d_a·Σa)), four tokens per pass over the weights so that each unpack serves four.
@inline(never)
public func packedQ4_0AVX512(
  _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int
) {
  let mask = _mm512_set1_epi8(0x0F)
  pairedQ8Rows(w, groupBytes: 144, a, aStride, tokens, n, out, outStride, offset: 8) { wg in
    let q0 = wg.loadUnaligned(fromByteOffset: 16, as: __m512i.self)
    let q1 = wg.loadUnaligned(fromByteOffset: 80, as: __m512i.self)
    return (
      _mm512_and_si512(q0, mask), _mm512_and_si512(_mm512_srli_epi16(q0, 4), mask),
      _mm512_and_si512(q1, mask), _mm512_and_si512(_mm512_srli_epi16(q1, 4), mask)
    )
  }
}

/// Packed Q8_0 rows (values + 128 as unsigned bytes, `q8_0x` order) × `q8_0x` activations.
@inline(never)
public func packedQ8_0AVX512(
  _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int
) {
  pairedQ8Rows(w, groupBytes: 272, a, aStride, tokens, n, out, outStride, offset: 128) { wg in
    (
      wg.loadUnaligned(fromByteOffset: 16, as: __m512i.self), wg.loadUnaligned(fromByteOffset: 80, as: __m512i.self),
      wg.loadUnaligned(fromByteOffset: 144, as: __m512i.self), wg.loadUnaligned(fromByteOffset: 208, as: __m512i.self)
    )
  }
}

/// The shared loop of the 32-element types against `q8_0x`: per group of 8 blocks, 8 f16
/// scales at the start of the weights and four vectors of unsigned weight bytes (`values`:
/// first and second halves of blocks 0–3, then of blocks 4–7), whose true values are the bytes
/// minus `offset`.
@inline(__always)
func pairedQ8Rows(
  _ w: UnsafeRawPointer, groupBytes: Int, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int, offset: Float,
  values: (UnsafeRawPointer) -> (__m512i, __m512i, __m512i, __m512i)
) {
  let spread0 = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0)
  let spread1 = _mm512_set_epi32(7, 7, 7, 7, 6, 6, 6, 6, 5, 5, 5, 5, 4, 4, 4, 4)
  let groups = n / 256
  var t0 = 0
  while t0 < tokens {
    // Four tokens at a time, then the rest one by one.
    let count = tokens - t0 >= 4 ? 4 : 1
    var acc0 = _mm512_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0
    var off0 = _mm256_setzero_ps(), off1 = off0, off2 = off0, off3 = off0
    let a0 = a + t0 * aStride
    for g in 0..<groups {
      let wg = w + groupBytes * g
      let dw = _mm256_cvtph_ps(wg.loadUnaligned(as: __m128i.self))
      let (low0, high0, low1, high1) = values(wg)

      @inline(__always) func token(_ ag: UnsafeRawPointer, _ acc: inout __m512, _ off: inout __m256) {
        let scales = _mm512_castps256_ps512(_mm256_mul_ps(dw, ag.loadUnaligned(as: __m256.self)))
        off = _mm256_fmadd_ps(dw, ag.loadUnaligned(fromByteOffset: 32, as: __m256.self), off)
        let zero = _mm512_setzero_si512()
        let i0 = _mm512_dpbusd_epi32(
          _mm512_dpbusd_epi32(zero, low0, ag.loadUnaligned(fromByteOffset: 64, as: __m512i.self)), high0,
          ag.loadUnaligned(fromByteOffset: 128, as: __m512i.self))
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i0), _mm512_permutexvar_ps(spread0, scales), acc)
        let i1 = _mm512_dpbusd_epi32(
          _mm512_dpbusd_epi32(zero, low1, ag.loadUnaligned(fromByteOffset: 192, as: __m512i.self)), high1,
          ag.loadUnaligned(fromByteOffset: 256, as: __m512i.self))
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i1), _mm512_permutexvar_ps(spread1, scales), acc)
      }
      let ag = a0 + 320 * g
      token(ag, &acc0, &off0)
      if count == 4 {
        token(ag + aStride, &acc1, &off1)
        token(ag + 2 * aStride, &acc2, &off2)
        token(ag + 3 * aStride, &acc3, &off3)
      }
    }
    @inline(__always) func finish(_ j: Int, _ acc: __m512, _ off: __m256) {
      out[(t0 + j) * outStride] = _mm512_reduce_add_ps(acc) - offset * sum256(off)
    }
    finish(0, acc0, off0)
    if count == 4 {
      finish(1, acc1, off1)
      finish(2, acc2, off2)
      finish(3, acc3, off3)
    }
    t0 += count
  }
}

@inline(__always) func sum256(_ v: __m256) -> Float {
  let x = _mm_add_ps(_mm256_castps256_ps128(v), v.highHalf)
  let y = _mm_add_ps(x, _mm_movehl_ps(x, x))
  return _mm_cvtss_f32(_mm_add_ss(y, _mm_movehdup_ps(y)))
}
