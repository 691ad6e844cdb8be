/// The `BPE` model of the `tokenizers` library (`models/bpe/model.rs`, `word.rs`): each
/// pre-token is split into characters (unknown ones become byte tokens with `byte_fallback`,
/// else `unk`), then merged by rank — lowest rank first, leftmost among equal ranks — using
/// the pair table built from `merges`.
struct HFBPEModel: Sendable {
  /// Token text by id: `[vocab size]` (ids without a model token are empty).
  let tokens: [String]
  let index: PieceIndex
  /// (left id << 32 | right id) → (rank, merged id). Later duplicates win, as in tokenizers.
  let merges: [UInt64: (rank: Int32, id: TokenID)]
  let unknownID: TokenID?
  let fuseUnknown: Bool
  let byteFallback: Bool
  let ignoreMerges: Bool
  let continuingSubwordPrefix: String?
  let endOfWordSuffix: String?
  /// Id of `<0xNN>` for each byte, -1 if absent: `[256]`.
  let byteIDs: [TokenID]

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
    var pendingUnknown = false
    let scalars = Array(word.unicodeScalars)
    for (i, scalar) in scalars.enumerated() {
      var text = String(scalar)
      if i > 0, let prefix = continuingSubwordPrefix { text = prefix + text }
      if i == scalars.count - 1, let suffix = endOfWordSuffix { text += suffix }
      let id = index.find(text)
      if id >= 0 {
        if pendingUnknown, let unknownID {
          symbols.append(unknownID)
          pendingUnknown = false
        }
        symbols.append(id)
        continue
      }
      if byteFallback {
        let bytes = Array(text.utf8)
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
    var rank: Int32
    var position: Int32
    var id: TokenID
    /// Lower rank first, then lower position (tokenizers' `Merge` ordering).
    static func precedes(_ a: Merge, _ b: Merge) -> Bool {
      a.rank < b.rank || (a.rank == b.rank && a.position < b.position)
    }
  }

  @inline(__always)
  private func pair(_ a: TokenID, _ b: TokenID) -> (rank: Int32, id: TokenID)? {
    merges[UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))]
  }

  /// `Word::merge_all` without dropout.
  private func mergeAll(_ symbols: inout [TokenID]) {
    let count = symbols.count
    guard count > 1 else { return }
    var removed = [Bool](repeating: false, count: count)
    var previous = Array(-1..<Int32(count - 1))
    var next = Array(1...Int32(count))
    next[count - 1] = -1
    var heap = Heap<Merge>(precedes: Merge.precedes)
    for i in 0..<(count - 1) {
      if let m = pair(symbols[i], symbols[i + 1]) {
        heap.push(Merge(rank: m.rank, position: Int32(i), id: m.id))
      }
    }
    while let top = heap.pop() {
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
        heap.push(Merge(rank: m.rank, position: before, id: m.id))
      }
      if after >= 0, let m = pair(top.id, symbols[Int(after)]) {
        heap.push(Merge(rank: m.rank, position: Int32(position), id: m.id))
      }
    }
    var result: [TokenID] = []
    result.reserveCapacity(count)
    for i in 0..<count where !removed[i] { result.append(symbols[i]) }
    symbols = result
  }
}

/// A binary heap ordered by `precedes` (the first element precedes all others).
struct Heap<Element> {
  private var items: [Element] = []
  let precedes: (Element, Element) -> Bool

  init(precedes: @escaping (Element, Element) -> Bool) { self.precedes = precedes }

  var isEmpty: Bool { items.isEmpty }

  mutating func push(_ element: Element) {
    items.append(element)
    var child = items.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard precedes(items[child], items[parent]) else { break }
      items.swapAt(child, parent)
      child = parent
    }
  }

  mutating func pop() -> Element? {
    guard let last = items.popLast() else { return nil }
    guard !items.isEmpty else { return last }
    let top = items[0]
    items[0] = last
    var parent = 0
    while true {
      let left = 2 * parent + 1
      if left >= items.count { break }
      let right = left + 1
      let best = right < items.count && precedes(items[right], items[left]) ? right : left
      guard precedes(items[best], items[parent]) else { break }
      items.swapAt(best, parent)
      parent = best
    }
    return top
  }
}
