import LlamaCore
import _Builtin_intrinsics.intel

/// The 8-bit block formats activations are quantized to before an integer dot product with
/// block-quantized weights (ggml's `vec_dot_type`): Q8_0 for the 32-element legacy types, Q8_1
/// (with the block sum) for those with a minimum, Q8_K for the 256-element K types.
public enum ActivationFormat: Sendable, CaseIterable {
  /// d:half, qs[32] int8.
  case q8_0
  /// d:half, s:half (= d·Σqs), qs[32].
  case q8_1
  /// d:f32, qs[256] int8, bsums[16] int16 (sums of 16 consecutive qs).
  case q8_K
  /// Q8_0's values regrouped for the packed kernels (`PairedQ8`): per 256 elements 8 f32
  /// scales, 8 f32 d·Σq, 256 qs with the halves of each block pair interleaved.
  case q8_0x

  public var blockSize: Int { self == .q8_K || self == .q8_0x ? 256 : 32 }
  public var blockBytes: Int {
    switch self {
    case .q8_0: return 34
    case .q8_1: return 36
    case .q8_K: return 292
    case .q8_0x: return 320
    }
  }

  /// Bytes for `count` values (a multiple of the block size).
  public func bytes(for count: Int) -> Int { count / blockSize * blockBytes }
}

/// Activation quantizers: a scalar reference (ggml's `quantize_row_*_ref`) and a SIMD twin with
/// identical output.
public enum ActivationQuantizer {
  public typealias Function = @Sendable (UnsafePointer<Float>, Int, UnsafeMutableRawPointer) -> Void

  public static func function(_ format: ActivationFormat, reference: Bool = false) -> Function {
    switch format {
    case .q8_0: return reference ? q8_0Scalar : q8_0SIMD
    case .q8_1: return reference ? q8_1Scalar : q8_1SIMD
    case .q8_K: return reference ? q8_KScalar : q8_KSIMD
    case .q8_0x: return reference ? q8_0xScalar : q8_0xSIMD
    }
  }

  @inline(__always)
  static func storeHalf(_ value: Float, _ p: UnsafeMutableRawPointer, _ offset: Int) {
    p.storeBytes(of: FloatConversion.half(value).littleEndian, toByteOffset: offset, as: UInt16.self)
  }

  static let q8_0xScalar: Function = { x, n, out in PairedQ8.quantize(x, n, out, reference: true) }
  static let q8_0xSIMD: Function = { x, n, out in PairedQ8.quantize(x, n, out, reference: false) }

  // MARK: Q8_0 / Q8_1: d = max|x| / 127, q = round(x · 127 / max|x|)
  // As ggml's x86 `quantize_row_q8_0` (what llama.cpp runs on this CPU): the scale is applied as
  // 127 / max and rounding is half to even (`_mm256_round_ps`), not the generic reference's
  // 1 / d and half away from zero.

  static let q8_0Scalar: Function = { x, n, out in q8_legacyScalar(x, n, out, withSum: false) }
  static let q8_1Scalar: Function = { x, n, out in q8_legacyScalar(x, n, out, withSum: true) }

  static func q8_legacyScalar(_ x: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutableRawPointer, withSum: Bool) {
    let size = withSum ? 36 : 34
    let qsOffset = withSum ? 4 : 2
    for b in 0..<(n / 32) {
      let block = out + size * b
      var amax: Float = 0
      for j in 0..<32 { amax = max(amax, abs(x[32 * b + j])) }
      let d = amax / 127
      let id: Float = amax != 0 ? 127 / amax : 0
      var sum: Int32 = 0
      for j in 0..<32 {
        let q = Int8((x[32 * b + j] * id).rounded(.toNearestOrEven))
        block.storeBytes(of: q, toByteOffset: qsOffset + j, as: Int8.self)
        sum += Int32(q)
      }
      storeHalf(d, block, 0)
      if withSum { storeHalf(Float(sum) * d, block, 2) }
    }
  }

  static let q8_0SIMD: Function = { x, n, out in q8_legacySIMD(x, n, out, withSum: false) }
  static let q8_1SIMD: Function = { x, n, out in q8_legacySIMD(x, n, out, withSum: true) }

