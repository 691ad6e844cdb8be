import LlamaIO
import LlamaTokenizer

/// What `llamakit vocab` prints, as text and as JSON.
enum VocabularyReport {
  static func summary(_ tokenizer: any Tokenizer) -> JSONObject {
    let v = tokenizer.vocabulary
    let ids = v.specialIDs
    func optional(_ id: TokenID?) -> JSON { id.map { .int(Int64($0)) } ?? .null }
    var counts = JSONObject()
    for type in PieceType.allCases {
      if let n = v.countsByType[type] { counts[type.name] = .int(Int64(n)) }
    }
    let controls = v.types.indices.filter { v.types[$0] == .control }
    let userDefined = v.types.indices.filter { v.types[$0] == .userDefined }
    return JSONObject([
      ("file", .string(v.origin)),
      ("source", .string(v.sourceKind)),
      ("model_type", .string(v.trainer.modelType.name)),
      ("vocab_size", .int(Int64(v.count))),
      ("trainer_vocab_size", .int(Int64(v.trainer.vocabSize))),
      ("special_ids", .object(JSONObject([
        ("unk", optional(ids.unk)), ("bos", optional(ids.bos)), ("eos", optional(ids.eos)),
        ("pad", optional(ids.pad)),
      ]))),
      ("control_ids", .array(controls.map { .int(Int64($0)) })),
      ("user_defined_ids", .array(userDefined.map { .int(Int64($0)) })),
      ("piece_types", .object(counts)),
      ("normalizer", .object(JSONObject([
        ("name", .string(v.normalizer.name)),
        ("precompiled_charsmap_bytes", .int(Int64(v.normalizer.precompiledCharsmap.count))),
        ("add_dummy_prefix", .bool(v.normalizer.addDummyPrefix)),
        ("remove_extra_whitespaces", .bool(v.normalizer.removeExtraWhitespaces)),
        ("escape_whitespaces", .bool(v.normalizer.escapeWhitespaces)),
      ]))),
      ("trainer", .object(JSONObject([
        ("byte_fallback", .bool(v.trainer.byteFallback)),
        ("split_digits", .bool(v.trainer.splitDigits)),
        ("treat_whitespace_as_suffix", .bool(v.trainer.treatWhitespaceAsSuffix)),
        ("allow_whitespace_only_pieces", .bool(v.trainer.allowWhitespaceOnlyPieces)),
        ("unk_surface", .string(v.trainer.unkSurface)),
      ]))),
      ("has_denormalizer", .bool(v.denormalizer != nil)),
      ("behaviour", .string(tokenizer.behaviour)),
    ])
  }

  static func summaryText(_ tokenizer: any Tokenizer) -> String {
    let v = tokenizer.vocabulary
    let ids = v.specialIDs
    func special(_ name: String, _ id: TokenID?) -> String {
      guard let id else { return "\(name) none" }
      return "\(name) \(id) \(v.pieces[Int(id)])"
    }
    let controls = v.types.indices.filter { v.types[$0] == .control }
    let userDefined = v.types.indices.filter { v.types[$0] == .userDefined }
    let counts = PieceType.allCases.compactMap { type in
      v.countsByType[type].map { "\(type.name) \($0)" }
    }
    let n = v.normalizer
    let normalizer = n.precompiledCharsmap.isEmpty
      ? "\(n.name.isEmpty ? "identity" : n.name) (no character map)"
      : "\(n.name) (precompiled charsmap, \(n.precompiledCharsmap.count) bytes)"
    var sizeNote = ""
    if Int(v.trainer.vocabSize) != v.count && v.sourceKind == "SentencePiece model" {
      sizeNote = " (trainer_spec.vocab_size says \(v.trainer.vocabSize))"
    }
    var lines = [
      ("file", v.origin),
      ("source", v.sourceKind),
      ("model type", v.trainer.modelType.name),
      ("pieces", "\(v.count)\(sizeNote)"),
      ("special ids", [special("unk", ids.unk), special("bos", ids.bos), special("eos", ids.eos), special("pad", ids.pad)].joined(separator: ", ")),
      ("control ids", listed(controls)),
      ("user-defined ids", listed(userDefined)),
      ("piece types", counts.joined(separator: ", ")),
      ("normalizer", normalizer),
      ("normalizer flags", "add_dummy_prefix \(n.addDummyPrefix), remove_extra_whitespaces \(n.removeExtraWhitespaces), escape_whitespaces \(n.escapeWhitespaces)"),
      ("trainer flags", "byte_fallback \(v.trainer.byteFallback), treat_whitespace_as_suffix \(v.trainer.treatWhitespaceAsSuffix), split_digits \(v.trainer.splitDigits) (training only)"),
      ("applied as", tokenizer.behaviour),
    ]
    if v.denormalizer != nil { lines.append(("denormalizer", "present (applied to decoded text)")) }
    return lines.map { "\($0.0.padding(18))\($0.1)\n" }.joined()
  }

