/// How far a conversion is: tensors and bytes (of the output) written so far, out of the totals.
public struct ConversionProgress: Sendable, Equatable {
  public var tensors = 0
  public let tensorCount: Int
  public var bytes = 0
  public let totalBytes: Int

  public init(tensorCount: Int, totalBytes: Int) {
    self.tensorCount = tensorCount
    self.totalBytes = totalBytes
  }

  /// Counts one more tensor of `bytes` bytes.
  mutating func add(_ bytes: Int) {
    tensors += 1
    self.bytes += bytes
  }
}
