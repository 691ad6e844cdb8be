import LlamaCore
import LlamaKernelsAVX512

/// The kernels for one weight type: how activations are prepared (f32 or an 8-bit block
/// format) and the row kernels, a scalar reference and the SIMD kernel with the same signature.
public struct MatrixKernel: Sendable {
  public let type: DType
  /// The 8-bit format activations are quantized to; nil for float weights (f32 activations).
  public let activation: ActivationFormat?
  public let reference: RowKernel
  public let simd: RowKernel
  /// How the SIMD kernel works, for reports ("AVX2 FMA", "AVX2 int8 fused", …).
  public let simdName: String
  /// A load-time re-layout of the rows with faster kernels, when the type has one.
  public let packing: RowPacking?
  /// Every SIMD kernel this CPU runs, best first (`simd` is the first): the tests check each.
  public let variants: [(name: String, kernel: RowKernel)]
  /// A kernel over several rows at once, where this CPU has one (used for batches).
  public let block: BlockKernel?

  /// `avx512` is used instead of `simd` where the CPU has the AVX-512 kernels.
  init(
    type: DType, activation: ActivationFormat?, reference: @escaping RowKernel, simd: @escaping RowKernel,
    simdName: String, avx512: (name: String, kernel: RowKernel)? = nil, avx512Block: BlockKernel? = nil,
    packing: RowPacking? = nil
  ) {
    self.type = type
    self.activation = activation
    self.reference = reference
    var variants: [(name: String, kernel: RowKernel)] = [(simdName, simd)]
    if let avx512, CPUFeatures.enabled.hasAVX512Kernels { variants.insert(avx512, at: 0) }
    self.variants = variants
    block = CPUFeatures.enabled.hasAVX512Kernels ? avx512Block : nil
    self.simd = variants[0].kernel
    self.simdName = variants[0].name
    self.packing = packing
  }

  /// Bytes of one prepared activation row of `n` elements.
  public func activationRowBytes(_ n: Int) -> Int { activation?.bytes(for: n) ?? 4 * n }

  /// Writes the activation row for `x` (n floats) to `out` in this kernel's format.
  public func prepare(_ x: UnsafePointer<Float>, _ n: Int, into out: UnsafeMutableRawPointer, reference: Bool = false) {
    if let activation {
      ActivationQuantizer.function(activation, reference: reference)(x, n, out)
    } else {
      out.copyMemory(from: x, byteCount: 4 * n)
    }
  }

  /// Whether a row of `n` elements fits the kernel (whole blocks).
  public func accepts(rowLength n: Int) -> Bool { n > 0 && n % type.blockSize == 0 && n % (activation?.blockSize ?? 1) == 0 }

  public static func kernel(for type: DType) -> MatrixKernel? { table[type] }

  public static var supportedTypes: [DType] { table.keys.sorted { ($0.ggmlID ?? 999) < ($1.ggmlID ?? 999) } }

  static let table: [DType: MatrixKernel] = {
    var table: [DType: MatrixKernel] = [
      .f32: MatrixKernel(
        type: .f32, activation: nil, reference: FloatDot.f32Reference, simd: FloatDot.f32, simdName: "AVX2 FMA",
        avx512: ("AVX-512 FMA, 4 tokens", f32RowsAVX512), avx512Block: f32BlockAVX512),
      .f16: MatrixKernel(
        type: .f16, activation: nil, reference: FloatDot.f16Reference, simd: FloatDot.f16, simdName: "F16C + AVX2 FMA",
        avx512: ("AVX-512 F16C + FMA, 4 tokens", f16RowsAVX512), avx512Block: f16BlockAVX512),
      .bf16: MatrixKernel(
        type: .bf16, activation: nil, reference: FloatDot.bf16Reference, simd: FloatDot.bf16, simdName: "AVX2 FMA",
        avx512: ("AVX-512 FMA, 4 tokens", bf16RowsAVX512), avx512Block: bf16BlockAVX512),
    ]
    let fused: [DType: RowKernel] = [
      .q4_0: QuantizedAVX2.q4_0, .q8_0: QuantizedAVX2.q8_0, .q4_K: QuantizedAVX2.q4_K, .q6_K: QuantizedAVX2.q6_K,
    ]
    let avx512: [DType: (String, RowKernel)] = [.q6_K: ("AVX-512 VNNI, 4 tokens", q6_KAVX512)]
    for layout in BlockLayouts.all {
      let simd = fused[layout.type] ?? QuantizedGeneric.rowKernel(layout)
      table[layout.type] = MatrixKernel(
        type: layout.type, activation: layout.activation, reference: QuantizedReference.rowKernel(layout),
        simd: simd, simdName: fused[layout.type] != nil ? "AVX2 int8, fused" : "AVX2 int8, decoded rows",
        avx512: avx512[layout.type], packing: RowPacking.table[layout.type])
    }
    return table
  }()
}

