import LlamaIO

/// llama2.c's `tokenizer.bin`: `u32 max_token_length`, then for each id in order `f32 score`,
/// `u32 length`, `length` bytes (little-endian; the piece count is not stored). Pieces are
/// written with `▁` as a plain space and `<s>`/`</s>` as "\n<s>\n"/"\n</s>\n"; no types are
/// stored. The vocabulary is rebuilt with LLaMA's SentencePiece settings (identity
/// normalization, dummy prefix, byte fallback, unk/bos/eos = 0/1/2).
public struct Llama2CTokenizerFile: VocabularySource {
  public let origin: String

  public init(path: String) { origin = path }

  public func loadVocabulary() throws -> Vocabulary {
    let file = try MappedFile(path: origin)
    return try Self.parse(file.reader())
  }

  static func parse(_ reader: ByteReader) throws -> Vocabulary {
    var reader = reader
    let origin = reader.source
    let maxLength = try reader.u32("max_token_length")
    guard maxLength > 0, maxLength < UInt32(VocabularyValidation.maximumPieceBytes) else {
      throw TokenizerError.malformed(
        path: origin, detail: "max_token_length \(maxLength) is not a plausible piece length")
    }
    var pieces: [String] = []
    var scores: [Float] = []
    var types: [PieceType] = []
    while !reader.isAtEnd {
      let id = pieces.count
      guard id < VocabularyValidation.maximumPieces else { throw VocabularyValidation.tooManyPieces(origin) }
      let score = try reader.f32("score of piece \(id)")
      let length = Int(try reader.u32("length of piece \(id)"))
      guard length > 0, length <= Int(maxLength) else {
        throw TokenizerError.malformed(
          path: origin,
          detail: "piece \(id) has length \(length) (max_token_length is \(maxLength))")
      }
      let raw = try reader.string(length, "piece \(id)")
      let (text, type) = Self.piece(raw, id: id)
      pieces.append(text)
      scores.append(score)
      types.append(type)
    }
    guard !pieces.isEmpty else {
      throw TokenizerError.malformed(path: origin, detail: "no pieces after the header")
    }
    var trainer = TrainerSpec()
    trainer.modelType = .bpe
    trainer.vocabSize = Int32(pieces.count)
    trainer.byteFallback = true
    trainer.splitDigits = true
    var normalizer = NormalizerSpec()
    normalizer.name = "identity"
    normalizer.removeExtraWhitespaces = false
    return Vocabulary(
      pieces: pieces, scores: scores, types: types, trainer: trainer, normalizer: normalizer,
      origin: origin, sourceKind: "llama2.c tokenizer.bin")
  }

  /// The `tokenizer.bin` llama2.c's `export` writes for `vocabulary`: spaces for `▁`, BOS and
  /// EOS as "\n<s>\n" and "\n</s>\n", byte pieces as `<0xXX>`. A vocabulary without scores
  /// (a tokenizer.json, merges by rank) gets −id, which keeps the same merge order.
  public static func serialize(_ vocabulary: Vocabulary) -> [UInt8] {
    let pieces = vocabulary.pieces.enumerated().map { id, piece -> [UInt8] in
      if id == Int(vocabulary.trainer.bosID) { return Array("\n<s>\n".utf8) }
      if id == Int(vocabulary.trainer.eosID) { return Array("\n</s>\n".utf8) }
      return Array(piece.replacingAll("\u{2581}", with: " ").utf8)
    }
    var out: [UInt8] = []
    func u32(_ v: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) } }
    u32(UInt32(pieces.map(\.count).max() ?? 0))
    for (id, piece) in pieces.enumerated() {
      u32((vocabulary.scores?[id] ?? -Float(id)).bitPattern)
      u32(UInt32(piece.count))
      out += piece
    }
    return out
  }

  /// The SentencePiece spelling and type of a stored piece.
  static func piece(_ stored: String, id: Int) -> (String, PieceType) {
    if stored == "\n<s>\n" { return ("<s>", .control) }
    if stored == "\n</s>\n" { return ("</s>", .control) }
    if id == 0 && stored == "<unk>" { return (stored, .unknown) }
    if BytePiece.value(of: stored) != nil { return (stored, .byte) }
    return (stored.replacingSpaces(), .normal)
  }
}

extension String {
  /// The text with every U+0020 replaced by U+2581.
  func replacingSpaces() -> String {
    guard utf8.contains(0x20) else { return self }
    var result: [UInt8] = []
    for byte in utf8 {
      if byte == 0x20 { result.append(contentsOf: [0xE2, 0x96, 0x81]) } else { result.append(byte) }
    }
    return String(decoding: result, as: UTF8.self)
  }
}
