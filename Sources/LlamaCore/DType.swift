/// The storage type of a tensor in any checkpoint format. Types ggml knows carry their
/// `ggml_type` id (GGUF files store that number); the others (safetensors `U8`, `F8_E4M3`, torch
/// `bool`, …) only have a name and a size, so that files using them can be listed and sized, but
/// not converted to floats.
public struct DType: Hashable, Sendable, CustomStringConvertible {
  /// GGUF / safetensors spelling: "F32", "Q4_K", "BF16", "U8", …
  public let name: String
  /// `ggml_type` id, when ggml has this type.
  public let ggmlID: UInt32?
  /// Elements per block (1 for plain types, 32 or 256 for block-quantized ones).
  public let blockSize: Int
  /// Bytes per block (0 for ggml ids this build does not know).
  public let blockBytes: Int

  public var description: String { name }

  /// Whether the size of a tensor of this type is known.
  public var isSized: Bool { blockBytes > 0 }
  /// Whether values can be converted to `Float` (see `Dequantization`).
  public var isDequantizable: Bool { Dequantization.kernel(for: self) != nil }
  public var isQuantized: Bool { blockSize > 1 }

  init(_ name: String, ggml: UInt32?, block: Int, bytes: Int) {
    self.name = name
    ggmlID = ggml
    blockSize = block
    blockBytes = bytes
  }

  public static let f32 = DType("F32", ggml: 0, block: 1, bytes: 4)
  public static let f16 = DType("F16", ggml: 1, block: 1, bytes: 2)
  public static let q4_0 = DType("Q4_0", ggml: 2, block: 32, bytes: 18)
  public static let q4_1 = DType("Q4_1", ggml: 3, block: 32, bytes: 20)
  public static let q5_0 = DType("Q5_0", ggml: 6, block: 32, bytes: 22)
  public static let q5_1 = DType("Q5_1", ggml: 7, block: 32, bytes: 24)
  public static let q8_0 = DType("Q8_0", ggml: 8, block: 32, bytes: 34)
  public static let q8_1 = DType("Q8_1", ggml: 9, block: 32, bytes: 36)
  public static let q2_K = DType("Q2_K", ggml: 10, block: 256, bytes: 84)
  public static let q3_K = DType("Q3_K", ggml: 11, block: 256, bytes: 110)
  public static let q4_K = DType("Q4_K", ggml: 12, block: 256, bytes: 144)
  public static let q5_K = DType("Q5_K", ggml: 13, block: 256, bytes: 176)
  public static let q6_K = DType("Q6_K", ggml: 14, block: 256, bytes: 210)
  public static let q8_K = DType("Q8_K", ggml: 15, block: 256, bytes: 292)
  public static let iq4_nl = DType("IQ4_NL", ggml: 20, block: 32, bytes: 18)
  public static let iq4_xs = DType("IQ4_XS", ggml: 23, block: 256, bytes: 136)
  public static let i8 = DType("I8", ggml: 24, block: 1, bytes: 1)
  public static let i16 = DType("I16", ggml: 25, block: 1, bytes: 2)
  public static let i32 = DType("I32", ggml: 26, block: 1, bytes: 4)
  public static let i64 = DType("I64", ggml: 27, block: 1, bytes: 8)
  public static let f64 = DType("F64", ggml: 28, block: 1, bytes: 8)
  public static let bf16 = DType("BF16", ggml: 30, block: 1, bytes: 2)

  // Types without a ggml id (safetensors and torch storage types).
  public static let u8 = DType("U8", ggml: nil, block: 1, bytes: 1)
  public static let u16 = DType("U16", ggml: nil, block: 1, bytes: 2)
  public static let u32 = DType("U32", ggml: nil, block: 1, bytes: 4)
  public static let u64 = DType("U64", ggml: nil, block: 1, bytes: 8)
  public static let bool = DType("BOOL", ggml: nil, block: 1, bytes: 1)
  public static let c64 = DType("C64", ggml: nil, block: 1, bytes: 8)

  /// The ggml types with a block layout known here (ids 0–41 in current ggml; the rest of the
  /// IQ/TQ family is sized but not dequantized).
  static let ggmlTypes: [DType] = [
    .f32, .f16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K,
    DType("IQ2_XXS", ggml: 16, block: 256, bytes: 66), DType("IQ2_XS", ggml: 17, block: 256, bytes: 74),
    DType("IQ3_XXS", ggml: 18, block: 256, bytes: 98), DType("IQ1_S", ggml: 19, block: 256, bytes: 50),
    .iq4_nl, DType("IQ3_S", ggml: 21, block: 256, bytes: 110), DType("IQ2_S", ggml: 22, block: 256, bytes: 82),
    .iq4_xs, .i8, .i16, .i32, .i64, .f64, DType("IQ1_M", ggml: 29, block: 256, bytes: 56), .bf16,
    DType("TQ1_0", ggml: 34, block: 256, bytes: 54), DType("TQ2_0", ggml: 35, block: 256, bytes: 66),
    DType("MXFP4", ggml: 39, block: 32, bytes: 17),
  ]

  /// The type with ggml id `id`; ids this build does not know give an unsized "type N".
  public static func ggml(_ id: UInt32) -> DType {
    if let known = ggmlTypes.first(where: { $0.ggmlID == id }) { return known }
    return DType("type \(id)", ggml: id, block: 1, bytes: 0)
  }

  /// safetensors dtype strings.
  public static func safetensors(_ name: String) -> DType? {
    switch name {
    case "F32": return .f32
    case "F16": return .f16
    case "BF16": return .bf16
    case "F64": return .f64
    case "I8": return .i8
    case "I16": return .i16
    case "I32": return .i32
    case "I64": return .i64
    case "U8": return .u8
    case "U16": return .u16
    case "U32": return .u32
    case "U64": return .u64
    case "BOOL": return .bool
    case "C64": return .c64
    case "F8_E4M3", "F8_E5M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ":
      return DType(name, ggml: nil, block: 1, bytes: 1)
    case "F4":
      return DType(name, ggml: nil, block: 2, bytes: 1)
    case "F6_E2M3", "F6_E3M2":
      return DType(name, ggml: nil, block: 4, bytes: 3)
    default: return nil
    }
  }

  /// Bytes of `elements` values, or nil when the count is not a whole number of blocks or the
  /// size overflows.
  public func byteCount(elements: Int) -> Int? {
    guard blockBytes > 0, elements >= 0, elements % blockSize == 0 else { return nil }
    let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: blockBytes)
    return overflow ? nil : bytes
  }
}

/// The number of elements of a shape, or nil on overflow or a negative dimension.
public func elementCount(_ shape: [Int]) -> Int? {
  var count = 1
  for dimension in shape {
    guard dimension >= 0 else { return nil }
    let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
    if overflow { return nil }
    count = product
  }
  return count
}
