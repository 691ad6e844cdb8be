import LlamaCore
import LlamaKernels

/// A weight matrix as the kernels see it: `rows` rows of `columns` elements in the stored type,
/// row r at `data + r · rowBytes`. Views of mapped files stay views; lazily re-laid-out tensors
/// (un-permuted q/k rows, merged Meta shards) are copied once, in their stored type.
struct WeightMatrix: @unchecked Sendable {
  let name: String
  let rows: Int
  let columns: Int
  let rowBytes: Int
  let data: UnsafeRawPointer
  let kernel: MatrixKernel
  /// Keeps `data` alive.
  let owner: AnyObject

  init(_ tensor: Tensor, source: String) throws {
    guard tensor.shape.count == 2, let kernel = MatrixKernel.kernel(for: tensor.dtype) else {
      throw ModelError.unsupportedType(source: source, name: tensor.name, type: tensor.dtype.name)
    }
    guard kernel.accepts(rowLength: tensor.shape[1]) else {
      throw ModelError.invalidInput(
        "\(source): tensor \(tensor.name) has rows of \(tensor.shape[1]) elements, not whole \(tensor.dtype) blocks of \(max(tensor.dtype.blockSize, kernel.activation?.blockSize ?? 1))")
    }
    name = tensor.name
    rows = tensor.shape[0]
    columns = tensor.shape[1]
    if let packing = kernel.packing, packing.accepts(rowLength: columns) {
      // The same values re-laid out for the packed kernel.
      let (rows, columns, storedRowBytes) = (self.rows, self.columns, tensor.rowBytes)
      let packedRowBytes = packing.rowBytes(columns)
      let packed = OwnedBytes(count: rows * packedRowBytes) { out in
        tensor.withContiguousBytes { bytes in
          for r in 0..<rows { packing.pack(bytes.baseAddress! + r * storedRowBytes, columns, out + r * packedRowBytes) }
        }
      }
      rowBytes = packedRowBytes
      self.kernel = packing.kernel
      data = packed.buffer.baseAddress!
      owner = packed
      return
    }
    self.kernel = kernel
    rowBytes = tensor.rowBytes
    if case .contiguous(let bytes, let owner) = tensor.storage {
      data = bytes.baseAddress!
      self.owner = owner
    } else {
      let copy = OwnedBytes(count: tensor.byteCount) { tensor.copyBytes(to: $0) }
      data = copy.buffer.baseAddress!
      owner = copy
    }
  }

  /// Row r of the matrix.
  @inline(__always) func row(_ r: Int) -> UnsafeRawPointer { data + r * rowBytes }
}
