/// Tables that let the BPE loop work on piece ids instead of byte strings: the merge candidate
/// of two adjacent symbols is looked up by the pair of their ids.
///
/// A symbol is either a merge result (always a mergeable piece) or one character of the input.
/// Characters that are not pieces themselves but occur inside a multi-character piece get a
/// synthetic id at or above the vocabulary size, so every pair of symbols whose concatenation is
/// a mergeable piece is in `pairs`, and the lookup is exact for any vocabulary. A synthetic id
/// left over after merging is an unknown symbol, like a character with no id at all.
struct IdMergeTables: Sendable {
  /// (left id, right id) → (merged id, merged score), for every split of every mergeable piece
  /// into two symbols.
  let pairs: IntegerTable
  /// Id of each ASCII character, -1 if it is neither a piece nor inside one: `[128]`.
  let asciiIDs: [Int32]
  /// Code point → id (real or synthetic) for non-ASCII characters.
  let characterIDs: IntegerTable
  /// Pairs of character ids (a, b) such that "ab" occurs in some mergeable piece: where a
  /// pair is not listed, no merge can join the two characters and the text is cut there.
  /// A character without an id occurs in no longer piece, so it is never joined.
  let adjacent: IntegerTable
  /// The same for two ASCII characters, by code: `[128 * 128]`.
  let asciiAdjacent: [Bool]

  init(pieces: [String], scores: [Float], mergeable: PieceIndex, isMergeable: (Int) -> Bool) {
    var ids: [UInt32: Int32] = [:]
    var ascii = [Int32](repeating: -1, count: 128)
    // Characters that are pieces.
    for (id, piece) in pieces.enumerated() where isMergeable(id) {
      let scalars = piece.unicodeScalars
      if scalars.count == 1 { ids[scalars.first!.value] = Int32(id) }
    }
    // Characters inside longer pieces that are not pieces: synthetic ids.
    var nextSynthetic = Int32(pieces.count)
    for (id, piece) in pieces.enumerated() where isMergeable(id) && piece.unicodeScalars.count > 1 {
      for scalar in piece.unicodeScalars where ids[scalar.value] == nil {
        ids[scalar.value] = nextSynthetic
        nextSynthetic += 1
      }
    }
    var characters: [(key: UInt64, id: Int32, score: Float)] = []
    for (value, id) in ids {
      if value < 128 { ascii[Int(value)] = id } else { characters.append((UInt64(value), id, 0)) }
    }

    /// The symbol id of `bytes`: a mergeable piece, or a single character's (synthetic) id.
    func symbolID(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
      let id = mergeable.find(bytes.baseAddress!, bytes.count)
      if id >= 0 { return id }
      guard utf8SequenceLength(bytes[0]) == bytes.count,
        let scalar = String(decoding: bytes, as: UTF8.self).unicodeScalars.first
      else { return -1 }
      return ids[scalar.value] ?? -1
    }

    var asciiPairs = [Bool](repeating: false, count: 128 * 128)
    var adjacentPairs = Set<UInt64>()
    for (id, piece) in pieces.enumerated() where isMergeable(id) && piece.unicodeScalars.count > 1 {
      var previous: UInt32?
      for scalar in piece.unicodeScalars {
        if let a = previous {
          if a < 128 && scalar.value < 128 { asciiPairs[Int(a) * 128 + Int(scalar.value)] = true }
          adjacentPairs.insert(IntegerTable.pairKey(ids[a]!, ids[scalar.value]!))
        }
        previous = scalar.value
      }
    }
    asciiAdjacent = asciiPairs
    adjacent = IntegerTable(adjacentPairs.map { ($0, 0, 0) })

    var entries: [(key: UInt64, id: Int32, score: Float)] = []
    for (id, piece) in pieces.enumerated() where isMergeable(id) && piece.unicodeScalars.count > 1 {
      Array(piece.utf8).withUnsafeBufferPointer { b in
        var k = utf8SequenceLength(b[0])
        while k < b.count {
          let left = symbolID(UnsafeBufferPointer(rebasing: b[0..<k]))
          let right = symbolID(UnsafeBufferPointer(rebasing: b[k...]))
          if left >= 0 && right >= 0 {
            entries.append((IntegerTable.pairKey(left, right), Int32(id), scores[id]))
          }
          k += utf8SequenceLength(b[k])
        }
      }
    }
    pairs = IntegerTable(entries)
    asciiIDs = ascii
    characterIDs = IntegerTable(characters)
  }

  /// Whether characters with ids `a` and `b` (-1: none) are adjacent in some piece.
  @inline(__always)
  func joins(_ a: Int32, _ b: Int32) -> Bool {
    a >= 0 && b >= 0 && adjacent.find(IntegerTable.pairKey(a, b)) != nil
  }

  /// The id of the character starting at `text[i]` (of `length` bytes), or -1.
  @inline(__always)
  func characterID(_ text: UnsafeBufferPointer<UInt8>, _ i: Int, _ length: Int) -> Int32 {
    let lead = text[i]
    if lead < 0x80 { return asciiIDs[Int(lead)] }
    var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
    var k = 1
    while k < length {
      value = value << 6 | UInt32(text[i + k] & 0x3F)
      k += 1
    }
    return characterIDs.find(UInt64(value))?.id ?? -1
  }
}
