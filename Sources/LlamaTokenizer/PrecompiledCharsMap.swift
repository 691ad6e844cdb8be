/// SentencePiece's compiled normalization rules (`NormalizerSpec.precompiled_charsmap`): a
/// darts-clone double-array trie over input UTF-8 strings, whose leaves point into a pool of
/// NUL-terminated replacement strings. No Unicode tables are needed to apply it.
///
/// Blob layout: `u32 trie_bytes` (LE), the trie as `trie_bytes / 4` LE u32 units, then the pool.
struct PrecompiledCharsMap: Sendable {
  /// Double-array units: `[trieBytes / 4]`.
  private let units: [UInt32]
  /// Replacement strings, each NUL-terminated, addressed by byte offset: `[poolBytes]`.
  private let pool: [UInt8]

  init(_ blob: [UInt8], origin: String) throws {
    func fail(_ detail: String) -> TokenizerError {
      .malformed(path: origin, detail: "precompiled_charsmap: \(detail)")
    }
    guard blob.count > 4 else { throw fail("shorter than its header (\(blob.count) bytes)") }
    let trieBytes = Int(UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24)
    guard trieBytes <= blob.count - 4 else {
      throw fail("trie size \(trieBytes) exceeds the blob (\(blob.count - 4) bytes)")
    }
    guard trieBytes >= 4, trieBytes % 4 == 0 else { throw fail("trie size \(trieBytes) is not a positive multiple of 4") }
    var units = [UInt32](repeating: 0, count: trieBytes / 4)
    for i in 0..<units.count {
      let o = 4 + i * 4
      units[i] = UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16 | UInt32(blob[o + 3]) << 24
    }
    self.units = units
    self.pool = Array(blob[(4 + trieBytes)...])
  }

  @inline(__always) private static func label(_ unit: UInt32) -> UInt32 { unit & 0x8000_00FF }
  @inline(__always) private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
  @inline(__always) private static func offset(_ unit: UInt32) -> Int {
    Int((unit >> 10) << ((unit & 0x200) >> 6))
  }

  /// The longest rule matching a prefix of `text[start..<end]`: its length in input bytes and
  /// the replacement's location in the pool. Indices that fall outside the trie end the search
  /// (a corrupt table cannot read out of bounds).
  func longestMatch(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int)
    -> (length: Int, replacement: Int)?
  {
    var best: (Int, Int)?
    let count = units.count
    return units.withUnsafeBufferPointer { units in
      var node = Self.offset(units[0])
      var i = start
      while i < end {
        let byte = text[i]
        if byte == 0 { break }
        node ^= Int(byte)
        guard node < count else { break }
        let unit = units[node]
        if Self.label(unit) != UInt32(byte) { break }
        node ^= Self.offset(unit)
        guard node < count else { break }
        i += 1
        if Self.hasLeaf(unit) {
          best = (i - start, Int(units[node] & 0x7FFF_FFFF))
        }
      }
      return best
    }
  }

  /// The replacement string at `position` in the pool, up to its NUL or the pool's end; an
  /// out-of-range position gives an empty replacement.
  func replacementBytes(at position: Int) -> ArraySlice<UInt8> {
    guard position < pool.count else { return [] }
    var i = position
    while i < pool.count, pool[i] != 0 { i += 1 }
    return pool[position..<i]
  }
}
