/// The format-blind tensor lookup the model code uses: checkpoint readers implement it, the
/// model asks for canonical names and never learns the format.
public protocol TensorSource: AnyObject {
  /// Names the source in errors (a file path).
  var sourceName: String { get }
  /// The tensor with a canonical name; a missing name is an error.
  func tensor(_ name: String) throws -> Tensor
  func contains(_ name: String) -> Bool
}

extension TensorSource {
  /// The tensor, checked to have `shape`.
  public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
    let tensor = try tensor(name)
    guard tensor.shape == shape else {
      throw ModelError.shapeMismatch(source: sourceName, name: name, expected: shape, actual: tensor.shape)
    }
    return tensor
  }
}

/// Errors of the model layer: a checkpoint that does not fit its configuration.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
  case shapeMismatch(source: String, name: String, expected: [Int], actual: [Int])
  case missingTensor(source: String, name: String)
  case unsupportedType(source: String, name: String, type: String)
  case unsupportedCPU(missing: [String])
  case invalidInput(String)

  public var description: String {
    switch self {
    case .shapeMismatch(let source, let name, let expected, let actual):
      return "\(source): tensor \(name) has shape \(actual), expected \(expected)"
    case .missingTensor(let source, let name):
      return "\(source): no tensor \(name)"
    case .unsupportedType(let source, let name, let type):
      return "\(source): tensor \(name) has type \(type), which the inference kernels do not support"
    case .unsupportedCPU(let missing):
      return "this CPU lacks \(missing.joined(separator: ", ")); LlamaKit's kernels need x86-64-v3 (AVX2, FMA, F16C)"
    case .invalidInput(let detail):
      return detail
    }
  }
}

#if canImport(Foundation)
  import Foundation
  extension ModelError: LocalizedError {
    public var errorDescription: String? { description }
  }
#endif
