import LlamaFormats
import LlamaTokenizer

/// The SentencePiece vocabulary of a GGUF file (`tokenizer.ggml.*`, model "llama"). GGUF has no
/// byte_fallback flag: like llama.cpp, byte fallback is on when the vocabulary has BYTE pieces.
public struct GGUFVocabulary: VocabularySource {
  let metadata: [MetadataEntry]
  public let origin: String

  /// Whether the file carries a tokenizer at all.
  static func isPresent(in metadata: [MetadataEntry]) -> Bool {
    metadata.contains { $0.key == GGUFLayout.Key.tokenizerModel }
  }

  public func loadVocabulary() throws -> Vocabulary {
    var values: [String: MetadataValue] = [:]
    for entry in metadata { values[entry.key] = entry.value }
    guard let model = values[GGUFLayout.Key.tokenizerModel]?.stringValue else {
      throw TokenizerError.unrecognizedFile(path: origin, tried: "GGUF tokenizer.ggml.* metadata (this file has none)")
    }
    func fail(_ detail: String) -> FormatError { .malformed(path: origin, detail: detail) }
    guard model == "llama" else {
      throw TokenizerError.unsupportedModelType(path: origin, modelType: "\(model) (tokenizer.ggml.model; only the SentencePiece \"llama\" vocabulary is supported)")
    }
    guard let tokens = values[GGUFLayout.Key.tokens]?.arrayValue else { throw fail("tokenizer.ggml.tokens is missing") }
    var pieces: [String] = []
    pieces.reserveCapacity(tokens.count)
    for (i, token) in tokens.enumerated() {
      guard let text = token.stringValue else { throw fail("tokenizer.ggml.tokens[\(i)] is not a string") }
      pieces.append(text)
    }
    var scores = [Float](repeating: 0, count: pieces.count)
    if let items = values[GGUFLayout.Key.scores]?.arrayValue {
      guard items.count == pieces.count else { throw fail("tokenizer.ggml.scores has \(items.count) entries for \(pieces.count) tokens") }
      for (i, item) in items.enumerated() {
        guard let score = item.doubleValue else { throw fail("tokenizer.ggml.scores[\(i)] is not a number") }
        scores[i] = Float(score)
      }
    }
    var types = [PieceType](repeating: .normal, count: pieces.count)
    if let items = values[GGUFLayout.Key.tokenTypes]?.arrayValue {
      guard items.count == pieces.count else { throw fail("tokenizer.ggml.token_type has \(items.count) entries for \(pieces.count) tokens") }
      for (i, item) in items.enumerated() {
        guard let raw = item.intValue, raw >= 0, raw <= 255, let type = PieceType(rawValue: UInt8(raw)) else {
          throw fail("tokenizer.ggml.token_type[\(i)] is not a piece type (1-6)")
        }
        types[i] = type
      }
    }
    var trainer = TrainerSpec()
    trainer.modelType = .bpe
    trainer.vocabSize = Int32(clamping: pieces.count)
    trainer.byteFallback = types.contains(.byte)
    func id(_ key: String, default fallback: Int32) throws -> Int32 {
      guard let value = values[key] else { return fallback }
      guard let number = value.intValue, let id = Int32(exactly: number) else { throw fail("\(key) is not a token id") }
      return id
    }
    trainer.unkID = try id(GGUFLayout.Key.unknownID, default: 0)
    trainer.bosID = try id(GGUFLayout.Key.bosID, default: 1)
    trainer.eosID = try id(GGUFLayout.Key.eosID, default: 2)
    trainer.padID = try id(GGUFLayout.Key.paddingID, default: -1)
    // sentencepiece finds special pieces by text: name them after the ids given here.
    func piece(_ id: Int32) -> String? { id >= 0 && Int(id) < pieces.count ? pieces[Int(id)] : nil }
    if let text = piece(trainer.unkID) { trainer.unkPiece = text }
    if let text = piece(trainer.bosID) { trainer.bosPiece = text }
    if let text = piece(trainer.eosID) { trainer.eosPiece = text }
    trainer.padPiece = piece(trainer.padID) ?? ""
    var normalizer = NormalizerSpec()
    normalizer.name = "identity"
    normalizer.addDummyPrefix = values[GGUFLayout.Key.addSpacePrefix]?.boolValue ?? true
    normalizer.removeExtraWhitespaces = values[GGUFLayout.Key.removeExtraWhitespaces]?.boolValue ?? false
    if let items = values[GGUFLayout.Key.precompiledCharsmap]?.arrayValue, !items.isEmpty {
      normalizer.name = "precompiled"
      normalizer.precompiledCharsmap = try items.map { item in
        guard let byte = item.intValue, (0...255).contains(byte) else { throw fail("tokenizer.ggml.precompiled_charsmap holds a non-byte") }
        return UInt8(byte)
      }
    }
    return Vocabulary(
      pieces: pieces, scores: scores, types: types, trainer: trainer, normalizer: normalizer,
      origin: origin, sourceKind: "GGUF tokenizer.ggml metadata")
  }
}
