import LlamaIO

/// Every failure of the tokenizer layer. Each case carries the file (or input) it is about so
/// that the message is one self-contained line.
public enum TokenizerError: Error, Sendable, Equatable {
  /// The file is not a tokenizer this module can read; `tried` lists what was checked.
  case unrecognizedFile(path: String, tried: String)
  /// A tokenizer file is malformed.
  case malformed(path: String, detail: String)
  /// The model is a SentencePiece or tokenizers model of another kind (Unigram, WordPiece, …).
  case unsupportedModelType(path: String, modelType: String)
  /// A component of a tokenizer.json this module does not implement.
  case unsupportedComponent(path: String, component: String, type: String)
  /// A token id outside the vocabulary.
  case idOutOfRange(path: String, id: Int64, vocabularySize: Int)
  /// The tokenizer has no such special token (e.g. `--bos` on a vocabulary without BOS).
  case missingSpecialToken(path: String, name: String)
  /// Text that is not valid UTF-8.
  case invalidText(source: String, offset: Int)
}

extension TokenizerError: CustomStringConvertible {
  public var description: String {
    switch self {
    case .unrecognizedFile(let path, let tried):
      return "\(path): not a recognized tokenizer (tried \(tried))"
    case .malformed(let path, let detail):
      return "\(path): \(detail)"
    case .unsupportedModelType(let path, let modelType):
      return "\(path): unsupported model_type \(modelType) (only BPE is supported)"
    case .unsupportedComponent(let path, let component, let type):
      return "\(path): unsupported \(component) \(type)"
    case .idOutOfRange(let path, let id, let size):
      return "\(path): token id \(id) is out of range (the vocabulary has \(size) pieces, ids 0-\(size - 1))"
    case .missingSpecialToken(let path, let name):
      return "\(path): the tokenizer defines no \(name) token"
    case .invalidText(let source, let offset):
      return "\(source): text is not valid UTF-8 (at byte \(offset))"
    }
  }
}

#if canImport(Foundation)
  import Foundation
  extension TokenizerError: LocalizedError {
    public var errorDescription: String? { description }
  }
#endif
