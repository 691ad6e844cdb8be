/// SentencePiece's normalizer (`normalizer.cc`): character mapping through the precompiled
/// charsmap, `remove_extra_whitespaces`, the dummy prefix and `escape_whitespaces` (space →
/// U+2581). USER_DEFINED pieces in the input are passed through unmapped, as sentencepiece's
/// prefix matcher does.
struct SentencePieceNormalizer: Sendable {
  let spec: NormalizerSpec
  let treatWhitespaceAsSuffix: Bool
  let charsmap: PrecompiledCharsMap?
  let userDefined: PrefixMatcher

  static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]  // U+2581 "▁"

  init(spec: NormalizerSpec, treatWhitespaceAsSuffix: Bool, userDefined: PrefixMatcher, origin: String)
    throws
  {
    self.spec = spec
    self.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix
    self.userDefined = userDefined
    charsmap = spec.precompiledCharsmap.isEmpty
      ? nil : try PrecompiledCharsMap(spec.precompiledCharsmap, origin: origin)
  }

  /// Whether normalization is only the dummy prefix and space escaping (identity models).
  var isSimple: Bool { charsmap == nil && !spec.removeExtraWhitespaces }

  /// Normalizes valid UTF-8 `input` into `output` (cleared first).
  func normalize(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
    output.removeAll(keepingCapacity: true)
    let n = input.count
    if n == 0 { return }
    output.reserveCapacity(n * 3 + 6)
    let dummy = spec.addDummyPrefix
    if isSimple {
      if dummy && !treatWhitespaceAsSuffix { appendSpace(&output) }
      if spec.escapeWhitespaces {
        for byte in input {
          if byte == 0x20 { output.append(contentsOf: Self.spaceSymbol) } else { output.append(byte) }
        }
      } else {
        output.append(contentsOf: input)
      }
      if dummy && treatWhitespaceAsSuffix { appendSpace(&output) }
      return
    }

    let removeExtra = spec.removeExtraWhitespaces
    var i = 0
    if removeExtra {
      // Leading input that normalizes to exactly one space is dropped.
      while i < n {
        let (replacement, length) = prefix(input, i)
        guard replacement.count == 1, replacement.first == 0x20 else { break }
        i += length
      }
      if i == n { return }
    }
    if dummy && !treatWhitespaceAsSuffix { appendSpace(&output) }
    var previousIsSpace = removeExtra
    while i < n {
      let (replacement, length) = prefix(input, i)
      var piece = replacement[...]
      while previousIsSpace, piece.first == 0x20 { piece = piece.dropFirst() }
      if let last = piece.last {
        for byte in piece {
          if byte == 0x20 && spec.escapeWhitespaces {
            output.append(contentsOf: Self.spaceSymbol)
          } else {
            output.append(byte)
          }
        }
        previousIsSpace = last == 0x20
      }
      i += length
      if !removeExtra { previousIsSpace = false }
    }
    if removeExtra {
      let space: [UInt8] = spec.escapeWhitespaces ? Self.spaceSymbol : [0x20]
      while output.count >= space.count, Array(output.suffix(space.count)) == space {
        output.removeLast(space.count)
      }
    }
    if dummy && treatWhitespaceAsSuffix { appendSpace(&output) }
  }

  private func appendSpace(_ output: inout [UInt8]) {
    if spec.escapeWhitespaces { output.append(contentsOf: Self.spaceSymbol) } else { output.append(0x20) }
  }

  /// sentencepiece's `NormalizePrefix`: the replacement for the longest rule at `start` and the
  /// input bytes it consumes. A USER_DEFINED piece is kept as is; no rule copies one character.
  private func prefix(_ input: UnsafeBufferPointer<UInt8>, _ start: Int) -> ([UInt8], Int) {
    let n = input.count
    let user = userDefined.longestMatch(input, from: start, to: n)
    if user > 0 { return (Array(input[start..<(start + user)]), user) }
    if let charsmap, let match = charsmap.longestMatch(input, from: start, to: n) {
      return (Array(charsmap.replacementBytes(at: match.replacement)), match.length)
    }
    let length = min(utf8SequenceLength(input[start]), n - start)
    return (Array(input[start..<(start + length)]), length)
  }
}
