/// A Hugging Face `tokenizer.json` applied the way the `tokenizers` library applies it:
/// added tokens are cut out of the raw text first (leftmost-longest), the rest is normalized,
/// pre-tokenized and run through the BPE model; decoding runs the file's decoder chain. This is
/// not always sentencepiece's behaviour (special-token literals match, and files written by
/// transformers 5 treat leading and repeated spaces differently).
public final class HFTokenizer: Tokenizer, @unchecked Sendable {
  public let vocabulary: Vocabulary
  let model: HFBPEModel
  let normalizer: HFNormalizer?
  let preTokenizer: HFPreTokenizer?
  /// nil: tokens are joined with spaces, as tokenizers does without a decoder.
  let decoder: [HFDecoderStep]?
  let addedTokens: [HFAddedToken]
  /// Added tokens matched in the raw text, and (patterns already normalized) in normalized text.
  let rawMatcher: AddedTokenMatcher
  let normalizedMatcher: AddedTokenMatcher
  /// Added token by id.
  let addedByID: [TokenID: HFAddedToken]
  /// What `behaviour` prints.
  let summary: String

  init(
    vocabulary: Vocabulary, model: HFBPEModel, normalizer: HFNormalizer?,
    preTokenizer: HFPreTokenizer?, decoder: [HFDecoderStep]?, addedTokens: [HFAddedToken],
    summary: String
  ) {
    self.vocabulary = vocabulary
    self.model = model
    self.normalizer = normalizer
    self.preTokenizer = preTokenizer
    self.decoder = decoder
    self.addedTokens = addedTokens
    self.summary = summary
    var byID: [TokenID: HFAddedToken] = [:]
    for token in addedTokens { byID[token.id] = token }
    addedByID = byID
    rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized })
    normalizedMatcher = AddedTokenMatcher(
      addedTokens.filter(\.normalized).map { token in
        var token = token
        token.content = normalizer?.apply(token.content) ?? token.content
        return token
      })
  }

  public var behaviour: String { summary }

  public func encode(_ text: String) -> [TokenID] {
    // tokenizers drops empty splits at every stage, so "" encodes to nothing.
    var output: [TokenID] = []
    for split in rawMatcher.split(text) where !split.text.isEmpty {
      if let id = split.token {
        output.append(id)
        continue
      }
      let normalized = normalizer?.apply(split.text) ?? split.text
      for sub in normalizedMatcher.split(normalized) where !sub.text.isEmpty {
        if let id = sub.token {
          output.append(id)
          continue
        }
        let atStart = split.start == 0 && sub.start == 0
        var pieces = [(text: sub.text, atStart: atStart)]
        if let preTokenizer { pieces = preTokenizer.apply(pieces) }
        for piece in pieces where !piece.text.isEmpty { model.tokenize(piece.text, into: &output) }
      }
    }
    return output
  }

  /// Decodes as `tokenizers`' `decode(ids, skip_special_tokens=True)` (its default): special
  /// added tokens are skipped, the rest go through the decoder chain.
  public func decode(_ ids: [TokenID]) throws -> String {
    try decode(ids, skipSpecialTokens: true)
  }

  public func decode(_ ids: [TokenID], skipSpecialTokens: Bool) throws -> String {
    try checkRange(ids)
    var tokens: [String] = []
    tokens.reserveCapacity(ids.count)
    for id in ids {
      if let added = addedByID[id] {
        if skipSpecialTokens && added.special { continue }
        tokens.append(added.content)
      } else {
        tokens.append(model.tokens[Int(id)])
      }
    }
    guard let decoder else { return tokens.joined(separator: " ") }
    return decoder.reduce(tokens) { $1.apply($0) }.joined()
  }
}

/// Finds added tokens in text the way tokenizers' `AddedVocabulary::find_matches` does: the
/// leftmost match, longest among those starting there, then non-overlapping after it, with the
/// `single_word`, `lstrip` and `rstrip` options.
struct AddedTokenMatcher: Sendable {
  struct Split {
    var text: String
    /// Byte offset of the split in the text that was split.
    var start: Int
    var token: TokenID?
  }

  private let tokens: [HFAddedToken]
  /// Pattern bytes per token: `[tokens]`.
  private let patterns: [[UInt8]]
  /// Tokens whose pattern starts with a byte: `[256]`.
  private let byFirstByte: [[Int]]

