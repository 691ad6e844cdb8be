/// Writing f32 values in a storage type: the float conversions and ggml's reference quantizers
/// (`quantize_row_*_ref`, which llama-quantize uses), so that a file LlamaKit writes has the
/// bytes llama.cpp's tools would write from the same values.
public enum Quantization {
  /// Writes `count` values (whole blocks of the type) from `source` to `destination`.
  public typealias Function = @Sendable (UnsafePointer<Float>, Int, UnsafeMutableRawPointer) -> Void

  /// The encoder of `type`, nil where LlamaKit has no quantizer for it yet.
  public static func encoder(for type: DType) -> Function? {
    switch type {
    case .f32: return f32
    case .f16: return f16
    case .bf16: return bf16
    case .q8_0: return q8_0
    case .q4_0: return q4_0
    default: return nil
    }
  }

  static let f32: Function = { x, n, out in
    for i in 0..<n { out.storeBytes(of: x[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
  }

  static let f16: Function = { x, n, out in
    for i in 0..<n { out.storeBytes(of: FloatConversion.half(x[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
  }

  static let bf16: Function = { x, n, out in
    for i in 0..<n { out.storeBytes(of: FloatConversion.bfloat16(x[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
  }

  /// `quantize_row_q8_0_ref`: d = max|x| / 127 (as f16), q = round(x / d), halves away from zero.
  static let q8_0: Function = { x, n, out in
    for b in 0..<(n / 32) {
      let xb = x + 32 * b, block = out + 34 * b
      var amax: Float = 0
      for j in 0..<32 { amax = max(amax, abs(xb[j])) }
      let d = amax / 127
      let id: Float = d != 0 ? 1 / d : 0
      block.storeBytes(of: FloatConversion.half(d).littleEndian, as: UInt16.self)
      for j in 0..<32 {
        block.storeBytes(of: clamped((xb[j] * id).rounded(), to: -127...127), toByteOffset: 2 + j, as: Int8.self)
      }
    }
  }

  /// `quantize_row_q4_0_ref`: d = (the value of largest magnitude) / −8 (as f16); element j and
  /// j + 16 share a byte (low and high nibble), q = min(15, trunc(x / d + 8.5)).
  static let q4_0: Function = { x, n, out in
    for b in 0..<(n / 32) {
      let xb = x + 32 * b, block = out + 18 * b
      var amax: Float = 0, extreme: Float = 0
      for j in 0..<32 where amax < abs(xb[j]) {
        amax = abs(xb[j])
        extreme = xb[j]
      }
      let d = extreme / -8
      let id: Float = d != 0 ? 1 / d : 0
      block.storeBytes(of: FloatConversion.half(d).littleEndian, as: UInt16.self)
      for j in 0..<16 {
        let low = clamped(xb[j] * id + 8.5, to: 0...15), high = clamped(xb[16 + j] * id + 8.5, to: 0...15)
        block.storeBytes(of: UInt8(low) | UInt8(high) << 4, toByteOffset: 2 + j, as: UInt8.self)
      }
    }
  }

  /// C's `(int8_t)v` (truncation) limited to `range`, for values that are in range unless the
  /// input held NaN or infinity (then 0 or the nearer end, never a trap).
  @inline(__always)
  static func clamped(_ v: Float, to range: ClosedRange<Int8>) -> Int8 {
    if v.isNaN { return 0 }
    if v >= Float(range.upperBound) { return range.upperBound }
    if v <= Float(range.lowerBound) { return range.lowerBound }
    return Int8(v)
  }
}
