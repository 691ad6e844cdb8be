import LlamaCore

/// Every failure of the format layer. Cases name the file (or checkpoint) and what is wrong.
public enum FormatError: Error, Sendable, Equatable {
  /// No format recognized the path; `tried` lists what each format looked for.
  case unrecognized(path: String, tried: [String])
  /// The file is of a known format but malformed.
  case malformed(path: String, detail: String)
  /// A format version this reader does not handle.
  case unsupportedVersion(path: String, detail: String)
  /// A value the model layer needs is missing or out of range.
  case invalidConfig(path: String, detail: String)
  /// The checkpoint has no tensor of that name.
  case missingTensor(path: String, name: String)
  /// A tensor has another shape than the caller expects.
  case shapeMismatch(path: String, name: String, expected: [Int], actual: [Int])
  /// A pickle uses an opcode or a global outside the allowed set (never executed).
  case forbiddenPickle(path: String, detail: String)
  /// The tensor's type cannot be read as values.
  case unsupportedTensorType(path: String, name: String, type: String)
  /// A writer cannot represent what it was given.
  case unwritable(path: String, detail: String)
}

extension FormatError: CustomStringConvertible {
  public var description: String {
    switch self {
    case .unrecognized(let path, let tried):
      return "\(path): not a recognized checkpoint (tried \(tried.joined(separator: "; ")))"
    case .malformed(let path, let detail):
      return "\(path): \(detail)"
    case .unsupportedVersion(let path, let detail):
      return "\(path): unsupported version: \(detail)"
    case .invalidConfig(let path, let detail):
      return "\(path): invalid model configuration: \(detail)"
    case .missingTensor(let path, let name):
      return "\(path): no tensor \(name)"
    case .shapeMismatch(let path, let name, let expected, let actual):
      return "\(path): tensor \(name) has shape \(actual), expected \(expected)"
    case .forbiddenPickle(let path, let detail):
      return "\(path): refused pickle content: \(detail)"
    case .unsupportedTensorType(let path, let name, let type):
      return "\(path): tensor \(name) has type \(type), which cannot be read as values"
    case .unwritable(let path, let detail):
      return "\(path): cannot write: \(detail)"
    }
  }
}

#if canImport(Foundation)
  import Foundation
  extension FormatError: LocalizedError {
    public var errorDescription: String? { description }
  }
#endif