  init(_ tokens: [HFAddedToken]) {
    let kept = tokens.filter { !$0.content.isEmpty }
    self.tokens = kept
    patterns = kept.map { Array($0.content.utf8) }
    var table = [[Int]](repeating: [], count: 256)
    for (i, pattern) in patterns.enumerated() { table[Int(pattern[0])].append(i) }
    byFirstByte = table
  }

  func split(_ text: String) -> [Split] {
    let bytes = Array(text.utf8)
    guard !tokens.isEmpty, !bytes.isEmpty else { return [Split(text: text, start: 0, token: nil)] }
    var splits: [Split] = []
    var splitStart = 0
    var searchFrom = 0
    func slice(_ a: Int, _ b: Int) -> String { String(decoding: bytes[a..<b], as: UTF8.self) }
    while let (matchStart, matchEnd, index) = nextMatch(bytes, from: searchFrom) {
      searchFrom = matchEnd
      let token = tokens[index]
      var start = matchStart
      var stop = matchEnd
      if token.singleWord {
        let startOK = start == 0 || !endsWithWordCharacter(bytes, before: start)
        let stopOK = stop == bytes.count || !startsWithWordCharacter(bytes, at: stop)
        if !startOK || !stopOK { continue }
      }
      if token.lstrip { start = max(leadingWhitespaceStart(bytes, before: start), splitStart) }
      if token.rstrip { stop = trailingWhitespaceEnd(bytes, from: stop) }
      if splitStart < start { splits.append(Split(text: slice(splitStart, start), start: splitStart, token: nil)) }
      splits.append(Split(text: slice(start, stop), start: start, token: token.id))
      splitStart = stop
    }
    if splitStart != bytes.count {
      splits.append(Split(text: slice(splitStart, bytes.count), start: splitStart, token: nil))
    }
    return splits
  }

  /// The leftmost match at or after `from` (longest there), matching only at character starts.
  private func nextMatch(_ bytes: [UInt8], from: Int) -> (Int, Int, Int)? {
    var i = from
    while i < bytes.count {
      var best: (Int, Int)?
      for candidate in byFirstByte[Int(bytes[i])] {
        let pattern = patterns[candidate]
        guard i + pattern.count <= bytes.count, bytes[i..<(i + pattern.count)].elementsEqual(pattern)
        else { continue }
        if best == nil || pattern.count > best!.1 { best = (candidate, pattern.count) }
      }
      if let best { return (i, i + best.1, best.0) }
      i += 1
    }
    return nil
  }

  private func scalar(endingBefore end: Int, in bytes: [UInt8]) -> Unicode.Scalar? {
    var start = end - 1
    while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
    return String(decoding: bytes[start..<end], as: UTF8.self).unicodeScalars.first
  }

  private func scalar(startingAt start: Int, in bytes: [UInt8]) -> Unicode.Scalar? {
    let length = min(utf8SequenceLength(bytes[start]), bytes.count - start)
    return String(decoding: bytes[start..<(start + length)], as: UTF8.self).unicodeScalars.first
  }

  private func endsWithWordCharacter(_ bytes: [UInt8], before end: Int) -> Bool {
    scalar(endingBefore: end, in: bytes).map(isWordCharacter) ?? false
  }

  private func startsWithWordCharacter(_ bytes: [UInt8], at start: Int) -> Bool {
    scalar(startingAt: start, in: bytes).map(isWordCharacter) ?? false
  }

  /// Start of the run of whitespace that ends at `end`.
  private func leadingWhitespaceStart(_ bytes: [UInt8], before end: Int) -> Int {
    var position = end
    while position > 0, let s = scalar(endingBefore: position, in: bytes), s.properties.isWhitespace {
      position -= s.utf8.count
    }
    return position
  }

  /// End of the run of whitespace that starts at `start`.
  private func trailingWhitespaceEnd(_ bytes: [UInt8], from start: Int) -> Int {
    var position = start
    while position < bytes.count, let s = scalar(startingAt: position, in: bytes), s.properties.isWhitespace {
      position += s.utf8.count
    }
    return position
  }

  /// Rust regex `\w`: alphabetic, decimal digit, mark, connector punctuation or join control.
  private func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
    let p = s.properties
    if p.isAlphabetic || p.isJoinControl { return true }
    switch p.generalCategory {
    case .decimalNumber, .nonspacingMark, .spacingMark, .enclosingMark, .connectorPunctuation:
      return true
    default:
      return false
    }
  }
}