/// Rows re-laid out once at load time (same values, same bytes) for kernels that read them
/// faster; rows must be whole groups of `columnMultiple` elements.
public final class RowPacking: Sendable {
  /// The kernels for packed rows (the reference unpacks and runs the plain reference).
  public let kernel: MatrixKernel
  public let columnMultiple: Int
  /// Bytes of a packed row of n elements (the stored row's size unless the layout adds some).
  public let rowBytes: @Sendable (Int) -> Int
  public let pack: @Sendable (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void
  public let unpack: @Sendable (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void

  init(
    kernel: MatrixKernel, columnMultiple: Int, rowBytes: (@Sendable (Int) -> Int)? = nil,
    pack: @escaping @Sendable (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void,
    unpack: @escaping @Sendable (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void
  ) {
    self.kernel = kernel
    self.columnMultiple = columnMultiple
    let type = kernel.type
    self.rowBytes = rowBytes ?? { type.byteCount(elements: $0)! }
    self.pack = pack
    self.unpack = unpack
  }

  /// Whether rows of `n` elements can be packed.
  public func accepts(rowLength n: Int) -> Bool { n > 0 && n % columnMultiple == 0 }

  static let table: [DType: RowPacking] = {
    var table = common
    // Q4_K is re-laid out only for the AVX-512 kernel; the AVX2 one reads the GGUF order.
    if CPUFeatures.enabled.hasAVX512Kernels {
      table[.q4_K] = RowPacking(
        kernel: MatrixKernel(
          type: .q4_K, activation: .q8_K, reference: PackedQ4_K.reference, simd: PackedQ4_K.reference,
          simdName: "scalar", avx512: ("AVX-512 VNNI, packed 64-element chunks, 4 tokens", packedQ4_KAVX512)),
        columnMultiple: 256, rowBytes: { $0 / 256 * PackedQ4_K.blockBytes }, pack: PackedQ4_K.pack, unpack: PackedQ4_K.unpack)
    }
    return table
  }()

  static let common: [DType: RowPacking] = [
    .q4_0: RowPacking(
      kernel: MatrixKernel(
        type: .q4_0, activation: .q8_0x, reference: PackedQ4_0.reference, simd: PackedQ4_0.simd,
        simdName: "AVX2 int8, packed pairs", avx512: ("AVX-512 VNNI, packed quads, 4 tokens", packedQ4_0AVX512)),
      columnMultiple: 256, pack: PackedQ4_0.pack, unpack: PackedQ4_0.unpack),
    .q8_0: RowPacking(
      kernel: MatrixKernel(
        type: .q8_0, activation: .q8_0x, reference: PackedQ8_0.reference, simd: PackedQ8_0.simd,
        simdName: "AVX2 int8, packed pairs", avx512: ("AVX-512 VNNI, packed quads, 4 tokens", packedQ8_0AVX512)),
      columnMultiple: 256, pack: PackedQ8_0.pack, unpack: PackedQ8_0.unpack),
  ]
}
