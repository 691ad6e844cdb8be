import LlamaCore

/// The 8-bit block formats activations are quantized to before an integer dot product with
/// block-quantized weights (ggml's `vec_dot_type`): Q8_0 for the 32-element legacy types, Q8_1
/// (with the block sum) for those with a minimum, Q8_K for the 256-element K types.
public enum ActivationFormat: Sendable {
  /// d:half, qs[32] int8.
  case q8_0
  /// d:half, s:half (= d·Σqs), qs[32].
  case q8_1
  /// d:f32, qs[256] int8, bsums[16] int16 (sums of 16 consecutive qs).
  case q8_K

  public var blockSize: Int { self == .q8_K ? 256 : 32 }
  public var blockBytes: Int {
    switch self {
    case .q8_0: return 34
    case .q8_1: return 36
    case .q8_K: return 292
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
    }
  }

  @inline(__always)
  static func storeHalf(_ value: Float, _ p: UnsafeMutableRawPointer, _ offset: Int) {
    p.storeBytes(of: FloatConversion.half(value).littleEndian, toByteOffset: offset, as: UInt16.self)
  }

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
      let v0 = p.loadUnaligned(as: SIMD8<Float>.self), v1 = p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
      let v2 = p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), v3 = p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
      let m = pointwiseMax(pointwiseMax(magnitude(v0), magnitude(v1)), pointwiseMax(magnitude(v2), magnitude(v3)))
      let amax = m.max()
      let d = amax / 127
      let id = SIMD8<Float>(repeating: amax != 0 ? 127 / amax : 0)
      let q0 = SIMD8<Int32>(v0 * id, rounding: .toNearestOrEven), q1 = SIMD8<Int32>(v1 * id, rounding: .toNearestOrEven)
      let q2 = SIMD8<Int32>(v2 * id, rounding: .toNearestOrEven), q3 = SIMD8<Int32>(v3 * id, rounding: .toNearestOrEven)
      let sum = ((q0 &+ q1) &+ (q2 &+ q3)).wrappedSum()
      block.storeBytes(of: SIMD8<Int8>(truncatingIfNeeded: q0), toByteOffset: qsOffset, as: SIMD8<Int8>.self)
      block.storeBytes(of: SIMD8<Int8>(truncatingIfNeeded: q1), toByteOffset: qsOffset + 8, as: SIMD8<Int8>.self)
      block.storeBytes(of: SIMD8<Int8>(truncatingIfNeeded: q2), toByteOffset: qsOffset + 16, as: SIMD8<Int8>.self)
      block.storeBytes(of: SIMD8<Int8>(truncatingIfNeeded: q3), toByteOffset: qsOffset + 24, as: SIMD8<Int8>.self)
      storeHalf(d, block, 0)
      if withSum { storeHalf(Float(sum) * d, block, 2) }
    }
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
      let s = SIMD8<Float>(repeating: iscale)
      for g in 0..<16 {
        let v0 = xb.loadUnaligned(fromByteOffset: 64 * g, as: SIMD8<Float>.self)
        let v1 = xb.loadUnaligned(fromByteOffset: 64 * g + 32, as: SIMD8<Float>.self)
        let q0 = pointwiseMin(SIMD8<Int32>(s * v0, rounding: .toNearestOrEven), SIMD8(repeating: 127))
        let q1 = pointwiseMin(SIMD8<Int32>(s * v1, rounding: .toNearestOrEven), SIMD8(repeating: 127))
        block.storeBytes(of: SIMD8<Int8>(truncatingIfNeeded: q0), toByteOffset: 4 + 16 * g, as: SIMD8<Int8>.self)
        block.storeBytes(of: SIMD8<Int8>(truncatingIfNeeded: q1), toByteOffset: 12 + 16 * g, as: SIMD8<Int8>.self)
        block.storeBytes(of: Int16(q0.wrappedSum() &+ q1.wrappedSum()).littleEndian, toByteOffset: 260 + 2 * g, as: Int16.self)
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
