import LlamaFormats

/// How far a conversion is: tensors and bytes (of the output) written so far, out of the totals,
/// and the tensor written last.
public struct ConversionProgress: Sendable, Equatable {
  public var tensors = 0
  public let tensorCount: Int
  public var bytes = 0
  public let totalBytes: Int
  /// The tensor just written: its name, shape and type in the output.
  public var last: TensorPlan?

  public init(tensorCount: Int, totalBytes: Int) {
    self.tensorCount = tensorCount
    self.totalBytes = totalBytes
  }

  /// Counts one more tensor, written as `plan` says.
  mutating func add(_ plan: TensorPlan) {
    tensors += 1
    bytes += plan.byteCount
    last = plan
  }
}
