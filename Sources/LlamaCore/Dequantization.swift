/// One row of the type table for converting stored values to `Float`: a scalar reference and
/// a vectorized version with the same signature and results (tests compare them). Both process
/// `count` elements (whole blocks) from `source` into `destination`.
public struct DequantizationKernel: Sendable {
  public typealias Function = @Sendable (UnsafeRawPointer, Int, UnsafeMutablePointer<Float>) -> Void
  public let type: DType
  /// Element by element, in the operation order of gguf-py's `dequantize` (its results are the
  /// project's reference for quantized types).
  public let scalar: Function
  /// SIMD version (the scalar one where no faster version exists yet).
  public let simd: Function
}

public enum DequantizationError: Error, Sendable, Equatable, CustomStringConvertible {
  case unsupportedType(DType)
  case partialBlock(DType, elements: Int)
  case sourceTooShort(DType, needed: Int, available: Int)

  public var description: String {
    switch self {
    case .unsupportedType(let type): return "tensor type \(type) is not supported for reading values"
    case .partialBlock(let type, let elements):
      return "\(elements) elements are not a whole number of \(type) blocks of \(type.blockSize)"
    case .sourceTooShort(let type, let needed, let available):
      return "\(type) data needs \(needed) bytes, \(available) present"
    }
  }
}

public enum Dequantization {
  /// The table, by ggml id.
  static let kernels: [UInt32: DequantizationKernel] = {
    var table: [UInt32: DequantizationKernel] = [:]
    func add(_ type: DType, _ scalar: @escaping DequantizationKernel.Function, simd: DequantizationKernel.Function? = nil) {
      table[type.ggmlID!] = DequantizationKernel(type: type, scalar: scalar, simd: simd ?? scalar)
    }
    add(.f32, PlainTypes.f32)
    add(.f16, PlainTypes.f16, simd: PlainTypes.f16SIMD)
    add(.bf16, PlainTypes.bf16, simd: PlainTypes.bf16SIMD)
    add(.f64, PlainTypes.f64)
    add(.i8, PlainTypes.i8)
    add(.i16, PlainTypes.i16)
    add(.i32, PlainTypes.i32)
    add(.i64, PlainTypes.i64)
    add(.q4_0, LegacyQuants.q4_0, simd: LegacyQuants.q4_0SIMD)
    add(.q4_1, LegacyQuants.q4_1, simd: SIMDQuants.q4_1)
    add(.q5_0, LegacyQuants.q5_0, simd: SIMDQuants.q5_0)
    add(.q5_1, LegacyQuants.q5_1, simd: SIMDQuants.q5_1)
    add(.q8_0, LegacyQuants.q8_0, simd: LegacyQuants.q8_0SIMD)
    add(.q2_K, KQuants.q2_K, simd: SIMDQuants.q2_K)
    add(.q3_K, KQuants.q3_K, simd: SIMDQuants.q3_K)
    add(.q4_K, KQuants.q4_K, simd: SIMDQuants.q4_K)
    add(.q5_K, KQuants.q5_K, simd: SIMDQuants.q5_K)
    add(.q6_K, KQuants.q6_K, simd: SIMDQuants.q6_K)
    add(.q8_K, KQuants.q8_K)
    add(.iq4_nl, NonLinearQuants.iq4_nl, simd: SIMDQuants.iq4_nl)
    add(.iq4_xs, NonLinearQuants.iq4_xs, simd: SIMDQuants.iq4_xs)
    return table
  }()

  public static func kernel(for type: DType) -> DequantizationKernel? {
    type.ggmlID.flatMap { kernels[$0] }
  }

  /// All types with a kernel, in ggml id order.
  public static var supportedTypes: [DType] {
    kernels.values.map(\.type).sorted { $0.ggmlID! < $1.ggmlID! }
  }

  /// Converts `count` values of `type` stored at the start of `source` to floats.
  public static func dequantize(
    _ type: DType, _ source: UnsafeRawBufferPointer, count: Int, into destination: UnsafeMutablePointer<Float>,
    reference: Bool = false
  ) throws {
    guard let kernel = kernel(for: type) else { throw DequantizationError.unsupportedType(type) }
    guard let bytes = type.byteCount(elements: count) else {
      throw DequantizationError.partialBlock(type, elements: count)
    }
    guard bytes <= source.count else {
      throw DequantizationError.sourceTooShort(type, needed: bytes, available: source.count)
    }
    guard count > 0, let base = source.baseAddress else { return }
    (reference ? kernel.scalar : kernel.simd)(base, count, destination)
  }
}

@inline(__always)
func loadHalf(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
  FloatConversion.float(fromHalf: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian)
}

/// Plain element types.
enum PlainTypes {
  static let f32: DequantizationKernel.Function = { src, n, dst in
    for i in 0..<n { dst[i] = Float(bitPattern: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
  }
  static let f16: DequantizationKernel.Function = { src, n, dst in
    for i in 0..<n { dst[i] = loadHalf(src, 2 * i) }
  }
  static let f16SIMD: DequantizationKernel.Function = { src, n, dst in
    var i = 0
    while i + 8 <= n {
      let h = src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self)
      let v = SIMD8<Float>(unsafeBitCast(h, to: SIMD8<Float16>.self))
      UnsafeMutableRawPointer(dst + i).storeBytes(of: v, as: SIMD8<Float>.self)
      i += 8
    }
    while i < n {
      dst[i] = loadHalf(src, 2 * i)
      i += 1
    }
  }
  static let bf16: DequantizationKernel.Function = { src, n, dst in
    for i in 0..<n {
      dst[i] = FloatConversion.float(fromBFloat16: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
    }
  }
  static let bf16SIMD: DequantizationKernel.Function = { src, n, dst in
    var i = 0
    while i + 8 <= n {
      let h = SIMD8<UInt32>(truncatingIfNeeded: src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self))
      UnsafeMutableRawPointer(dst + i).storeBytes(of: unsafeBitCast(h &<< 16, to: SIMD8<Float>.self), as: SIMD8<Float>.self)
      i += 8
    }
    while i < n {
      dst[i] = FloatConversion.float(fromBFloat16: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
      i += 1
    }
  }
  static let f64: DequantizationKernel.Function = { src, n, dst in
    for i in 0..<n { dst[i] = Float(Double(bitPattern: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian)) }
  }
  static let i8: DequantizationKernel.Function = { src, n, dst in
    for i in 0..<n { dst[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
  }
  static let i16: DequantizationKernel.Function = { src, n, dst in
    for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self).littleEndian) }
  }
  static let i32: DequantizationKernel.Function = { src, n, dst in
    for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self).littleEndian) }
  }
  static let i64: DequantizationKernel.Function = { src, n, dst in
    for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self).littleEndian) }
  }
}
