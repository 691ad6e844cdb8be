/// A loaded tokenizer: text to ids and back, with the vocabulary it uses. Implementations are
/// immutable after loading and safe to use from several threads.
public protocol Tokenizer: Sendable {
  /// The pieces, scores, types and settings.
  var vocabulary: Vocabulary { get }
  /// What the tokenizer applies, in one line ("sentencepiece BPE …", "Hugging Face tokenizers
  /// …"): printed by `--verbose` so users know which behaviour they got.
  var behaviour: String { get }
  /// Token ids of `text`, without BOS or EOS.
  func encode(_ text: String) -> [TokenID]
  /// Text of `ids`; an id outside the vocabulary is an error.
  func decode(_ ids: [TokenID]) throws -> String
}

extension Tokenizer {
  /// The piece text of each id (ids must be in range).
  public func pieces(_ ids: [TokenID]) -> [String] {
    ids.map { vocabulary.pieces[Int($0)] }
  }

  /// Throws unless every id is a valid index into the vocabulary.
  public func checkRange(_ ids: [TokenID]) throws {
    let count = vocabulary.count
    for id in ids where id < 0 || Int(id) >= count {
      throw TokenizerError.idOutOfRange(path: vocabulary.origin, id: Int64(id), vocabularySize: count)
    }
  }
}
