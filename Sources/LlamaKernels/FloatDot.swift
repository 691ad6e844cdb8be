import _Builtin_intrinsics.intel

/// Dot products of f32, f16 and bf16 weight rows with f32 activations. The weights are widened
/// to f32 in registers (F16C `vcvtph2ps`, a shift for bf16); products and sums are f32.
enum FloatDot {
  /// Scalar references: one running f32 sum, element by element.
  static func reference(_ widen: @escaping @Sendable (UnsafeRawPointer, Int) -> Float) -> RowKernel {
    { w, a, aStride, tokens, n, out, outStride in
      for t in 0..<tokens {
        let x = (a + t * aStride).assumingMemoryBound(to: Float.self)
        var sum: Float = 0
        for i in 0..<n { sum += widen(w, i) * x[i] }
        out[t * outStride] = sum
      }
    }
  }

  static let f32Reference = reference { w, i in w.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
  static let f16Reference = reference { w, i in AVX2.half(w, 2 * i) }
  static let bf16Reference = reference { w, i in
    Float(bitPattern: UInt32(w.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
  }

  /// The SIMD kernels: four independent 8-lane accumulators over 32 elements per step, a
  /// scalar tail.
  @inline(__always)
  static func simd(
    _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, _ aStride: Int, _ tokens: Int, _ n: Int,
    _ out: UnsafeMutablePointer<Float>, _ outStride: Int, elementBytes: Int,
    load8: (UnsafeRawPointer) -> __m256, scalar: (UnsafeRawPointer, Int) -> Float
  ) {
    for t in 0..<tokens {
      let x = a + t * aStride
      var acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps()
      var acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps()
      var i = 0
      while i + 32 <= n {
        let wi = w + elementBytes * i, xi = x + 4 * i
        acc0 = _mm256_fmadd_ps(load8(wi), xi.loadUnaligned(as: __m256.self), acc0)
        acc1 = _mm256_fmadd_ps(load8(wi + 8 * elementBytes), xi.loadUnaligned(fromByteOffset: 32, as: __m256.self), acc1)
        acc2 = _mm256_fmadd_ps(load8(wi + 16 * elementBytes), xi.loadUnaligned(fromByteOffset: 64, as: __m256.self), acc2)
        acc3 = _mm256_fmadd_ps(load8(wi + 24 * elementBytes), xi.loadUnaligned(fromByteOffset: 96, as: __m256.self), acc3)
        i += 32
      }
      while i + 8 <= n {
        acc0 = _mm256_fmadd_ps(load8(w + elementBytes * i), (x + 4 * i).loadUnaligned(as: __m256.self), acc0)
        i += 8
      }
      var sum = AVX2.sum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)))
      while i < n {
        sum += scalar(w, i) * x.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
        i += 1
      }
      out[t * outStride] = sum
    }
  }

  static let f32: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    simd(
      w, a, aStride, tokens, n, out, outStride, elementBytes: 4,
      load8: { $0.loadUnaligned(as: __m256.self) },
      scalar: { $0.loadUnaligned(fromByteOffset: 4 * $1, as: Float.self) })
  }

  static let f16: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    simd(
      w, a, aStride, tokens, n, out, outStride, elementBytes: 2,
      load8: { _mm256_cvtph_ps($0.loadUnaligned(as: __m128i.self)) },
      scalar: { AVX2.half($0, 2 * $1) })
  }

  static let bf16: RowKernel = { w, a, aStride, tokens, n, out, outStride in
    simd(
      w, a, aStride, tokens, n, out, outStride, elementBytes: 2,
      load8: { _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32($0.loadUnaligned(as: __m128i.self)), 16)) },
      scalar: { Float(bitPattern: UInt32($0.loadUnaligned(fromByteOffset: 2 * $1, as: UInt16.self)) << 16) })
  }
}
