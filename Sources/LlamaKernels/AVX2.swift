import _Builtin_intrinsics.intel

/// AVX2 building blocks. Kernels use the intrinsics on `__m256i` rather than Swift's generic
/// `SIMD32<UInt8>` operators, which the compiler lowers to per-lane loops for some integer
/// operations (measured: a nibble mask became 32 scalar byte stores).
enum AVX2 {
  @inline(__always) static func load(_ p: UnsafeRawPointer) -> __m256i { p.loadUnaligned(as: __m256i.self) }
  @inline(__always) static func load128(_ p: UnsafeRawPointer) -> __m128i { p.loadUnaligned(as: __m128i.self) }

  @inline(__always) static func sum(_ v: __m256i) -> Int32 {
    // (Immediate-operand intrinsics are C macros Swift does not import; highHalf is vextracti128.)
    let high = unsafeBitCast(unsafeBitCast(v, to: SIMD8<Int32>.self).highHalf, to: __m128i.self)
    let x = _mm_add_epi32(_mm256_castsi256_si128(v), high)
    let y = _mm_add_epi32(x, _mm_unpackhi_epi64(x, x))
    let z = _mm_add_epi32(y, _mm_srli_epi64(y, 32))
    return _mm_cvtsi128_si32(z)
  }

  @inline(__always) static func sum(_ v: __m256) -> Float {
    let x = _mm_add_ps(_mm256_castps256_ps128(v), v.highHalf)
    let y = _mm_add_ps(x, _mm_movehl_ps(x, x))
    let z = _mm_add_ss(y, _mm_movehdup_ps(y))
    return _mm_cvtss_f32(z)
  }

  @inline(__always) static func max(_ v: __m256) -> Float {
    let x = _mm_max_ps(_mm256_castps256_ps128(v), v.highHalf)
    let y = _mm_max_ps(x, _mm_movehl_ps(x, x))
    let z = _mm_max_ss(y, _mm_movehdup_ps(y))
    return _mm_cvtss_f32(z)
  }

  /// Signed × signed bytes, pairwise summed to int16 (the sign trick: |x| · sign(y, x), as
  /// `vpmaddubsw` takes one unsigned operand).
  @inline(__always) static func signedPairs(_ x: __m256i, _ y: __m256i) -> __m256i {
    _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x))
  }

  @inline(__always) static func ones16() -> __m256i { _mm256_set1_epi16(1) }

  /// Σ x·y over 32 signed bytes.
  @inline(__always) static func dot32(_ x: UnsafeRawPointer, _ y: UnsafeRawPointer) -> Int32 {
    sum(_mm256_madd_epi16(signedPairs(load(x), load(y)), ones16()))
  }

  /// Σ_g scale_g · Σ_{16 elements of g} x·y over 256 signed bytes and 16 int16 scales.
  @inline(__always) static func scaledDot256(
    _ x: UnsafeRawPointer, _ y: UnsafeRawPointer, _ scales: UnsafePointer<Int16>
  ) -> Int32 {
    var acc = _mm256_setzero_si256()
    for k in 0..<8 {
      let pairs = signedPairs(load(x + 32 * k), load(y + 32 * k))
      let s = _mm256_set_m128i(_mm_set1_epi16(scales[2 * k + 1]), _mm_set1_epi16(scales[2 * k]))
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, s))
    }
    return sum(acc)
  }

  /// Σ x·y over 16 int16 values (x aligned as Int16, y any alignment).
  @inline(__always) static func dot16x16(_ x: UnsafePointer<Int16>, _ y: UnsafeRawPointer) -> Int32 {
    sum(_mm256_madd_epi16(load(UnsafeRawPointer(x)), load(y)))
  }

  @inline(__always) static func half(_ p: UnsafeRawPointer, _ offset: Int = 0) -> Float {
    Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
  }

  @inline(__always) static func float(_ p: UnsafeRawPointer, _ offset: Int = 0) -> Float {
    p.loadUnaligned(fromByteOffset: offset, as: Float.self)
  }
}
