import _Builtin_intrinsics.intel

/// F16 rows × f32 activations: 16 weights per `vcvtph2ps`, four tokens per pass over the weights
/// (each converted weight vector feeds four FMAs), two accumulators per token.
@inline(never)
public func f16RowsAVX512(
  _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int
) {
  floatRows(w, elementBytes: 2, a, aStride, tokens, n, out, outStride) { p in
    _mm512_cvtph_ps(p.loadUnaligned(as: __m256i.self))
  } scalar: { p in
    Float(Float16(bitPattern: p.loadUnaligned(as: UInt16.self)))
  }
}

/// BF16 rows × f32 activations (a bf16 is the top half of an f32).
@inline(never)
public func bf16RowsAVX512(
  _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int
) {
  floatRows(w, elementBytes: 2, a, aStride, tokens, n, out, outStride) { p in
    _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(p.loadUnaligned(as: __m256i.self)), 16))
  } scalar: { p in
    Float(bitPattern: UInt32(p.loadUnaligned(as: UInt16.self)) << 16)
  }
}

/// F32 rows × f32 activations.
@inline(never)
public func f32RowsAVX512(
  _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int
) {
  floatRows(w, elementBytes: 4, a, aStride, tokens, n, out, outStride) { p in
    p.loadUnaligned(as: __m512.self)
  } scalar: { p in
    p.loadUnaligned(as: Float.self)
  }
}

@inline(__always)
func floatRows(
  _ w: UnsafeRawPointer, elementBytes: Int, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int, load16: (UnsafeRawPointer) -> __m512,
  scalar: (UnsafeRawPointer) -> Float
) {
  let whole = n / 32 * 32
  var t0 = 0
  while t0 < tokens {
    let count = tokens - t0 >= 4 ? 4 : 1
    let x0 = a + t0 * aStride, x1 = x0 + aStride, x2 = x1 + aStride, x3 = x2 + aStride
    var a0 = _mm512_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0
    var i = 0
    if count == 4 {
      while i < whole {
        let w0 = load16(w + elementBytes * i), w1 = load16(w + elementBytes * (i + 16))
        a0 = _mm512_fmadd_ps(w0, (x0 + 4 * i).loadUnaligned(as: __m512.self), a0)
        b0 = _mm512_fmadd_ps(w1, (x0 + 4 * i + 64).loadUnaligned(as: __m512.self), b0)
        a1 = _mm512_fmadd_ps(w0, (x1 + 4 * i).loadUnaligned(as: __m512.self), a1)
        b1 = _mm512_fmadd_ps(w1, (x1 + 4 * i + 64).loadUnaligned(as: __m512.self), b1)
        a2 = _mm512_fmadd_ps(w0, (x2 + 4 * i).loadUnaligned(as: __m512.self), a2)
        b2 = _mm512_fmadd_ps(w1, (x2 + 4 * i + 64).loadUnaligned(as: __m512.self), b2)
        a3 = _mm512_fmadd_ps(w0, (x3 + 4 * i).loadUnaligned(as: __m512.self), a3)
        b3 = _mm512_fmadd_ps(w1, (x3 + 4 * i + 64).loadUnaligned(as: __m512.self), b3)
        i += 32
      }
    } else {
      while i < whole {
        a0 = _mm512_fmadd_ps(load16(w + elementBytes * i), (x0 + 4 * i).loadUnaligned(as: __m512.self), a0)
        b0 = _mm512_fmadd_ps(load16(w + elementBytes * (i + 16)), (x0 + 4 * i + 64).loadUnaligned(as: __m512.self), b0)
        i += 32
      }
    }
    @inline(__always) func finish(_ j: Int, _ x: UnsafeRawPointer, _ s: __m512, _ t: __m512) {
      var sum = _mm512_reduce_add_ps(_mm512_add_ps(s, t))
      for k in whole..<n { sum += scalar(w + elementBytes * k) * x.loadUnaligned(fromByteOffset: 4 * k, as: Float.self) }
      out[(t0 + j) * outStride] = sum
    }
    finish(0, x0, a0, b0)
    if count == 4 {
      finish(1, x1, a1, b1)
      finish(2, x2, a2, b2)
      finish(3, x3, a3, b3)
    }
    t0 += count
  }
}

/// Up to four F16 rows × up to four tokens per step: each converted weight vector feeds four
/// FMAs and each activation vector four more, so a 16-element step loads 4·32 + 4·64 bytes
/// for 256 multiply-adds (f32 activations are too large to re-read per row from L1).
@inline(never)
public func f16BlockAVX512(
  _ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int
) {
  floatBlock(w, rowBytes, rows, elementBytes: 2, a, aStride, tokens, n, out, outStride) { p in
    _mm512_cvtph_ps(p.loadUnaligned(as: __m256i.self))
  } scalar: { p in
    Float(Float16(bitPattern: p.loadUnaligned(as: UInt16.self)))
  }
}

