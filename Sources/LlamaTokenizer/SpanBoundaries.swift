/// Where the normalized text can be cut into spans that are merged independently: between two
/// characters that are adjacent in no mergeable piece. No merge (and no USER_DEFINED match) can
/// then cross the cut, so merging the spans one by one gives exactly what merging the whole text
/// gives — and repeated spans (words) can be cached. Not used when the vocabulary has
/// multi-character UNUSED pieces, whose resegmentation in sentencepiece depends on the whole
/// text.
struct SpanBoundaries: Sendable {
  /// ASCII pairs (a * 128 + b) adjacent in some piece: `[128 * 128]`.
  private let asciiPairs: [Bool]
  /// Other adjacent pairs of code points (a << 32 | b).
  private let pairs: IntegerTable

  init(pieces: [String], isMergeable: (Int) -> Bool) {
    var ascii = [Bool](repeating: false, count: 128 * 128)
    var entries: [(key: UInt64, id: Int32, score: Float)] = []
    var seen = Set<UInt64>()
    for (id, piece) in pieces.enumerated() where isMergeable(id) {
      var previous: UInt32?
      for scalar in piece.unicodeScalars {
        let value = scalar.value
        if let a = previous {
          if a < 128 && value < 128 {
            ascii[Int(a) * 128 + Int(value)] = true
          } else {
            let key = UInt64(a) << 32 | UInt64(value)
            if seen.insert(key).inserted { entries.append((key, 0, 0)) }
          }
        }
        previous = value
      }
    }
    asciiPairs = ascii
    pairs = IntegerTable(entries)
  }

  /// Whether characters `a` and `b` are adjacent in some piece (so a merge may join them).
  @inline(__always)
  func joins(_ a: UInt32, _ b: UInt32) -> Bool {
    if a < 128 && b < 128 { return asciiPairs[Int(a) &* 128 &+ Int(b)] }
    return pairs.find(UInt64(a) << 32 | UInt64(b)) != nil
  }

  /// Calls `body` with consecutive spans of `text` (valid UTF-8) that no merge can cross.
  @inline(__always)
  func forEachSpan(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
    let n = text.count
    guard n > 0 else { return }
    var spanStart = 0
    var previous: UInt32 = 0
    var i = 0
    while i < n {
      let lead = text[i]
      var value = UInt32(lead)
      var length = 1
      if lead >= 0x80 {
        length = min(utf8SequenceLength(lead), n - i)
        value &= length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07
        var k = 1
        while k < length {
          value = value << 6 | UInt32(text[i + k] & 0x3F)
          k += 1
        }
      }
      if i > spanStart && !joins(previous, value) {
        body(spanStart, i)
        spanStart = i
      }
      previous = value
      i += length
    }
    body(spanStart, n)
  }
}
