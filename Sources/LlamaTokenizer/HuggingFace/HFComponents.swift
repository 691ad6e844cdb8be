import LlamaIO

// The tokenizer.json components LlamaKit applies, each as the `tokenizers` library defines it.
// Only what SentencePiece-style BPE files (Llama, Mistral, … converted by transformers) use is
// implemented; any other component type is refused by name when the file is loaded.

/// `normalizer`.
enum HFNormalizer: Sendable {
  case sequence([HFNormalizer])
  /// Prepends the text to a non-empty string.
  case prepend(String)
  /// Replaces every occurrence of a literal pattern.
  case replace(pattern: String, content: String)

  func apply(_ text: String) -> String {
    switch self {
    case .sequence(let steps): return steps.reduce(text) { $1.apply($0) }
    case .prepend(let prefix): return text.isEmpty ? text : prefix + text
    case .replace(let pattern, let content): return text.replacingAll(pattern, with: content)
    }
  }
}

/// `pre_tokenizer`.
enum HFPreTokenizer: Sendable {
  enum PrependScheme: String, Sendable {
    case always, first, never
  }
  case sequence([HFPreTokenizer])
  /// Spaces become `replacement`; the replacement is prepended per `prependScheme`; with
  /// `split`, the text is split before every replacement character.
  case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)

  /// Pre-tokenizes splits; `atStart` tells whether a split begins at the start of the original
  /// text (what `prepend_scheme: first` checks).
  func apply(_ pieces: [(text: String, atStart: Bool)]) -> [(text: String, atStart: Bool)] {
    switch self {
    case .sequence(let steps):
      return steps.reduce(pieces) { $1.apply($0) }
    case .metaspace(let replacement, let scheme, let split):
      let symbol = String(replacement)
      var result: [(String, Bool)] = []
      for (text, atStart) in pieces {
        var replaced = text.replacingAll(" ", with: symbol)
        let prepend: Bool
        switch scheme {
        case .always: prepend = replaced.unicodeScalars.first != replacement
        case .first: prepend = replaced.unicodeScalars.first != replacement && atStart
        case .never: prepend = false
        }
        if prepend { replaced = symbol + replaced }
        if split {
          // Split before every replacement character, keeping it with what follows.
          var current = String.UnicodeScalarView()
          var first = true
          for scalar in replaced.unicodeScalars {
            if scalar == replacement && !current.isEmpty {
              result.append((String(current), atStart && first))
              first = false
              current = String.UnicodeScalarView()
            }
            current.append(scalar)
          }
          if !current.isEmpty { result.append((String(current), atStart && first)) }
        } else {
          result.append((replaced, atStart))
        }
      }
      return result
    }
  }
}

/// One step of `decoder`; steps map a list of token strings to a list of strings.
enum HFDecoderStep: Sendable {
  case replace(pattern: String, content: String)
  /// Runs of `<0xNN>` tokens become the UTF-8 text they spell, or one U+FFFD per byte when
  /// the run is not valid UTF-8 as a whole.
  case byteFallback
  /// Joins all tokens into one.
  case fuse
  /// Removes up to `start` leading and `stop` trailing occurrences of `content` per token.
  case strip(content: Unicode.Scalar, start: Int, stop: Int)
  /// Replacement → space; the first token loses a leading one unless the scheme is `never`.
  case metaspace(replacement: Unicode.Scalar, prependScheme: HFPreTokenizer.PrependScheme)

  func apply(_ tokens: [String]) -> [String] {
    switch self {
    case .replace(let pattern, let content):
      return tokens.map { $0.replacingAll(pattern, with: content) }
    case .byteFallback:
      var result: [String] = []
      var pending: [UInt8] = []
      func flush() {
        guard !pending.isEmpty else { return }
        if let text = String(validating: pending, as: UTF8.self) {
          result.append(text)
        } else {
          result.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
        }
        pending.removeAll()
      }
      for token in tokens {
        if let byte = HFDecoderStep.byteValue(token) {
          pending.append(byte)
        } else {
          flush()
          result.append(token)
        }
      }
      flush()
      return result
    case .fuse:
      return [tokens.joined()]
    case .strip(let content, let start, let stop):
      return tokens.map { token in
        var scalars = Substring(token).unicodeScalars[...]
        var removed = 0
        while removed < start, scalars.first == content {
          scalars = scalars.dropFirst()
          removed += 1
        }
        removed = 0
        while removed < stop, scalars.last == content {
          scalars = scalars.dropLast()
          removed += 1
        }
        return String(String.UnicodeScalarView(scalars))
      }
    case .metaspace(let replacement, let scheme):
      // As tokenizers does it: in the first token every replacement character is dropped
      // (unless the scheme is `never`); elsewhere each becomes a space.
      return tokens.enumerated().map { index, token in
        let dropsReplacement = index == 0 && scheme != .never
        var out = String.UnicodeScalarView()
        for scalar in token.unicodeScalars {
          if scalar == replacement {
            if !dropsReplacement { out.append(" ") }
          } else {
            out.append(scalar)
          }
        }
        return String(out)
      }
    }
  }

  /// `<0xNN>` with hex digits in either case (tokenizers parses with `from_str_radix`).
  static func byteValue(_ token: String) -> UInt8? {
    let u = Array(token.utf8)
    guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
    return UInt8(String(decoding: u[3...4], as: UTF8.self), radix: 16)
  }
}

/// An entry of `added_tokens`.
struct HFAddedToken: Sendable {
  var id: TokenID
  var content: String
  var singleWord: Bool
  var lstrip: Bool
  var rstrip: Bool
  var normalized: Bool
  var special: Bool
}

extension String {
  /// Every non-overlapping occurrence of `pattern`, left to right, replaced by `replacement`
  /// (Python's `str.replace`: compared by UTF-8 bytes, which for whole characters is the same
  /// as by code points).
  public func replacingAll(_ pattern: String, with replacement: String) -> String {
    guard !pattern.isEmpty else { return self }
    let source = Array(utf8)
    let needle = Array(pattern.utf8)
    guard source.count >= needle.count else { return self }
    var output: [UInt8] = []
    output.reserveCapacity(source.count)
    var i = 0
    var changed = false
    while i < source.count {
      if source[i] == needle[0], i + needle.count <= source.count,
        source[i..<(i + needle.count)].elementsEqual(needle)
      {
        output.append(contentsOf: replacement.utf8)
        i += needle.count
        changed = true
      } else {
        output.append(source[i])
        i += 1
      }
    }
    return changed ? String(decoding: output, as: UTF8.self) : self
  }
}
