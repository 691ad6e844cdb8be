/// IEEE binary16 and bfloat16 conversions, as ggml and torch do them.
public enum FloatConversion {
  @inline(__always)
  public static func float(fromHalf bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

  /// Round to nearest even; overflow gives ±inf, subnormals are kept.
  @inline(__always)
  public static func half(_ value: Float) -> UInt16 { Float16(value).bitPattern }

  @inline(__always)
  public static func float(fromBFloat16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

  /// Round to nearest even (ggml's `ggml_compute_fp32_to_bf16`): NaN becomes a quiet NaN,
  /// never truncation.
  @inline(__always)
  public static func bfloat16(_ value: Float) -> UInt16 {
    let u = value.bitPattern
    if u & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: (u >> 16) | 0x40) }
    return UInt16(truncatingIfNeeded: (u &+ (0x7FFF &+ ((u >> 16) & 1))) >> 16)
  }
}
