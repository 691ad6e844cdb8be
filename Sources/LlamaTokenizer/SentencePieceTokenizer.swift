/// SentencePiece's BPE model applied exactly as sentencepiece 0.2 does (`bpe_model.cc`,
/// `sentencepiece_processor.cc`): normalize, split into characters and USER_DEFINED pieces,
/// merge the highest-scoring adjacent pair (leftmost among equal scores) until none is left,
/// then map the final symbols to ids with UNUSED resegmentation, byte fallback or `<unk>`.
public final class SentencePieceTokenizer: Tokenizer, @unchecked Sendable {
  public let vocabulary: Vocabulary
  let normalizer: SentencePieceNormalizer
  /// NORMAL, USER_DEFINED and UNUSED pieces: what merges may produce (sentencepiece's `pieces_`).
  let mergeable: PieceIndex
  /// Reserved pieces (CONTROL, UNKNOWN, BYTE) whose text a final symbol could spell; sentencepiece
  /// looks these up first. Empty for every real model.
  let reservedBySpelling: [[UInt8]: TokenID]
  /// Per id: `[count]`.
  let scores: [Float]
  let types: [PieceType]
  /// Id of the BYTE piece for each byte, -1 when absent: `[256]`.
  let byteIDs: [TokenID]
  /// Byte value of each BYTE piece, by id (other ids unused): `[count]`.
  let byteValues: [UInt8]
  let unknownID: TokenID
  let byteFallback: Bool
  let userDefined: PrefixMatcher
  /// For the byte-string merger: where the text may be cut into independently merged spans;
  /// nil when it may not, or when merging by ids (which finds its cuts by character id).
  let spanBoundaries: SpanBoundaries?
  /// Some UNUSED piece has two or more characters, so final symbols may need sentencepiece's
  /// reverse-merge resegmentation (no real model has one).
  let hasMultiCharacterUnused: Bool
  /// For decode: the id sentencepiece's PieceToId gives each piece's text when it differs from
  /// the id itself (a reserved piece sharing the text of a normal one).
  let decodeAliases: [TokenID: TokenID]
  /// Tables for merging by ids (the fast path), nil when the vocabulary needs the byte-string
  /// merger (`BPEMerger`) to be exact.
  let idTables: IdMergeTables?

  public convenience init(vocabulary: Vocabulary) throws {
    try self.init(vocabulary: vocabulary, mergeByIDs: true)
  }

  /// `mergeByIDs: false` forces the byte-string merger (tests run the goldens through both).
  init(vocabulary: Vocabulary, mergeByIDs: Bool) throws {
    let vocabulary = try VocabularyValidation.validated(vocabulary)
    self.vocabulary = vocabulary
    let types = vocabulary.types
    self.types = types
    scores = vocabulary.scores ?? [Float](repeating: 0, count: vocabulary.count)
    func isMergeable(_ t: PieceType) -> Bool { t == .normal || t == .userDefined || t == .unused }
    let mergeable = PieceIndex(pieces: vocabulary.pieces) { isMergeable(types[$0]) }
    self.mergeable = mergeable

    var byteIDs = [TokenID](repeating: -1, count: 256)
    var byteValues = [UInt8](repeating: 0, count: vocabulary.count)
    var userPieces: [String] = []
    var reserved: [[UInt8]: TokenID] = [:]
    var multiUnused = false
    var unknown: TokenID = 0
    for (id, piece) in vocabulary.pieces.enumerated() {
      switch types[id] {
      case .byte:
        if let value = BytePiece.value(of: piece) {
          byteIDs[Int(value)] = TokenID(id)
          byteValues[id] = value
        }
      case .userDefined: userPieces.append(piece)
      case .unused: if piece.unicodeScalars.count > 1 { multiUnused = true }
      case .unknown: unknown = TokenID(id)
      default: break
      }
      if !isMergeable(types[id]) {
        reserved[Array(piece.utf8)] = TokenID(id)
      }
    }
    var reservedBySpelling: [[UInt8]: TokenID] = [:]
    var decodeAliases: [TokenID: TokenID] = [:]
    for (piece, id) in reserved {
      let alias = piece.withUnsafeBufferPointer { mergeable.find($0.baseAddress!, $0.count) }
      if alias >= 0 {
        decodeAliases[alias] = id
        reservedBySpelling[piece] = id
      } else if piece.count == utf8SequenceLength(piece[0]) {
        reservedBySpelling[piece] = id
      }
    }
    self.byteIDs = byteIDs
    self.byteValues = byteValues
    self.unknownID = unknown
    byteFallback = vocabulary.trainer.byteFallback
    self.reservedBySpelling = reservedBySpelling
    self.decodeAliases = decodeAliases
    self.hasMultiCharacterUnused = multiUnused
    userDefined = PrefixMatcher(userPieces)
    normalizer = try SentencePieceNormalizer(
      spec: vocabulary.normalizer,
      treatWhitespaceAsSuffix: vocabulary.trainer.treatWhitespaceAsSuffix,
      userDefined: userDefined, origin: vocabulary.origin)

    let scores = self.scores
    let idTables = mergeByIDs && !multiUnused && reservedBySpelling.isEmpty
      ? IdMergeTables(pieces: vocabulary.pieces, scores: scores, mergeable: mergeable) { isMergeable(types[$0]) }
      : nil
    self.idTables = idTables
    spanBoundaries = idTables != nil || multiUnused
      ? nil : SpanBoundaries(pieces: vocabulary.pieces) { isMergeable(types[$0]) }
  }

  public convenience init(source: some VocabularySource) throws {
    try self.init(vocabulary: try source.loadVocabulary())
  }

  public var behaviour: String {
    let n = vocabulary.normalizer
    var parts = ["sentencepiece BPE (as sentencepiece 0.2 encodes)"]
    parts.append(n.precompiledCharsmap.isEmpty ? "no character mapping" : "charsmap \(n.name.isEmpty ? "custom" : n.name)")
    parts.append("add_dummy_prefix \(n.addDummyPrefix)")
    parts.append("remove_extra_whitespaces \(n.removeExtraWhitespaces)")
    parts.append("byte_fallback \(vocabulary.trainer.byteFallback)")
    if !userDefined.isEmpty { parts.append("user-defined pieces matched first") }
    return parts.joined(separator: ", ")
  }
}
