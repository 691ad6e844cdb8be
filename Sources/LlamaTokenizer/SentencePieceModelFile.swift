import LlamaIO

/// A SentencePiece `tokenizer.model`: one serialized `ModelProto` (proto2). Field numbers are
/// sentencepiece's `sentencepiece_model.proto`; absent fields take proto2 defaults, which are
/// *not* false for the whitespace flags, the piece type, bos_id and eos_id.
public struct SentencePieceModelFile: VocabularySource {
  public let origin: String

  /// Reads the file at `path` when loaded.
  public init(path: String) { origin = path }

  public func loadVocabulary() throws -> Vocabulary {
    try MappedFile(path: origin).withUnsafeBytes { try Self.parse($0, origin: origin) }
  }

  /// Parses a serialized `ModelProto`.
  public static func parse(_ bytes: UnsafeRawBufferPointer, origin: String) throws -> Vocabulary {
    guard !bytes.isEmpty else {
      throw TokenizerError.malformed(path: origin, detail: "empty file, not a SentencePiece model")
    }
    var reader = ProtobufReader(bytes, source: origin)
    var pieces: [String] = []
    var scores: [Float] = []
    var types: [PieceType] = []
    var trainer = TrainerSpec()
    var normalizer = NormalizerSpec()
    var denormalizer: NormalizerSpec?
    var sawTrainerSpec = false

    while !reader.isAtEnd {
      let (field, wireType) = try reader.key()
      switch field {
      case 1:
        try reader.expect(wireType, .lengthDelimited, field: field, in: "ModelProto")
        let (payload, base) = try reader.lengthDelimited()
        guard pieces.count < VocabularyValidation.maximumPieces else { throw VocabularyValidation.tooManyPieces(origin) }
        let piece = try parsePiece(payload, base: base, index: pieces.count, origin: origin)
        pieces.append(piece.text)
        scores.append(piece.score)
        types.append(piece.type)
      case 2:
        try reader.expect(wireType, .lengthDelimited, field: field, in: "ModelProto")
        let (payload, base) = try reader.lengthDelimited()
        trainer = try parseTrainerSpec(payload, base: base, origin: origin)
        sawTrainerSpec = true
      case 3, 5:
        try reader.expect(wireType, .lengthDelimited, field: field, in: "ModelProto")
        let (payload, base) = try reader.lengthDelimited()
        let spec = try parseNormalizerSpec(payload, base: base, origin: origin)
        if field == 3 { normalizer = spec } else { denormalizer = spec }
      default:
        try reader.skip(wireType)
      }
    }

    guard !pieces.isEmpty else {
      throw TokenizerError.malformed(path: origin, detail: "no pieces: not a SentencePiece model")
    }
    guard sawTrainerSpec else {
      throw TokenizerError.malformed(path: origin, detail: "no trainer_spec: not a SentencePiece model")
    }
    guard trainer.modelType == .bpe else {
      throw TokenizerError.unsupportedModelType(path: origin, modelType: trainer.modelType.name)
    }
    return Vocabulary(
      pieces: pieces, scores: scores, types: types, trainer: trainer, normalizer: normalizer,
      denormalizer: denormalizer, origin: origin, sourceKind: "SentencePiece model")
  }

  private static func parsePiece(
    _ bytes: UnsafeRawBufferPointer, base: Int, index: Int, origin: String
  ) throws -> (text: String, score: Float, type: PieceType) {
    var reader = ProtobufReader(bytes, source: origin, base: base)
    var text = ""
    var score: Float = 0
    var type = PieceType.normal
    while !reader.isAtEnd {
      let (field, wireType) = try reader.key()
      switch field {
      case 1:
        try reader.expect(wireType, .lengthDelimited, field: field, in: "SentencePiece")
        text = try reader.string("piece \(index)")
      case 2:
        try reader.expect(wireType, .fixed32, field: field, in: "SentencePiece")
        score = Float(bitPattern: try reader.fixed32())
      case 3:
        try reader.expect(wireType, .varint, field: field, in: "SentencePiece")
        let raw = try reader.varint()
        guard raw <= 255, let value = PieceType(rawValue: UInt8(raw)) else {
          throw TokenizerError.malformed(path: origin, detail: "piece \(index) has unknown type \(raw)")
        }
        type = value
      default:
        try reader.skip(wireType)
      }
    }
    return (text, score, type)
  }

  private static func parseTrainerSpec(
    _ bytes: UnsafeRawBufferPointer, base: Int, origin: String
  ) throws -> TrainerSpec {
    var reader = ProtobufReader(bytes, source: origin, base: base)
    var spec = TrainerSpec()
    while !reader.isAtEnd {
      let (field, wireType) = try reader.key()
      func int32() throws -> Int32 {
        try reader.expect(wireType, .varint, field: field, in: "TrainerSpec")
        return Int32(truncatingIfNeeded: try reader.varint())
      }
      func bool() throws -> Bool { try int32() != 0 }
      func string() throws -> String {
        try reader.expect(wireType, .lengthDelimited, field: field, in: "TrainerSpec")
        return try reader.string("trainer_spec field \(field)")
      }
      switch field {
      case 3:
        let raw = try int32()
        guard let type = ModelType(rawValue: raw) else {
          throw TokenizerError.unsupportedModelType(path: origin, modelType: "\(raw)")
        }
        spec.modelType = type
      case 4: spec.vocabSize = try int32()
      case 24: spec.treatWhitespaceAsSuffix = try bool()
      case 25: spec.splitDigits = try bool()
      case 26: spec.allowWhitespaceOnlyPieces = try bool()
      case 35: spec.byteFallback = try bool()
      case 40: spec.unkID = try int32()
      case 41: spec.bosID = try int32()
      case 42: spec.eosID = try int32()
      case 43: spec.padID = try int32()
      case 44: spec.unkSurface = try string()
      case 45: spec.unkPiece = try string()
      case 46: spec.bosPiece = try string()
      case 47: spec.eosPiece = try string()
      case 48: spec.padPiece = try string()
      default: try reader.skip(wireType)
      }
    }
    return spec
  }

  private static func parseNormalizerSpec(
    _ bytes: UnsafeRawBufferPointer, base: Int, origin: String
  ) throws -> NormalizerSpec {
    var reader = ProtobufReader(bytes, source: origin, base: base)
    var spec = NormalizerSpec()
    while !reader.isAtEnd {
      let (field, wireType) = try reader.key()
      switch field {
      case 1:
        try reader.expect(wireType, .lengthDelimited, field: field, in: "NormalizerSpec")
        spec.name = try reader.string("normalizer name")
      case 2:
        try reader.expect(wireType, .lengthDelimited, field: field, in: "NormalizerSpec")
        spec.precompiledCharsmap = Array(try reader.lengthDelimited().bytes)
      case 3, 4, 5:
        try reader.expect(wireType, .varint, field: field, in: "NormalizerSpec")
        let value = try reader.varint() != 0
        if field == 3 { spec.addDummyPrefix = value }
        if field == 4 { spec.removeExtraWhitespaces = value }
        if field == 5 { spec.escapeWhitespaces = value }
      default:
        try reader.skip(wireType)
      }
    }
    return spec
  }
}
