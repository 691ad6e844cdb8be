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

  /// Normalizes valid UTF-8 `input`.
  func normalize(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    let n = input.count
    if n == 0 { return [] }
    let dummy = spec.addDummyPrefix
    if isSimple {
      // Dummy prefix and space escaping only: the size is known, write it in one pass.
      var spaces = 0
      for byte in input where byte == 0x20 { spaces &+= 1 }
      let escape = spec.escapeWhitespaces
      let space = escape ? 3 : 1
      let size = n + (escape ? 2 * spaces : 0) + (dummy ? space : 0)
      return [UInt8](unsafeUninitializedCapacity: size) { out, initialized in
        var k = 0
        @inline(__always) func putSpace() {
          if escape {
            out[k] = 0xE2
            out[k + 1] = 0x96
            out[k + 2] = 0x81
            k += 3
          } else {
            out[k] = 0x20
            k += 1
          }
        }
        if dummy && !treatWhitespaceAsSuffix { putSpace() }
        for byte in input {
          if byte == 0x20 {
            putSpace()
          } else {
            out[k] = byte
            k += 1
          }
        }
        if dummy && treatWhitespaceAsSuffix { putSpace() }
        initialized = k
      }
    }
    var output: [UInt8] = []
    output.reserveCapacity(n * 3 + 6)
    let removeExtra = spec.removeExtraWhitespaces
    var i = 0
    if removeExtra {
      // Leading input that normalizes to exactly one space is dropped.
      while i < n {
        let (replacement, length) = prefix(input, i)
        guard replacement.count == 1, replacement.first == 0x20 else { break }
        i += length
      }
      if i == n { return [] }
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
    return output
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
