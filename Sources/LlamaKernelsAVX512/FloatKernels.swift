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

/// 6×4 register tiles (then 4×4) where rows and tokens allow, the float row kernel for the
/// rest. The columns go in chunks of 512; per chunk, the tile's weight rows are widened to f32
/// once into an L1-resident scratch and then meet every group of four tokens (so each weight
/// is converted once per call, and the tile's inner loop is loads and FMAs only: 10 loads for
/// 24 FMAs); each chunk's sums are added to the output.
@inline(__always)
func floatBlock(
  _ w: UnsafeRawPointer, _ rowBytes: Int, _ rows: Int, elementBytes: Int, _ a: UnsafeRawPointer, _ aStride: Int,
  _ tokens: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int, load16: (UnsafeRawPointer) -> __m512,
  scalar: (UnsafeRawPointer) -> Float
) {
  let rows6 = rows / 6 * 6
  let fullRows = rows6 + (rows - rows6) / 4 * 4, fullTokens = tokens / 4 * 4
  let whole = n / 16 * 16
  let chunk = 512
  withUnsafeTemporaryAllocation(of: Float.self, capacity: 6 * chunk) { scratch in
    let wide = UnsafeMutableRawPointer(scratch.baseAddress!)
    var k0 = 0
    while k0 < whole {
      let k1 = min(whole, k0 + chunk)
      /// Rows r0..<r0+count of the chunk, widened to f32 `chunk` floats apart.
      @inline(__always) func widen(_ r0: Int, _ count: Int) -> UnsafeRawPointer {
        for j in 0..<count {
          let row = w + (r0 + j) * rowBytes
          var i = k0
          while i < k1 {
            (wide + 4 * (j * chunk + i - k0)).storeBytes(of: load16(row + elementBytes * i), as: __m512.self)
            i += 16
          }
        }
        return UnsafeRawPointer(wide - 4 * k0)
      }
      // Row r's four token sums as one vector, added to out.
      @inline(__always) func store(_ r: Int, _ t0: Int, _ s0: __m512, _ s1: __m512, _ s2: __m512, _ s3: __m512) {
        let sums = reduce4(s0, s1, s2, s3)
        for t in 0..<4 {
          let slot = out + (t0 + t) * outStride + r
          slot.pointee = (k0 == 0 ? 0 : slot.pointee) + sums[t]
        }
      }
      /// Rows r0..<r0+6 (`six`) or r0..<r0+4 against every group of four tokens; `six` is a
      /// literal at both calls, so each inlined copy keeps only its own rows.
      @inline(__always) func tile(_ r0: Int, six: Bool) {
        let w0 = widen(r0, six ? 6 : 4), w1 = w0 + 4 * chunk, w2 = w1 + 4 * chunk, w3 = w2 + 4 * chunk
        let w4 = w3 + 4 * chunk, w5 = w4 + 4 * chunk
        var t0 = 0
        while t0 < fullTokens {
          let x0 = a + t0 * aStride, x1 = x0 + aStride, x2 = x1 + aStride, x3 = x2 + aStride
          var c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c03 = c00
          var c10 = c00, c11 = c00, c12 = c00, c13 = c00
          var c20 = c00, c21 = c00, c22 = c00, c23 = c00
          var c30 = c00, c31 = c00, c32 = c00, c33 = c00
          var c40 = c00, c41 = c00, c42 = c00, c43 = c00
          var c50 = c00, c51 = c00, c52 = c00, c53 = c00
          var i = k0
          while i < k1 {
            let v0 = (x0 + 4 * i).loadUnaligned(as: __m512.self), v1 = (x1 + 4 * i).loadUnaligned(as: __m512.self)
            let v2 = (x2 + 4 * i).loadUnaligned(as: __m512.self), v3 = (x3 + 4 * i).loadUnaligned(as: __m512.self)
            let q0 = (w0 + 4 * i).load(as: __m512.self)
            c00 = _mm512_fmadd_ps(q0, v0, c00); c01 = _mm512_fmadd_ps(q0, v1, c01)
            c02 = _mm512_fmadd_ps(q0, v2, c02); c03 = _mm512_fmadd_ps(q0, v3, c03)
            let q1 = (w1 + 4 * i).load(as: __m512.self)
            c10 = _mm512_fmadd_ps(q1, v0, c10); c11 = _mm512_fmadd_ps(q1, v1, c11)
            c12 = _mm512_fmadd_ps(q1, v2, c12); c13 = _mm512_fmadd_ps(q1, v3, c13)
            let q2 = (w2 + 4 * i).load(as: __m512.self)
            c20 = _mm512_fmadd_ps(q2, v0, c20); c21 = _mm512_fmadd_ps(q2, v1, c21)
            c22 = _mm512_fmadd_ps(q2, v2, c22); c23 = _mm512_fmadd_ps(q2, v3, c23)
            let q3 = (w3 + 4 * i).load(as: __m512.self)
            c30 = _mm512_fmadd_ps(q3, v0, c30); c31 = _mm512_fmadd_ps(q3, v1, c31)
            c32 = _mm512_fmadd_ps(q3, v2, c32); c33 = _mm512_fmadd_ps(q3, v3, c33)
            if six {
              let q4 = (w4 + 4 * i).load(as: __m512.self)
              c40 = _mm512_fmadd_ps(q4, v0, c40); c41 = _mm512_fmadd_ps(q4, v1, c41)
              c42 = _mm512_fmadd_ps(q4, v2, c42); c43 = _mm512_fmadd_ps(q4, v3, c43)
              let q5 = (w5 + 4 * i).load(as: __m512.self)
              c50 = _mm512_fmadd_ps(q5, v0, c50); c51 = _mm512_fmadd_ps(q5, v1, c51)
              c52 = _mm512_fmadd_ps(q5, v2, c52); c53 = _mm512_fmadd_ps(q5, v3, c53)
            }
            i += 16
          }
          store(r0, t0, c00, c01, c02, c03)
          store(r0 + 1, t0, c10, c11, c12, c13)
          store(r0 + 2, t0, c20, c21, c22, c23)
          store(r0 + 3, t0, c30, c31, c32, c33)
          if six {
            store(r0 + 4, t0, c40, c41, c42, c43)
            store(r0 + 5, t0, c50, c51, c52, c53)
          }
          t0 += 4
        }
      }
      var r0 = 0
      while r0 < rows6 {
        tile(r0, six: true)
        r0 += 6
      }
      while r0 < fullRows {
        tile(r0, six: false)
        r0 += 4
      }
      k0 = k1
    }
  }
  // Columns past the last multiple of 16 for the tiles.
  if whole < n {
    for r in 0..<fullRows {
      for t in 0..<fullTokens {
        var sum: Float = whole == 0 ? 0 : out[t * outStride + r]
        for k in whole..<n {
          sum += scalar(w + r * rowBytes + elementBytes * k) * (a + t * aStride).loadUnaligned(fromByteOffset: 4 * k, as: Float.self)
        }
        out[t * outStride + r] = sum
      }
    }
  }
  // Rows and tokens outside the tiles.
  for r in 0..<rows {
    let t = r < fullRows ? fullTokens : 0
    guard t < tokens else { continue }
    floatRows(
      w + r * rowBytes, elementBytes: elementBytes, a + t * aStride, aStride, tokens - t, n, out + t * outStride + r,
      outStride, load16: load16, scalar: scalar)
  }
}

/// The horizontal sums of four vectors, as four floats.
@inline(__always)
func reduce4(_ a: __m512, _ b: __m512, _ c: __m512, _ d: __m512) -> SIMD4<Float> {
  // Halve the width three times, pairing vectors so that each step's lanes stay separate.
  let ab = _mm256_hadd_ps(
    _mm256_add_ps(_mm512_castps512_ps256(a), a.highHalf), _mm256_add_ps(_mm512_castps512_ps256(b), b.highHalf))
  let cd = _mm256_hadd_ps(
    _mm256_add_ps(_mm512_castps512_ps256(c), c.highHalf), _mm256_add_ps(_mm512_castps512_ps256(d), d.highHalf))
  let abcd = _mm256_hadd_ps(ab, cd)  // per 128-bit lane: a, b, c, d partial sums
  let sum = _mm_add_ps(_mm256_castps256_ps128(abcd), abcd.highHalf)
  return SIMD4<Float>(sum[0], sum[1], sum[2], sum[3])
}