  static func listed(_ ids: [Int], limit: Int = 20) -> String {
    if ids.isEmpty { return "none" }
    let shown = ids.prefix(limit).map(String.init).joined(separator: " ")
    return ids.count > limit ? "\(shown) … (\(ids.count) in all)" : shown
  }

  static func pieceJSON(_ id: Int, _ v: Vocabulary) -> JSON {
    .object(JSONObject([
      ("id", .int(Int64(id))),
      ("piece", .string(v.pieces[id])),
      ("score", v.score(id).map { JSON.number($0) } ?? .null),
      ("type", .string(v.types[id].name)),
    ]))
  }

  static func table(_ ids: [Int], _ v: Vocabulary, limit: Int) -> String {
    var out = "\n\("id".padding(8))\("score".padding(16))\("type".padding(14))piece\n"
    for id in ids.prefix(limit) {
      let score = v.score(id).map { "\($0)" } ?? "-"
      out += "\(String(id).padding(8))\(score.padding(16))\(v.types[id].name.padding(14))\(PieceText.escaped(v.pieces[id]))\n"
    }
    if ids.isEmpty { out += "(no matching pieces)\n" }
    if ids.count > limit { out += "… \(ids.count - limit) more (raise --limit or use --json)\n" }
    return out
  }

  static func json(_ d: VocabularyDiff, _ a: Vocabulary, _ b: Vocabulary) -> JSON {
    func entries(_ list: [(id: TokenID, piece: String)]) -> JSON {
      .array(list.map { .object(JSONObject([("id", .int(Int64($0.id))), ("piece", .string($0.piece))])) })
    }
    func changes(_ list: [VocabularyDiff.Changed]) -> JSON {
      .array(list.map { c in
        .object(JSONObject([
          ("piece", .string(c.piece)),
          ("id_a", .int(Int64(c.idA))), ("id_b", .int(Int64(c.idB))),
          ("score_a", c.scoreA.map { JSON.number($0) } ?? .null),
          ("score_b", c.scoreB.map { JSON.number($0) } ?? .null),
          ("type_a", .string(c.typeA.name)), ("type_b", .string(c.typeB.name)),
        ]))
      })
    }
    return .object(JSONObject([
      ("a", .string(a.origin)), ("b", .string(b.origin)),
      ("size_a", .int(Int64(a.count))), ("size_b", .int(Int64(b.count))),
      ("identical", .bool(d.identical)),
      ("only_in_a", entries(d.onlyInA)),
      ("only_in_b", entries(d.onlyInB)),
      ("other_id", changes(d.movedPieces)),
      ("other_score_or_type", changes(d.changedPieces)),
    ]))
  }

  static func text(_ d: VocabularyDiff, _ a: Vocabulary, _ b: Vocabulary, limit: Int) -> String {
    var out = "A: \(a.origin) (\(a.count) pieces)\nB: \(b.origin) (\(b.count) pieces)\n"
    if d.identical { return out + "identical: same pieces with the same ids, scores and types\n" }
    func section(_ title: String, _ count: Int, _ rows: [String]) {
      out += "\n\(title): \(count)\n"
      for row in rows.prefix(limit) { out += "  \(row)\n" }
      if count > limit { out += "  … \(count - limit) more\n" }
    }
    func score(_ s: Float?) -> String { s.map { "\($0)" } ?? "-" }
    section("only in A", d.onlyInA.count, d.onlyInA.map { "\($0.id)\t\(PieceText.escaped($0.piece))" })
    section("only in B", d.onlyInB.count, d.onlyInB.map { "\($0.id)\t\(PieceText.escaped($0.piece))" })
    section("same piece, other id", d.movedPieces.count, d.movedPieces.map {
      "\(PieceText.escaped($0.piece))\tid \($0.idA) → \($0.idB)"
    })
    section("same piece and id, other score or type", d.changedPieces.count, d.changedPieces.map {
      "\(PieceText.escaped($0.piece))\tid \($0.idA)\tscore \(score($0.scoreA)) → \(score($0.scoreB))\ttype \($0.typeA.name) → \($0.typeB.name)"
    })
    return out
  }
}

extension String {
  /// The text padded with spaces to `width` characters (at least one space after it).
  func padding(_ width: Int) -> String {
    let n = count
    return n >= width ? self + " " : self + String(repeating: " ", count: width - n)
  }
}
