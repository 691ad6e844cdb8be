/// The checks sentencepiece makes when it loads a model (`ModelInterface::InitializePieces`),
/// so that a vocabulary it would refuse is refused here too, with the piece named.
enum VocabularyValidation {
  /// sentencepiece refuses pieces of this many bytes or more.
  static let maximumPieceBytes = 8000
  /// Vocabularies larger than this are refused while they are read (the largest real ones
  /// hold about 256k pieces; each piece costs some 150 bytes of memory).
  static let maximumPieces = 1 << 21

  static func tooManyPieces(_ origin: String) -> TokenizerError {
    .malformed(path: origin, detail: "more than \(maximumPieces) pieces")
  }

  static func validated(_ vocabulary: Vocabulary) throws -> Vocabulary {
    var vocabulary = vocabulary
    let origin = vocabulary.origin
    func fail(_ detail: String) -> TokenizerError { .malformed(path: origin, detail: detail) }
    guard vocabulary.pieces.count <= maximumPieces else { throw tooManyPieces(origin) }
    guard vocabulary.types.count == vocabulary.pieces.count,
      vocabulary.scores.map({ $0.count == vocabulary.pieces.count }) ?? true
    else { throw fail("piece, score and type counts differ") }
    guard vocabulary.count < Int(Int32.max) else { throw fail("too many pieces") }

    // Keys are the pieces' bytes: Swift's String equality would merge canonically equivalent
    // pieces such as "ί" (U+1F77) and "ί" (U+03AF), which are distinct Llama 2 pieces.
    var mergeable: [[UInt8]: Int] = [:]
    var reserved: [[UInt8]: Int] = [:]
    var unknown = -1
    var bytesSeen = [Bool](repeating: false, count: 256)
    let byteFallback = vocabulary.trainer.byteFallback
    for (id, piece) in vocabulary.pieces.enumerated() {
      guard !piece.isEmpty else { throw fail("piece \(id) is empty") }
      guard piece.utf8.count < maximumPieceBytes else {
        throw fail("piece \(id) is too long (\(piece.utf8.count) bytes)")
      }
      // sentencepiece 0.2 loads a NORMAL piece holding NUL (InternLM's piece 354, "\0") as
      // UNUSED when byte_fallback is on, so NUL is encoded as <0x00>.
      if byteFallback, vocabulary.types[id] == .normal, piece.utf8.contains(0) {
        vocabulary.types[id] = .unused
      }
      let type = vocabulary.types[id]
      let isMergeable = type == .normal || type == .userDefined || type == .unused
      let key = Array(piece.utf8)
      if isMergeable {
        if let first = mergeable.updateValue(id, forKey: key) {
          throw fail("piece \(quoted(piece)) is defined twice (ids \(first) and \(id))")
        }
      } else if let first = reserved.updateValue(id, forKey: key) {
        throw fail("piece \(quoted(piece)) is defined twice (ids \(first) and \(id))")
      }
      switch type {
      case .unknown:
        guard unknown < 0 else { throw fail("two UNKNOWN pieces (ids \(unknown) and \(id))") }
        unknown = id
      case .byte:
        guard byteFallback else {
          throw fail("byte piece \(quoted(piece)) (id \(id)) although byte_fallback is off")
        }
        guard let byte = BytePiece.value(of: piece) else {
          throw fail("byte piece \(id) is spelled \(quoted(piece)), not <0xNN>")
        }
        bytesSeen[Int(byte)] = true
      default:
        break
      }
    }
    guard unknown >= 0 else { throw fail("no UNKNOWN piece (unk is not defined)") }
    if byteFallback, let missing = bytesSeen.firstIndex(of: false) {
      throw fail("byte_fallback is on but there is no piece \(BytePiece.spelling(UInt8(missing)))")
    }
    return vocabulary
  }

  static func quoted(_ piece: String) -> String {
    var result = "\""
    for scalar in piece.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        result += "\\u{\(String(scalar.value, radix: 16))}"
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }
}

/// The spelling of byte pieces: `<0x00>` … `<0xFF>`, two upper-case hex digits.
enum BytePiece {
  static func spelling(_ byte: UInt8) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    return String(decoding: [0x3C, 0x30, 0x78, hex[Int(byte >> 4)], hex[Int(byte & 15)], 0x3E], as: UTF8.self)
  }

  /// The byte a piece spells, accepting only sentencepiece's exact form.
  static func value(of piece: String) -> UInt8? {
    let u = Array(piece.utf8)
    guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E,
      let high = upperHex(u[3]), let low = upperHex(u[4])
    else { return nil }
    return high << 4 | low
  }

  private static func upperHex(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x41...0x46: return c - 0x41 + 10
    default: return nil
    }
  }
}

extension Vocabulary {
  /// Ids of the special pieces as sentencepiece finds them: by the piece text named in the
  /// trainer spec (`unk_piece`, `bos_piece`, …), kept only if the piece has the right type.
  public struct SpecialIDs: Sendable, Equatable {
    public var unk: TokenID?
    public var bos: TokenID?
    public var eos: TokenID?
    public var pad: TokenID?
  }

  public var specialIDs: SpecialIDs {
    var result = SpecialIDs()
    var wanted: [[UInt8]: [WritableKeyPath<SpecialIDs, TokenID?>]] = [:]
    wanted[Array(trainer.unkPiece.utf8), default: []].append(\.unk)
    wanted[Array(trainer.bosPiece.utf8), default: []].append(\.bos)
    wanted[Array(trainer.eosPiece.utf8), default: []].append(\.eos)
    wanted[Array(trainer.padPiece.utf8), default: []].append(\.pad)
    var found: [[UInt8]: Int] = [:]
    // Reserved (non-mergeable) pieces win over normal ones with the same text, as in
    // sentencepiece's PieceToId.
    for (id, text) in pieces.enumerated() {
      let piece = Array(text.utf8)
      guard wanted[piece] != nil else { continue }
      let reserved = !(types[id] == .normal || types[id] == .userDefined || types[id] == .unused)
      if let previous = found[piece] {
        let previousReserved = !(types[previous] == .normal || types[previous] == .userDefined
          || types[previous] == .unused)
        if previousReserved || !reserved { continue }
      }
      found[piece] = id
    }
    for (piece, paths) in wanted {
      guard let id = found[piece] else { continue }
      for path in paths {
        let type: PieceType = path == \SpecialIDs.unk ? .unknown : .control
        if types[id] == type { result[keyPath: path] = TokenID(id) }
      }
    }
    // The unknown piece is the one of type UNKNOWN whatever its spelling (sentencepiece's unk_id_).
    if result.unk == nil, let id = types.firstIndex(of: .unknown) { result.unk = TokenID(id) }
    return result
  }
}