@inline(never)
public func bf16BlockAVX512(
  _ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int
) {
  floatBlock(w, rowBytes, rows, elementBytes: 2, a, aStride, tokens, n, out, outStride) { p in
    _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(p.loadUnaligned(as: __m256i.self)), 16))
  } scalar: { p in
    Float(bitPattern: UInt32(p.loadUnaligned(as: UInt16.self)) << 16)
  }
}

@inline(never)
public func f32BlockAVX512(
  _ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
  _ out: UnsafeMutablePointer<Float>, _ outStride: Int
) {
  floatBlock(w, rowBytes, rows, elementBytes: 4, a, aStride, tokens, n, out, outStride) { p in
    p.loadUnaligned(as: __m512.self)
  } scalar: { p in
    p.loadUnaligned(as: Float.self)
  }
}

/// 4×4 register tiles where rows and tokens allow, the float row kernel for the rest.
@inline(__always)
func floatBlock(
  _ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, elementBytes: Int, _ a: UnsafeRawPointer, _ aStride: Int,
  _ tokens: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int, load16: (UnsafeRawPointer) -> __m512,
  scalar: (UnsafeRawPointer) -> Float
) {
  let whole = n / 16 * 16
  var r0 = 0
  while r0 < rows {
    let w0 = w + r0 * rowBytes
    guard rows - r0 >= 4 else {
      for r in r0..<rows {
        floatRows(w + r * rowBytes, elementBytes: elementBytes, a, aStride, tokens, n, out + r, outStride, load16: load16, scalar: scalar)
      }
      return
    }
    let w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes
    var t0 = 0
    while t0 + 4 <= tokens {
      let x0 = a + t0 * aStride, x1 = x0 + aStride, x2 = x1 + aStride, x3 = x2 + aStride
      var c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c03 = c00
      var c10 = c00, c11 = c00, c12 = c00, c13 = c00
      var c20 = c00, c21 = c00, c22 = c00, c23 = c00
      var c30 = c00, c31 = c00, c32 = c00, c33 = c00
      var i = 0
      while i < whole {
        let v0 = (x0 + 4 * i).loadUnaligned(as: __m512.self), v1 = (x1 + 4 * i).loadUnaligned(as: __m512.self)
        let v2 = (x2 + 4 * i).loadUnaligned(as: __m512.self), v3 = (x3 + 4 * i).loadUnaligned(as: __m512.self)
        let q0 = load16(w0 + elementBytes * i)
        c00 = _mm512_fmadd_ps(q0, v0, c00); c01 = _mm512_fmadd_ps(q0, v1, c01)
        c02 = _mm512_fmadd_ps(q0, v2, c02); c03 = _mm512_fmadd_ps(q0, v3, c03)
        let q1 = load16(w1 + elementBytes * i)
        c10 = _mm512_fmadd_ps(q1, v0, c10); c11 = _mm512_fmadd_ps(q1, v1, c11)
        c12 = _mm512_fmadd_ps(q1, v2, c12); c13 = _mm512_fmadd_ps(q1, v3, c13)
        let q2 = load16(w2 + elementBytes * i)
        c20 = _mm512_fmadd_ps(q2, v0, c20); c21 = _mm512_fmadd_ps(q2, v1, c21)
        c22 = _mm512_fmadd_ps(q2, v2, c22); c23 = _mm512_fmadd_ps(q2, v3, c23)
        let q3 = load16(w3 + elementBytes * i)
        c30 = _mm512_fmadd_ps(q3, v0, c30); c31 = _mm512_fmadd_ps(q3, v1, c31)
        c32 = _mm512_fmadd_ps(q3, v2, c32); c33 = _mm512_fmadd_ps(q3, v3, c33)
        i += 16
      }
      @inline(__always) func store(_ r: Int, _ t: Int, _ c: __m512, _ wr: UnsafeRawPointer, _ x: UnsafeRawPointer) {
        var sum = _mm512_reduce_add_ps(c)
        for k in whole..<n { sum += scalar(wr + elementBytes * k) * x.loadUnaligned(fromByteOffset: 4 * k, as: Float.self) }
        out[(t0 + t) * outStride + r0 + r] = sum
      }
      store(0, 0, c00, w0, x0); store(0, 1, c01, w0, x1); store(0, 2, c02, w0, x2); store(0, 3, c03, w0, x3)
      store(1, 0, c10, w1, x0); store(1, 1, c11, w1, x1); store(1, 2, c12, w1, x2); store(1, 3, c13, w1, x3)
      store(2, 0, c20, w2, x0); store(2, 1, c21, w2, x1); store(2, 2, c22, w2, x2); store(2, 3, c23, w2, x3)
      store(3, 0, c30, w3, x0); store(3, 1, c31, w3, x1); store(3, 2, c32, w3, x2); store(3, 3, c33, w3, x3)
      t0 += 4
    }
    if t0 < tokens {
      for r in r0..<(r0 + 4) {
        floatRows(
          w + r * rowBytes, elementBytes: elementBytes, a + t0 * aStride, aStride, tokens - t0, n, out + t0 * outStride + r,
          outStride, load16: load16, scalar: scalar)
      }
    }
    r0 += 4
  }
}
