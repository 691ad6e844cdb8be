/// A token id. Vocabularies have well under 2^31 pieces.
public typealias TokenID = Int32

/// SentencePiece's piece types (`ModelProto.SentencePiece.Type`), numbered as in the proto and
/// in GGUF's `tokenizer.ggml.token_type`.
public enum PieceType: UInt8, Sendable, CaseIterable {
  case normal = 1
  case unknown = 2
  case control = 3
  case userDefined = 4
  case unused = 5
  case byte = 6

  public var name: String {
    switch self {
    case .normal: return "NORMAL"
    case .unknown: return "UNKNOWN"
    case .control: return "CONTROL"
    case .userDefined: return "USER_DEFINED"
    case .unused: return "UNUSED"
    case .byte: return "BYTE"
    }
  }
}

/// SentencePiece's `TrainerSpec.model_type`.
public enum ModelType: Int32, Sendable {
  case unigram = 1
  case bpe = 2
  case word = 3
  case char = 4

  public var name: String {
    switch self {
    case .unigram: return "UNIGRAM"
    case .bpe: return "BPE"
    case .word: return "WORD"
    case .char: return "CHAR"
    }
  }
}

/// The normalizer flags and table of a SentencePiece model (`NormalizerSpec`), with proto2's
/// defaults: an absent flag is *true* for the three whitespace options.
public struct NormalizerSpec: Sendable, Equatable {
  /// Informative only ("identity", "nmt_nfkc", …): the charsmap is what counts.
  public var name: String = ""
  /// The compiled character map (empty: no character mapping).
  public var precompiledCharsmap: [UInt8] = []
  public var addDummyPrefix = true
  public var removeExtraWhitespaces = true
  public var escapeWhitespaces = true

  public init() {}
}

/// The `TrainerSpec` fields that matter when applying or describing a model.
public struct TrainerSpec: Sendable, Equatable {
  public var modelType: ModelType = .unigram
  /// As stored; informative only (the piece count is the real vocabulary size).
  public var vocabSize: Int32 = 8000
  public var treatWhitespaceAsSuffix = false
  /// Training-time only: never splits at encode time.
  public var splitDigits = false
  public var allowWhitespaceOnlyPieces = false
  public var byteFallback = false
  public var unkID: Int32 = 0
  public var bosID: Int32 = 1
  public var eosID: Int32 = 2
  public var padID: Int32 = -1
  /// What `<unk>` decodes to.
  public var unkSurface = " \u{2047} "
  public var unkPiece = "<unk>"
  public var bosPiece = "<s>"
  public var eosPiece = "</s>"
  public var padPiece = "<pad>"

  public init() {}
}

/// A SentencePiece vocabulary: pieces in id order with their scores and types, plus the model's
/// settings. This is what every vocabulary source produces (tokenizer.model, tokenizer.bin,
/// GGUF metadata, tokenizer.json).
public struct Vocabulary: Sendable {
  /// Piece text, `▁` for spaces: `[count]`.
  public var pieces: [String]
  /// Merge priority (higher merges first): `[count]`. `nil` when the source has none
  /// (tokenizer.json orders merges by rank instead).
  public var scores: [Float]?
  /// `[count]`.
  public var types: [PieceType]
  public var trainer: TrainerSpec
  public var normalizer: NormalizerSpec
  /// Applied to decoded text when present (`ModelProto.denormalizer_spec`).
  public var denormalizer: NormalizerSpec?
  /// Where the vocabulary came from, for errors ("path/tokenizer.model").
  public var origin: String
  /// The kind of source ("sentencepiece model", "llama2.c tokenizer.bin", …).
  public var sourceKind: String

  public init(
    pieces: [String], scores: [Float]?, types: [PieceType], trainer: TrainerSpec,
    normalizer: NormalizerSpec, denormalizer: NormalizerSpec? = nil, origin: String,
    sourceKind: String
  ) {
    self.pieces = pieces
    self.scores = scores
    self.types = types
    self.trainer = trainer
    self.normalizer = normalizer
    self.denormalizer = denormalizer
    self.origin = origin
    self.sourceKind = sourceKind
  }

  public var count: Int { pieces.count }

  public func score(_ id: Int) -> Float? { scores?[id] }

  /// Number of pieces of each type.
  public var countsByType: [PieceType: Int] {
    var counts: [PieceType: Int] = [:]
    for type in types { counts[type, default: 0] += 1 }
    return counts
  }
}

/// Anything that can produce a SentencePiece vocabulary: a `tokenizer.model`, a llama2.c
/// `tokenizer.bin`, GGUF `tokenizer.ggml.*` metadata, … A source delivers what the file says;
/// `SentencePieceTokenizer` checks it as sentencepiece does when it loads a model.
public protocol VocabularySource {
  /// Names the source in errors and reports (usually a path).
  var origin: String { get }
  func loadVocabulary() throws -> Vocabulary
}
