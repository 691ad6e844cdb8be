#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a tensor's bytes are. Readers hand out views of mapped files wherever the bytes allow
/// it; layout changes (the q/k un-permutation, Meta model-parallel shards) are lazy views too,
/// so opening a model copies nothing.
public enum TensorStorage: @unchecked Sendable {
  /// Contiguous bytes in canonical order, kept alive by `owner` (a mapped file, a buffer).
  case contiguous(UnsafeRawBufferPointer, owner: AnyObject)
  /// Canonical row r is stored row `rowMap[r]` of `base` (rows of `rowBytes`).
  case permutedRows(UnsafeRawBufferPointer, owner: AnyObject, rowBytes: Int, rowMap: [Int32])
  /// Parts joined along `dimension` 0 (rows one part after another) or 1 (each row is the
  /// concatenation of the parts' rows), as Meta's model-parallel shards are merged.
  case concatenated([Tensor], dimension: Int)
}

/// The owner of a read-only file mapping that tensors are views of: it can give the pages of a
/// range back to the kernel after use (they are read again from the file if needed).
public protocol FileBackedStorage: AnyObject {
  func dropResidentPages(_ range: UnsafeRawBufferPointer)
}

/// A tensor in canonical layout: shape in row-major (PyTorch) order, values in the stored type.
public final class Tensor: @unchecked Sendable {
  public let name: String
  /// Row-major shape; the last dimension is contiguous.
  public let shape: [Int]
  public let dtype: DType
  public let storage: TensorStorage
  public let elementCount: Int
  public let byteCount: Int

  /// `shape` must describe `storage`'s bytes; readers check that before building the view.
  public init(name: String, shape: [Int], dtype: DType, storage: TensorStorage) {
    self.name = name
    self.shape = shape
    self.dtype = dtype
    self.storage = storage
    elementCount = LlamaCore.elementCount(shape) ?? 0
    byteCount = dtype.byteCount(elements: elementCount) ?? 0
  }

  /// Elements per row (the last dimension; 1 for a scalar).
  public var rowLength: Int { shape.last ?? 1 }
  /// Number of rows (all dimensions but the last).
  public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }
  public var rowBytes: Int { dtype.byteCount(elements: rowLength) ?? 0 }

  /// The bytes when they are already contiguous in canonical order (no copy).
  public var contiguousBytes: UnsafeRawBufferPointer? {
    if case .contiguous(let bytes, _) = storage { return bytes }
    return nil
  }

  /// Writes the canonical bytes (`byteCount` of them) to `destination`.
  public func copyBytes(to destination: UnsafeMutableRawPointer) {
    switch storage {
    case .contiguous(let bytes, let owner):
      withExtendedLifetime(owner) {
        if byteCount > 0 { memcpy(destination, bytes.baseAddress!, byteCount) }
      }
    case .permutedRows(let base, let owner, let rowBytes, let rowMap):
      withExtendedLifetime(owner) {
        for (row, stored) in rowMap.enumerated() {
          memcpy(destination + row * rowBytes, base.baseAddress! + Int(stored) * rowBytes, rowBytes)
        }
      }
    case .concatenated(let parts, let dimension):
      if dimension == 0 {
        var offset = 0
        for part in parts {
          part.copyBytes(to: destination + offset)
          offset += part.byteCount
        }
      } else {
        // Each canonical row is the parts' rows side by side.
        let buffers = parts.map { part -> [UInt8] in
          var bytes = [UInt8](repeating: 0, count: part.byteCount)
          bytes.withUnsafeMutableBytes { part.copyBytes(to: $0.baseAddress!) }
          return bytes
        }
        var offset = 0
        for row in 0..<rowCount {
          for (part, bytes) in zip(parts, buffers) {
            let n = part.rowBytes
            _ = bytes.withUnsafeBytes { memcpy(destination + offset, $0.baseAddress! + row * n, n) }
            offset += n
          }
        }
      }
    }
  }

  /// Gives the memory pages of a file-backed tensor back to the kernel (see
  /// `FileBackedStorage`); other storage is left alone.
  public func dropResidentPages() {
    switch storage {
    case .contiguous(let bytes, let owner), .permutedRows(let bytes, let owner, _, _):
      (owner as? FileBackedStorage)?.dropResidentPages(bytes)
    case .concatenated(let parts, _):
      for part in parts { part.dropResidentPages() }
    }
  }

  /// Calls `body` with the canonical bytes: the mapped bytes when contiguous, else a copy.
  public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    if case .contiguous(let bytes, let owner) = storage {
      return try withExtendedLifetime(owner) { try body(bytes) }
    }
    var copy = [UInt8](repeating: 0, count: byteCount)
    copy.withUnsafeMutableBytes { copyBytes(to: $0.baseAddress!) }
    return try copy.withUnsafeBytes { try body($0) }
  }

  /// Rows per chunk for reading the tensor a run of rows at a time: about `values` values, at
  /// least one row.
  public func rowsPerChunk(values: Int = 1 << 22) -> Int { max(1, values / max(rowLength, 1)) }

  /// Rows `rows` of `bytes` (this tensor's canonical bytes, from `withContiguousBytes`) as
  /// floats into `out`.
  public func dequantizeRows(_ rows: Range<Int>, of bytes: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<Float>) throws {
    try Dequantization.dequantize(
      dtype, UnsafeRawBufferPointer(rebasing: bytes[(rows.lowerBound * rowBytes)...]), count: rows.count * rowLength, into: out)
  }

  /// All values as `Float` (dequantized for block types; `reference` uses the scalar kernels).
  public func floats(reference: Bool = false) throws -> [Float] {
    guard dtype.isDequantizable else { throw DequantizationError.unsupportedType(dtype) }
    return try [Float](unsafeUninitializedCapacity: elementCount) { buffer, initialized in
      try withContiguousBytes { bytes in
        try Dequantization.dequantize(
          dtype, bytes, count: elementCount, into: buffer.baseAddress!, reference: reference)
      }
      initialized = elementCount
    }
  }
}

