/// The `BPE` model of the `tokenizers` library (`models/bpe/model.rs`, `word.rs`): each
/// pre-token is split into characters (unknown ones become byte tokens with `byte_fallback`,
/// else `unk`), then merged by rank — lowest rank first, leftmost among equal ranks — using
/// the pair table built from `merges`.
struct HFBPEModel: Sendable {
  /// Token text by id: `[vocab size]` (ids without a model token are empty).
  let tokens: [String]
  let index: PieceIndex
  /// (left id, right id) → (merged id, rank in the score's bit pattern).
  let merges: IntegerTable
  let unknownID: TokenID?
  let fuseUnknown: Bool
  let byteFallback: Bool
  let ignoreMerges: Bool
  let continuingSubwordPrefix: String?
  let endOfWordSuffix: String?
  /// Id of `<0xNN>` for each byte, -1 if absent: `[256]`.
  let byteIDs: [TokenID]
  /// Id of each single-character token: ASCII `[128]`, others by code point.
  let asciiIDs: [TokenID]
  let characterIDs: IntegerTable

  /// `merges` as (left, right) token pairs in rank order.
  init(
    tokens: [String], index: PieceIndex, merges: [(TokenID, TokenID, TokenID)], unknownID: TokenID?,
    fuseUnknown: Bool, byteFallback: Bool, ignoreMerges: Bool, continuingSubwordPrefix: String?,
    endOfWordSuffix: String?, byteIDs: [TokenID]
  ) {
    self.tokens = tokens
    self.index = index
    // tokenizers collects merges into a map where a repeated pair keeps its last rank; the
    // table keeps the first entry per key, so entries go in from the end.
    var entries: [(key: UInt64, id: Int32, score: Float)] = []
    entries.reserveCapacity(merges.count)
    for (rank, merge) in merges.enumerated().reversed() {
      entries.append((IntegerTable.pairKey(merge.0, merge.1), merge.2, Float(bitPattern: UInt32(rank))))
    }
    self.merges = IntegerTable(entries)
    self.unknownID = unknownID
    self.fuseUnknown = fuseUnknown
    self.byteFallback = byteFallback
    self.ignoreMerges = ignoreMerges
    self.continuingSubwordPrefix = continuingSubwordPrefix
    self.endOfWordSuffix = endOfWordSuffix
    self.byteIDs = byteIDs
    var ascii = [TokenID](repeating: -1, count: 128)
    var characters: [(key: UInt64, id: Int32, score: Float)] = []
    for (id, token) in tokens.enumerated() where token.unicodeScalars.count == 1 && index.find(token) == Int32(id) {
      let value = token.unicodeScalars.first!.value
      if value < 128 { ascii[Int(value)] = Int32(id) } else { characters.append((UInt64(value), Int32(id), 0)) }
    }
    asciiIDs = ascii
    characterIDs = IntegerTable(characters)
  }

  /// Appends the ids of one pre-token.
  func tokenize(_ word: String, into output: inout [TokenID]) {
    if word.isEmpty { return }
    if ignoreMerges {
      let id = index.find(word)
      if id >= 0 {
        output.append(id)
        return
      }
    }
    var symbols: [TokenID] = []
    symbols.reserveCapacity(word.utf8.count)
    var pendingUnknown = false
    let plain = continuingSubwordPrefix == nil && endOfWordSuffix == nil
    let scalars = word.unicodeScalars
    var position = 0
    let last = scalars.count - 1
    for scalar in scalars {
      defer { position += 1 }
      let id: TokenID
      var text = ""
      if plain {
        let value = scalar.value
        id = value < 128 ? asciiIDs[Int(value)] : (characterIDs.id(UInt64(value)) ?? -1)
      } else {
        text = String(scalar)
        if position > 0, let prefix = continuingSubwordPrefix { text = prefix + text }
        if position == last, let suffix = endOfWordSuffix { text += suffix }
        id = index.find(text)
      }
      if id >= 0 {
        if pendingUnknown, let unknownID {
          symbols.append(unknownID)
          pendingUnknown = false
        }
        symbols.append(id)
        continue
      }
      if byteFallback {
        let bytes = plain ? Array(String(scalar).utf8) : Array(text.utf8)
        if bytes.allSatisfy({ byteIDs[Int($0)] >= 0 }) {
          // tokenizers adds the byte tokens without flushing a pending <unk> first.
          for byte in bytes { symbols.append(byteIDs[Int(byte)]) }
          continue
        }
      }
      if let unknownID {
        if pendingUnknown && !fuseUnknown { symbols.append(unknownID) }
        pendingUnknown = true
      }
    }
    if pendingUnknown, let unknownID { symbols.append(unknownID) }
    mergeAll(&symbols)
    output.append(contentsOf: symbols)
  }

