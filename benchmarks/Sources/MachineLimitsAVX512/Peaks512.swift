import _Builtin_intrinsics.intel

// AVX-512 peak loops, compiled for x86-64-v4 + VNNI and called only on CPUs that have them.
// Independent accumulators hide the instruction latencies, so the loops measure throughput.

/// FP32 FMA operations per second on one core with 512-bit vectors (×16 lanes ×2 flops).
@inline(never)
public func fma512(iterations: Int) -> Float {
  var a0 = _mm512_set1_ps(1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
  var a8 = a0, a9 = a0, a10 = a0, a11 = a0
  let x = _mm512_set1_ps(0.999_999), y = _mm512_set1_ps(1e-7)
  for _ in 0..<iterations {
    a0 = _mm512_fmadd_ps(a0, x, y); a1 = _mm512_fmadd_ps(a1, x, y); a2 = _mm512_fmadd_ps(a2, x, y)
    a3 = _mm512_fmadd_ps(a3, x, y); a4 = _mm512_fmadd_ps(a4, x, y); a5 = _mm512_fmadd_ps(a5, x, y)
    a6 = _mm512_fmadd_ps(a6, x, y); a7 = _mm512_fmadd_ps(a7, x, y); a8 = _mm512_fmadd_ps(a8, x, y)
    a9 = _mm512_fmadd_ps(a9, x, y); a10 = _mm512_fmadd_ps(a10, x, y); a11 = _mm512_fmadd_ps(a11, x, y)
  }
  let s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)), _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)))
  return _mm512_reduce_add_ps(_mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11))))
}

/// int8 multiply-accumulates per second with `vpdpbusd` on 512-bit vectors (64 per instruction).
@inline(never)
public func dpbusd512(iterations: Int) -> Int32 {
  var a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
  let x = _mm512_set1_epi8(3), y = _mm512_set1_epi8(-2)
  for _ in 0..<iterations {
    a0 = _mm512_dpbusd_epi32(a0, x, y); a1 = _mm512_dpbusd_epi32(a1, x, y); a2 = _mm512_dpbusd_epi32(a2, x, y)
    a3 = _mm512_dpbusd_epi32(a3, x, y); a4 = _mm512_dpbusd_epi32(a4, x, y); a5 = _mm512_dpbusd_epi32(a5, x, y)
    a6 = _mm512_dpbusd_epi32(a6, x, y); a7 = _mm512_dpbusd_epi32(a7, x, y)
  }
  let s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)), _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)))
  return _mm512_reduce_add_epi32(s)
}
