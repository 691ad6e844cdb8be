import LlamaCore
import LlamaFormats

/// A tensor's values written in another storage type (or the same), for the writers: copied
/// when nothing changes, else dequantized to f32 and encoded by `Quantization`, a run of rows at
/// a time so that memory stays near one chunk. A part of the tensor (a range of rows, a range of
/// columns, as Meta's model-parallel shards hold them) and a row order (the q/k permutation)
/// can be asked for.
struct TensorEncoding {
  /// Output row r is the tensor's row `rowOrder[r]` (nil: in order).
  var rowOrder: [Int32]? = nil
  /// The rows and columns written (nil: all).
  var rows: Range<Int>? = nil
  var columns: Range<Int>? = nil
  /// Whether values too large for f16 may become infinities (the user asked for f16); else
  /// such a value is an error naming the tensor.
  var allowsF16Overflow = false

  /// The largest finite f16 is 65504; anything from 65520 on rounds to infinity.
  static let f16Overflow: Float = 65520

  /// Calls `sink` with the tensor's bytes in `type`, one or more pieces in order.
  static func write(
    _ tensor: Tensor, as type: DType, rowOrder: [Int32]? = nil, allowsF16Overflow: Bool = false,
    into sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    try TensorEncoding(rowOrder: rowOrder, allowsF16Overflow: allowsF16Overflow).write(tensor, as: type, into: sink)
  }

  func write(_ tensor: Tensor, as type: DType, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
    // A conversion reads every tensor once: its mapped pages are not needed afterwards.
    defer { tensor.dropResidentPages() }
    let rowLength = tensor.rowLength
    let rows = self.rows ?? 0..<tensor.rowCount
    let columns = self.columns ?? 0..<rowLength
    let wholeRows = columns == 0..<rowLength
    func sourceRow(_ r: Int) -> Int { rowOrder.map { Int($0[r]) } ?? r }
    try tensor.withContiguousBytes { source in
      if type == tensor.dtype {
        if rowOrder == nil, wholeRows {
          return try sink(UnsafeRawBufferPointer(rebasing: source[(rows.lowerBound * tensor.rowBytes)...].prefix(rows.count * tensor.rowBytes)))
        }
        guard let start = type.byteCount(elements: columns.lowerBound), let count = type.byteCount(elements: columns.count) else {
          throw FormatError.unwritable(path: "tensor \(tensor.name)", detail: "columns \(columns) do not fall on \(type) block boundaries")
        }
        for r in rows {
          try sink(UnsafeRawBufferPointer(rebasing: source[(sourceRow(r) * tensor.rowBytes + start)...].prefix(count)))
        }
        return
      }
      let encode = Quantization.encoder(for: type)!
      guard let outRowBytes = type.byteCount(elements: columns.count) else {
        throw FormatError.unwritable(path: "tensor \(tensor.name)", detail: "rows of \(columns.count) values do not fill \(type) blocks")
      }
      let chunkRows = tensor.rowsPerChunk()
      var floats = [Float](repeating: 0, count: chunkRows * rowLength)
      var encoded = [UInt8](repeating: 0, count: chunkRows * outRowBytes)
      var r0 = rows.lowerBound
      while r0 < rows.upperBound {
        let count = min(chunkRows, rows.upperBound - r0)
        try floats.withUnsafeMutableBufferPointer { f in
          let base = f.baseAddress!
          if rowOrder != nil {
            for r in 0..<count {
              let row = sourceRow(r0 + r)
              try tensor.dequantizeRows(row..<(row + 1), of: source, into: base + r * rowLength)
            }
          } else {
            try tensor.dequantizeRows(r0..<(r0 + count), of: source, into: base)
          }
          if !wholeRows {
            // Keep only the columns, rows packed one after the other.
            for r in 0..<count {
              for c in 0..<columns.count { base[r * columns.count + c] = base[r * rowLength + columns.lowerBound + c] }
            }
          }
          let values = count * columns.count
          if type == .f16, !allowsF16Overflow,
            let i = (0..<values).first(where: { abs(base[$0]) >= Self.f16Overflow && base[$0].isFinite })
          {
            throw FormatError.unwritable(
              path: "tensor \(tensor.name)",
              detail: "value \(base[i]) does not fit in f16 (largest 65504); pass --type f16 to convert anyway (it becomes infinity)")
          }
          try encoded.withUnsafeMutableBytes { out in
            encode(base, values, out.baseAddress!)
            try sink(UnsafeRawBufferPointer(rebasing: out[0..<(count * outRowBytes)]))
          }
        }
        r0 += count
      }
    }
  }
}
