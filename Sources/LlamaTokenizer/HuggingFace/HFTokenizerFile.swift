import LlamaIO

/// Turns a parsed Hugging Face `tokenizer.json` (the `tokenizers` library's serialization) into
/// an `HFTokenizer`, with errors naming the file and the field. Only SentencePiece-style BPE
/// files are accepted; other models and components are refused by name. `config` is the
/// `tokenizer_config.json` beside the file, which names BOS and EOS.
struct HFTokenizerParser {
  let path: String
  let config: JSON?

  func fail(_ detail: String) -> TokenizerError { .malformed(path: path, detail: detail) }

  func object(_ value: JSON?, _ what: String) throws -> JSONObject {
    guard let object = value?.objectValue else {
      throw fail("\(what) is \(value?.kindName ?? "missing"), expected an object")
    }
    return object
  }

  func string(_ value: JSON?, _ what: String) throws -> String {
    guard let text = value?.stringValue else {
      throw fail("\(what) is \(value?.kindName ?? "missing"), expected a string")
    }
    return text
  }

  func bool(_ value: JSON?, _ what: String, default fallback: Bool) throws -> Bool {
    guard let value, !value.isNull else { return fallback }
    guard let flag = value.boolValue else { throw fail("\(what) is \(value.kindName), expected a boolean") }
    return flag
  }

  func int(_ value: JSON?, _ what: String) throws -> Int64 {
    guard let number = value?.intValue else {
      throw fail("\(what) is \(value?.kindName ?? "missing"), expected an integer")
    }
    return number
  }

