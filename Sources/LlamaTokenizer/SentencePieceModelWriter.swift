/// A vocabulary serialized as a SentencePiece `tokenizer.model` (`ModelProto`, proto2), with
/// the field numbers `SentencePieceModelFile` reads: the pieces with scores and types, the
/// trainer settings that change encoding (model type, split digits, byte fallback, special ids
/// and pieces) and the normalizer. Every field is written explicitly, so proto2 defaults never
/// decide. A vocabulary without scores (a `tokenizer.json`) gets rank order as scores.
public enum SentencePieceModelWriter {
  public static func serialize(_ vocabulary: Vocabulary) -> [UInt8] {
    var model = ProtobufWriter()
    let scores = vocabulary.scores ?? vocabulary.pieces.indices.map { -Float($0) }
    for (index, piece) in vocabulary.pieces.enumerated() {
      var entry = ProtobufWriter()
      entry.string(1, piece)
      entry.float(2, scores[index])
      entry.varint(3, UInt64(vocabulary.types[index].rawValue))
      model.message(1, entry)
    }
    let t = vocabulary.trainer
    var trainer = ProtobufWriter()
    trainer.varint(3, UInt64(t.modelType.rawValue))
    trainer.int32(4, t.vocabSize)
    trainer.bool(24, t.treatWhitespaceAsSuffix)
    trainer.bool(25, t.splitDigits)
    trainer.bool(26, t.allowWhitespaceOnlyPieces)
    trainer.bool(35, t.byteFallback)
    trainer.int32(40, t.unkID)
    trainer.int32(41, t.bosID)
    trainer.int32(42, t.eosID)
    trainer.int32(43, t.padID)
    trainer.string(44, t.unkSurface)
    trainer.string(45, t.unkPiece)
    trainer.string(46, t.bosPiece)
    trainer.string(47, t.eosPiece)
    trainer.string(48, t.padPiece)
    model.message(2, trainer)
    model.message(3, normalizer(vocabulary.normalizer))
    if let denormalizer = vocabulary.denormalizer { model.message(5, normalizer(denormalizer)) }
    return model.bytes
  }

  static func normalizer(_ spec: NormalizerSpec) -> ProtobufWriter {
    var w = ProtobufWriter()
    w.string(1, spec.name)
    w.bytes(2, spec.precompiledCharsmap)
    w.bool(3, spec.addDummyPrefix)
    w.bool(4, spec.removeExtraWhitespaces)
    w.bool(5, spec.escapeWhitespaces)
    return w
  }
}

/// The protobuf wire format, for the few field kinds a `ModelProto` uses.
struct ProtobufWriter {
  private(set) var bytes: [UInt8] = []

  private mutating func raw(_ value: UInt64) {
    var v = value
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  private mutating func key(_ field: Int, _ wireType: UInt64) { raw(UInt64(field) << 3 | wireType) }

  mutating func varint(_ field: Int, _ value: UInt64) {
    key(field, 0)
    raw(value)
  }

  /// int32 as protobuf encodes it: negative values sign-extended to ten bytes.
  mutating func int32(_ field: Int, _ value: Int32) { varint(field, UInt64(bitPattern: Int64(value))) }

  mutating func bool(_ field: Int, _ value: Bool) { varint(field, value ? 1 : 0) }

  mutating func float(_ field: Int, _ value: Float) {
    key(field, 5)
    let bits = value.bitPattern
    for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(i)))) }
  }

  mutating func bytes(_ field: Int, _ value: [UInt8]) {
    key(field, 2)
    raw(UInt64(value.count))
    bytes += value
  }

  mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

  mutating func message(_ field: Int, _ value: ProtobufWriter) { bytes(field, value.bytes) }
}