  private struct Merge {
    var rank: UInt32
    var position: Int32
    var id: TokenID
  }

  /// Lower rank first, then lower position (tokenizers' `Merge` ordering).
  @inline(__always)
  private static func precedes(_ a: Merge, _ b: Merge) -> Bool {
    a.rank < b.rank || (a.rank == b.rank && a.position < b.position)
  }

  @inline(__always)
  private func pair(_ a: TokenID, _ b: TokenID) -> (rank: UInt32, id: TokenID)? {
    guard let slot = merges.find(IntegerTable.pairKey(a, b)) else { return nil }
    return (slot.score.bitPattern, slot.id)
  }

  /// `Word::merge_all` without dropout.
  private func mergeAll(_ symbols: inout [TokenID]) {
    let count = symbols.count
    guard count > 1 else { return }
    var removed = [Bool](repeating: false, count: count)
    var previous = Array(-1..<Int32(count - 1))
    var next = Array(1...Int32(count))
    next[count - 1] = -1
    var heap: [Merge] = []
    heap.reserveCapacity(count)
    func push(_ m: Merge) {
      heap.append(m)
      var child = heap.count - 1
      while child > 0 {
        let parent = (child - 1) >> 1
        guard Self.precedes(m, heap[parent]) else { break }
        heap[child] = heap[parent]
        child = parent
      }
      heap[child] = m
    }
    func pop() -> Merge? {
      guard let last = heap.popLast() else { return nil }
      guard !heap.isEmpty else { return last }
      let top = heap[0]
      var parent = 0
      while true {
        var best = 2 * parent + 1
        if best >= heap.count { break }
        if best + 1 < heap.count && Self.precedes(heap[best + 1], heap[best]) { best += 1 }
        guard Self.precedes(heap[best], last) else { break }
        heap[parent] = heap[best]
        parent = best
      }
      heap[parent] = last
      return top
    }
    for i in 0..<(count - 1) {
      if let m = pair(symbols[i], symbols[i + 1]) {
        push(Merge(rank: m.rank, position: Int32(i), id: m.id))
      }
    }
    while let top = pop() {
      let position = Int(top.position)
      if removed[position] { continue }
      let right = next[position]
      if right < 0 { continue }
      // An entry is current only if the pair there still merges into the same token.
      guard let current = pair(symbols[position], symbols[Int(right)]), current.id == top.id else {
        continue
      }
      symbols[position] = top.id
      removed[Int(right)] = true
      let after = next[Int(right)]
      next[position] = after
      if after >= 0 { previous[Int(after)] = Int32(position) }
      let before = previous[position]
      if before >= 0, let m = pair(symbols[Int(before)], top.id) {
        push(Merge(rank: m.rank, position: before, id: m.id))
      }
      if after >= 0, let m = pair(top.id, symbols[Int(after)]) {
        push(Merge(rank: m.rank, position: Int32(position), id: m.id))
      }
    }
    var result: [TokenID] = []
    result.reserveCapacity(count)
    for i in 0..<count where !removed[i] { result.append(symbols[i]) }
    symbols = result
  }
}