  func scalar(_ value: JSON?, _ what: String) throws -> Unicode.Scalar {
    let text = try string(value, what)
    guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
      throw fail("\(what) must be one character, got \(VocabularyValidation.quoted(text))")
    }
    return scalar
  }

  func tokenizer(from json: JSON) throws -> HFTokenizer {
    let root = try object(json, "the top level")
    let modelObject = try object(root["model"], "model")
    let modelType = modelObject["type"]?.stringValue ?? (modelObject["merges"] != nil ? "BPE" : "unknown")
    guard modelType == "BPE" else {
      throw TokenizerError.unsupportedModelType(path: path, modelType: modelType)
    }
    if let dropout = modelObject["dropout"], !dropout.isNull, (dropout.doubleValue ?? 1) != 0 {
      throw TokenizerError.unsupportedComponent(path: path, component: "BPE option", type: "dropout")
    }

    // Vocabulary: model tokens, then added tokens (which may reuse or extend the ids).
    let vocab = try object(modelObject["vocab"], "model.vocab")
    guard vocab.count <= VocabularyValidation.maximumPieces else { throw VocabularyValidation.tooManyPieces(path) }
    var byID: [Int: String] = [:]
    for entry in vocab.entries {
      let id = try int(entry.value, "model.vocab[\(VocabularyValidation.quoted(entry.key))]")
      guard id >= 0, id < Int64(Int32.max) else { throw fail("model.vocab has id \(id)") }
      if let other = byID[Int(id)] {
        throw fail("model.vocab gives id \(id) to both \(VocabularyValidation.quoted(other)) and \(VocabularyValidation.quoted(entry.key))")
      }
      byID[Int(id)] = entry.key
    }
    var added: [HFAddedToken] = []
    for (i, item) in (root["added_tokens"]?.arrayValue ?? []).enumerated() {
      let token = try object(item, "added_tokens[\(i)]")
      let id = try int(token["id"], "added_tokens[\(i)].id")
      guard id >= 0, id < Int64(Int32.max) else { throw fail("added_tokens[\(i)] has id \(id)") }
      added.append(
        HFAddedToken(
          id: TokenID(id), content: try string(token["content"], "added_tokens[\(i)].content"),
          singleWord: try bool(token["single_word"], "single_word", default: false),
          lstrip: try bool(token["lstrip"], "lstrip", default: false),
          rstrip: try bool(token["rstrip"], "rstrip", default: false),
          normalized: try bool(token["normalized"], "normalized", default: true),
          special: try bool(token["special"], "special", default: false)))
    }
    let size = max((byID.keys.max() ?? -1) + 1, Int(added.map(\.id).max() ?? -1) + 1)
    guard size > 0 else { throw fail("the vocabulary is empty") }
    // Ids must run from 0 without holes, so there can be no more of them than entries; checked
    // before allocating tables of that size.
    guard size <= byID.count + added.count else {
      throw fail("ids run up to \(size - 1) but there are only \(byID.count + added.count) tokens (ids must run from 0 without holes)")
    }
    var modelTokens = [String](repeating: "", count: size)
    var pieces = [String?](repeating: nil, count: size)
    for (id, token) in byID {
      modelTokens[id] = token
      pieces[id] = token
    }
    for token in added where pieces[Int(token.id)] == nil { pieces[Int(token.id)] = token.content }
    if let hole = pieces.firstIndex(where: { $0 == nil }) {
      throw fail("no token has id \(hole) (ids must run from 0 to \(size - 1))")
    }

    let byteFallback = try bool(modelObject["byte_fallback"], "model.byte_fallback", default: false)
    let unknownToken = modelObject["unk_token"]?.stringValue
    let index = PieceIndex(pieces: modelTokens) { byID[$0] != nil }
    var unknownID: TokenID?
    if let unknownToken {
      let id = index.find(unknownToken)
      guard id >= 0 else { throw fail("model.unk_token \(VocabularyValidation.quoted(unknownToken)) is not in the vocabulary") }
      unknownID = id
    }
    var byteIDs = [TokenID](repeating: -1, count: 256)
    for byte in 0..<256 { byteIDs[byte] = index.find(BytePiece.spelling(UInt8(byte))) }

    let prefix = modelObject["continuing_subword_prefix"]?.stringValue
    let suffix = modelObject["end_of_word_suffix"]?.stringValue
    let merges = try parseMerges(modelObject["merges"], index: index, prefix: prefix)
    let model = HFBPEModel(
      tokens: modelTokens, index: index, merges: merges, unknownID: unknownID,
      fuseUnknown: try bool(modelObject["fuse_unk"], "model.fuse_unk", default: false),
      byteFallback: byteFallback,
      ignoreMerges: try bool(modelObject["ignore_merges"], "model.ignore_merges", default: false),
      continuingSubwordPrefix: prefix, endOfWordSuffix: suffix, byteIDs: byteIDs)

    let normalizer = try parseNormalizer(root["normalizer"], "normalizer")
    let preTokenizer = try parsePreTokenizer(root["pre_tokenizer"], "pre_tokenizer")
    let decoder = try parseDecoder(root["decoder"], "decoder")

    // Piece types for listing: special added tokens are CONTROL (the unknown token UNKNOWN),
    // other added tokens USER_DEFINED, <0xNN> BYTE when byte_fallback is on.
    var types = [PieceType](repeating: .normal, count: size)
    if byteFallback {
      for id in byteIDs where id >= 0 { types[Int(id)] = .byte }
    }
    for token in added { types[Int(token.id)] = token.special ? .control : .userDefined }
    if let unknownID { types[Int(unknownID)] = .unknown }
    var trainer = TrainerSpec()
    trainer.modelType = .bpe
    trainer.vocabSize = Int32(size)
    trainer.byteFallback = byteFallback
    trainer.unkID = unknownID ?? -1
    trainer.unkPiece = unknownToken ?? ""
    trainer.bosID = -1
    trainer.eosID = -1
    let finalPieces = pieces.map { $0! }
    if let bos = specialToken("bos_token", pieces: finalPieces) {
      trainer.bosID = bos
      trainer.bosPiece = finalPieces[Int(bos)]
    }
    if let eos = specialToken("eos_token", pieces: finalPieces) {
      trainer.eosID = eos
      trainer.eosPiece = finalPieces[Int(eos)]
    }
    var normalizerSpec = NormalizerSpec()
    normalizerSpec.name = "tokenizers"
    normalizerSpec.addDummyPrefix = false
    normalizerSpec.removeExtraWhitespaces = false
    let vocabulary = Vocabulary(
      pieces: finalPieces, scores: nil, types: types, trainer: trainer, normalizer: normalizerSpec,
      origin: path, sourceKind: "Hugging Face tokenizer.json")

    let summary = [
      "Hugging Face tokenizers (as the tokenizers library applies tokenizer.json)",
      "normalizer \(describe(root["normalizer"]))",
      "pre_tokenizer \(describe(root["pre_tokenizer"]))",
      "BPE with \(merges.count) merges ranked by position",
      "byte_fallback \(byteFallback)",
      added.isEmpty ? "no added tokens" : "added tokens matched in raw text: \(added.filter { !$0.normalized }.map(\.content).joined(separator: " "))",
      "may differ from sentencepiece on special-token literals and on leading or repeated spaces",
    ].joined(separator: "; ")
    return HFTokenizer(
      vocabulary: vocabulary, model: model, normalizer: normalizer, preTokenizer: preTokenizer,
      decoder: decoder, addedTokens: added, summary: summary)
  }

  /// BOS/EOS from tokenizer_config.json beside the file (a string or `{"content": …}`), else
  /// the added tokens `<s>` / `</s>`.
  func specialToken(_ key: String, pieces: [String]) -> TokenID? {
    var name: String?
    if let value = config?[key] {
      name = value.stringValue ?? value["content"]?.stringValue
    }
    let fallback = key == "bos_token" ? "<s>" : "</s>"
    let wanted = name ?? fallback
    guard let id = pieces.firstIndex(where: { $0.utf8.elementsEqual(wanted.utf8) }) else { return nil }
    return TokenID(id)
  }

  func describe(_ value: JSON?) -> String {
    guard let value, !value.isNull else { return "none" }
    let type = value["type"]?.stringValue ?? "?"
    if type == "Sequence" {
      let items = (value["normalizers"] ?? value["pretokenizers"] ?? value["decoders"])?.arrayValue ?? []
      return "Sequence[" + items.map { describe($0) }.joined(separator: ", ") + "]"
    }
    if type == "Metaspace" {
      return "Metaspace(prepend_scheme \(value["prepend_scheme"]?.stringValue ?? "always"), split \(value["split"]?.boolValue ?? true))"
    }
    return type
  }

  /// (left, right, merged) ids in rank order.
  func parseMerges(_ value: JSON?, index: PieceIndex, prefix: String?) throws -> [(TokenID, TokenID, TokenID)] {
    guard let items = value?.arrayValue else {
      throw fail("model.merges is \(value?.kindName ?? "missing"), expected an array")
    }
    var result: [(TokenID, TokenID, TokenID)] = []
    result.reserveCapacity(items.count)
    for (rank, item) in items.enumerated() {
      let a: String
      let b: String
      if let text = item.stringValue {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw fail("merge \(rank) \(VocabularyValidation.quoted(text)) is not two tokens separated by a space") }
        a = String(parts[0])
        b = String(parts[1])
      } else if let pair = item.arrayValue, pair.count == 2, let x = pair[0].stringValue, let y = pair[1].stringValue {
        a = x
        b = y
      } else {
        throw fail("merge \(rank) is \(item.kindName), expected \"a b\" or [\"a\", \"b\"]")
      }
      let aID = index.find(a)
      let bID = index.find(b)
      guard aID >= 0, bID >= 0 else {
        throw fail("merge \(rank) uses a token that is not in the vocabulary: \(VocabularyValidation.quoted(aID < 0 ? a : b))")
      }
      var right = Substring(b)
      if let prefix, right.hasPrefix(prefix) { right = right.dropFirst(prefix.count) }
      let merged = a + right
      let id = index.find(merged)
      guard id >= 0 else {
        throw fail("merge \(rank) makes \(VocabularyValidation.quoted(merged)), which is not in the vocabulary")
      }
      result.append((aID, bID, id))
    }
    return result
  }

  func type(of value: JSON, _ what: String) throws -> String {
    try string(value["type"], "\(what).type")
  }

  func parseNormalizer(_ value: JSON?, _ what: String) throws -> HFNormalizer? {
    guard let value, !value.isNull else { return nil }
    let kind = try type(of: value, what)
    switch kind {
    case "Sequence":
      let items = value["normalizers"]?.arrayValue ?? []
      return .sequence(try items.enumerated().compactMap { try parseNormalizer($1, "\(what).normalizers[\($0)]") })
    case "Prepend":
      return .prepend(try string(value["prepend"], "\(what).prepend"))
    case "Replace":
      let pattern = try object(value["pattern"], "\(what).pattern")
      guard let literal = pattern["String"]?.stringValue else {
        throw TokenizerError.unsupportedComponent(path: path, component: "\(what) pattern", type: "Regex")
      }
      return .replace(pattern: literal, content: try string(value["content"], "\(what).content"))
    default:
      throw TokenizerError.unsupportedComponent(path: path, component: what, type: kind)
    }
  }

  func parsePreTokenizer(_ value: JSON?, _ what: String) throws -> HFPreTokenizer? {
    guard let value, !value.isNull else { return nil }
    let kind = try type(of: value, what)
    switch kind {
    case "Sequence":
      let items = value["pretokenizers"]?.arrayValue ?? []
      return .sequence(try items.enumerated().compactMap { try parsePreTokenizer($1, "\(what).pretokenizers[\($0)]") })
    case "Metaspace":
      return .metaspace(
        replacement: try scalar(value["replacement"], "\(what).replacement"),
        prependScheme: try prependScheme(value, what),
        split: try bool(value["split"], "\(what).split", default: true))
    default:
      throw TokenizerError.unsupportedComponent(path: path, component: what, type: kind)
    }
  }

  /// `prepend_scheme`, or the older `add_prefix_space` flag (true = always, false = never).
  func prependScheme(_ value: JSON, _ what: String) throws -> HFPreTokenizer.PrependScheme {
    if let raw = value["prepend_scheme"]?.stringValue {
      guard let scheme = HFPreTokenizer.PrependScheme(rawValue: raw) else {
        throw fail("\(what).prepend_scheme \(VocabularyValidation.quoted(raw)) is not always, first or never")
      }
      return scheme
    }
    return try bool(value["add_prefix_space"], "\(what).add_prefix_space", default: true) ? .always : .never
  }

  func parseDecoder(_ value: JSON?, _ what: String) throws -> [HFDecoderStep]? {
    guard let value, !value.isNull else { return nil }
    let kind = try type(of: value, what)
    switch kind {
    case "Sequence":
      let items = value["decoders"]?.arrayValue ?? []
      return try items.enumerated().flatMap { try parseDecoder($1, "\(what).decoders[\($0)]") ?? [] }
    case "Replace":
      let pattern = try object(value["pattern"], "\(what).pattern")
      guard let literal = pattern["String"]?.stringValue else {
        throw TokenizerError.unsupportedComponent(path: path, component: "\(what) pattern", type: "Regex")
      }
      return [.replace(pattern: literal, content: try string(value["content"], "\(what).content"))]
    case "ByteFallback":
      return [.byteFallback]
    case "Fuse":
      return [.fuse]
    case "Strip":
      let start = try int(value["start"], "\(what).start")
      let stop = try int(value["stop"], "\(what).stop")
      guard (0...1_000_000).contains(start), (0...1_000_000).contains(stop) else {
        throw fail("\(what) start/stop out of range")
      }
      return [.strip(content: try scalar(value["content"], "\(what).content"), start: Int(start), stop: Int(stop))]
    case "Metaspace":
      return [.metaspace(
        replacement: try scalar(value["replacement"], "\(what).replacement"),
        prependScheme: try prependScheme(value, what))]
    default:
      throw TokenizerError.unsupportedComponent(path: path, component: what, type: kind)
    }
  }
}
