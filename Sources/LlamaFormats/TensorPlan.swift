import LlamaCore
import LlamaIO

/// A tensor a writer announces in its header before the data: canonical row-major shape and
/// stored type.
public struct TensorPlan: Sendable, Equatable {
  public var name: String
  public var shape: [Int]
  public var type: DType
  public init(name: String, shape: [Int], type: DType) {
    self.name = name
    self.shape = shape
    self.type = type
  }
  public var byteCount: Int { type.byteCount(elements: shape.reduce(1, *)) ?? 0 }
}

/// Tensor data arriving in the order of the plans, a piece at a time: checks that no tensor gets
/// more than its bytes and that all arrive, and says when one is complete.
public struct PlannedTensorData {
  public let path: String
  public let plans: [TensorPlan]
  private var next = 0
  private var written = 0

  public init(path: String, plans: [TensorPlan]) {
    self.path = path
    self.plans = plans
  }

  /// Accounts for `count` more bytes (before they are written); returns the tensor they
  /// complete, if they do.
  public mutating func accept(_ count: Int) throws -> TensorPlan? {
    guard next < plans.count else { throw IOError.cannotWrite(path: path, reason: "more tensor data than planned") }
    let plan = plans[next]
    guard written + count <= plan.byteCount else {
      throw IOError.cannotWrite(path: path, reason: "tensor \(plan.name) gets more than its \(plan.byteCount) bytes")
    }
    written += count
    guard written == plan.byteCount else { return nil }
    next += 1
    written = 0
    return plan
  }

  /// Throws unless every planned tensor arrived in full.
  public func checkComplete() throws {
    guard next == plans.count else {
      throw IOError.cannotWrite(path: path, reason: "tensor \(plans[next].name) was not written")
    }
  }
}

/// A checkpoint file being written: the tensors were announced when it was created (as
/// `TensorPlan`s); their bytes follow in that order, in one or several pieces each, and the
/// file appears at its path only when `finish()` succeeds (an error or a lost writer leaves
/// nothing behind).
public protocol CheckpointWriter: AnyObject {
  var path: String { get }
  /// The next bytes of tensor data, in the order of the plans.
  func write(_ bytes: UnsafeRawBufferPointer) throws
  /// Checks that every tensor arrived, completes the file and moves it into place.
  func finish() throws
}

extension MappedFile: FileBackedStorage {}
