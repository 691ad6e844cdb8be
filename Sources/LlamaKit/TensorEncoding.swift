import LlamaCore

/// A tensor's values written in another storage type (or the same), for the writers: copied
/// when nothing changes, else dequantized to f32 and encoded by `Quantization`, a run of rows at
/// a time so that memory stays near one chunk.
enum TensorEncoding {
  /// Calls `sink` with the tensor's bytes in `type`, rows in `rowOrder` (output row r is the
  /// tensor's row `rowOrder[r]`; nil: in order).
  static func write(
    _ tensor: Tensor, as type: DType, rowOrder: [Int32]? = nil, into sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    try tensor.withContiguousBytes { source in
      let rowLength = tensor.rowLength, rows = tensor.rowCount
      if type == tensor.dtype {
        guard let rowOrder else { return try sink(source) }
        for r in 0..<rows {
          try sink(UnsafeRawBufferPointer(rebasing: source[(Int(rowOrder[r]) * tensor.rowBytes)...].prefix(tensor.rowBytes)))
        }
        return
      }
      let encode = Quantization.encoder(for: type)!
      let chunkRows = tensor.rowsPerChunk()
      let outRowBytes = type.byteCount(elements: rowLength)!
      var floats = [Float](repeating: 0, count: chunkRows * rowLength)
      var encoded = [UInt8](repeating: 0, count: chunkRows * outRowBytes)
      var r0 = 0
      while r0 < rows {
        let count = min(chunkRows, rows - r0)
        try floats.withUnsafeMutableBufferPointer { f in
          if let rowOrder {
            for r in 0..<count {
              let row = Int(rowOrder[r0 + r])
              try tensor.dequantizeRows(row..<(row + 1), of: source, into: f.baseAddress! + r * rowLength)
            }
          } else {
            try tensor.dequantizeRows(r0..<(r0 + count), of: source, into: f.baseAddress!)
          }
          try encoded.withUnsafeMutableBytes { out in
            encode(f.baseAddress!, count * rowLength, out.baseAddress!)
            try sink(UnsafeRawBufferPointer(rebasing: out[0..<(count * outRowBytes)]))
          }
        }
        r0 += count
      }
    }
  }
}