  static func q8_legacySIMD(_ x: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutableRawPointer, withSum: Bool) {
    let size = withSum ? 36 : 34
    let qsOffset = withSum ? 4 : 2
    for b in 0..<(n / 32) {
      let block = out + size * b
      let p = UnsafeRawPointer(x + 32 * b)
      let v0 = p.loadUnaligned(as: __m256.self), v1 = p.loadUnaligned(fromByteOffset: 32, as: __m256.self)
      let v2 = p.loadUnaligned(fromByteOffset: 64, as: __m256.self), v3 = p.loadUnaligned(fromByteOffset: 96, as: __m256.self)
      let m = pointwiseMax(pointwiseMax(magnitude(v0), magnitude(v1)), pointwiseMax(magnitude(v2), magnitude(v3)))
      let amax = m.max()
      let d = amax / 127
      let id = _mm256_set1_ps(amax != 0 ? 127 / amax : 0)
      // vcvtps2dq rounds half to even (the default MXCSR mode).
      let q0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, id)), q1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, id))
      let q2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, id)), q3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, id))
      block.storeBytes(of: packBytes(q0, q1, q2, q3), toByteOffset: qsOffset, as: __m256i.self)
      storeHalf(d, block, 0)
      if withSum {
        let sum = AVX2.sum(_mm256_add_epi32(_mm256_add_epi32(q0, q1), _mm256_add_epi32(q2, q3)))
        storeHalf(Float(sum) * d, block, 2)
      }
    }
  }

  /// Four vectors of eight int32 (each within int8 range) as 32 bytes in order.
  @inline(__always)
  static func packBytes(_ q0: __m256i, _ q1: __m256i, _ q2: __m256i, _ q3: __m256i) -> __m256i {
    // The packs work per 128-bit lane; the permutation restores element order.
    let packed = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3))
    return _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
  }

  // MARK: Q8_K: the signed element of largest magnitude maps to −127; round half to even

  static let q8_KScalar: Function = { x, n, out in
    for b in 0..<(n / 256) {
      let block = out + 292 * b
      let xb = x + 256 * b
      var amax: Float = 0
      var maxValue: Float = 0
      for j in 0..<256 where abs(xb[j]) > amax {
        amax = abs(xb[j])
        maxValue = xb[j]
      }
      if amax == 0 {
        (block).initializeMemory(as: UInt8.self, repeating: 0, count: 292)
        continue
      }
      let iscale = -127 / maxValue
      for j in 0..<256 {
        let v = min(127, Int32((iscale * xb[j]).rounded(.toNearestOrEven)))
        block.storeBytes(of: Int8(v), toByteOffset: 4 + j, as: Int8.self)
      }
      for g in 0..<16 {
        var sum: Int32 = 0
        for j in 0..<16 { sum += Int32(block.load(fromByteOffset: 4 + 16 * g + j, as: Int8.self)) }
        block.storeBytes(of: Int16(sum).littleEndian, toByteOffset: 260 + 2 * g, as: Int16.self)
      }
      block.storeBytes(of: (1 / iscale).bitPattern.littleEndian, toByteOffset: 0, as: UInt32.self)
    }
  }

  static let q8_KSIMD: Function = { x, n, out in
    for b in 0..<(n / 256) {
      let block = out + 292 * b
      let xb = UnsafeRawPointer(x + 256 * b)
      // The first element of largest magnitude (strictly greater wins, as in the reference).
      var amax: Float = 0
      var maxValue: Float = 0
      for k in 0..<32 {
        let v = xb.loadUnaligned(fromByteOffset: 32 * k, as: SIMD8<Float>.self)
        let m = magnitude(v).max()
        if m > amax {
          for j in 0..<8 where abs(v[j]) > amax {
            amax = abs(v[j])
            maxValue = v[j]
          }
        }
      }
      if amax == 0 {
        block.initializeMemory(as: UInt8.self, repeating: 0, count: 292)
        continue
      }
      let iscale = -127 / maxValue
      let s = _mm256_set1_ps(iscale)
      let top = _mm256_set1_epi32(127)
      for g in 0..<8 {
        func quantized(_ k: Int) -> __m256i {
          let v = xb.loadUnaligned(fromByteOffset: 128 * g + 32 * k, as: __m256.self)
          return _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(s, v)), top)
        }
        let q0 = quantized(0), q1 = quantized(1), q2 = quantized(2), q3 = quantized(3)
        block.storeBytes(of: packBytes(q0, q1, q2, q3), toByteOffset: 4 + 32 * g, as: __m256i.self)
        let sum0 = AVX2.sum(_mm256_add_epi32(q0, q1)), sum1 = AVX2.sum(_mm256_add_epi32(q2, q3))
        block.storeBytes(of: Int16(sum0).littleEndian, toByteOffset: 260 + 4 * g, as: Int16.self)
        block.storeBytes(of: Int16(sum1).littleEndian, toByteOffset: 262 + 4 * g, as: Int16.self)
      }
      block.storeBytes(of: (1 / iscale).bitPattern.littleEndian, toByteOffset: 0, as: UInt32.self)
    }
  }
}

/// |v| lane by lane (clears the sign bits).
@inline(__always)
func magnitude(_ v: SIMD8<Float>) -> SIMD8<Float> {
  unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7fff_ffff, to: SIMD8<Float>.self)
}
