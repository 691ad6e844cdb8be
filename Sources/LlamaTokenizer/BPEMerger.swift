/// The merge loop of sentencepiece's BPE (`bpe::Model::SampleEncode` without dropout) over one
/// span of normalized text, with buffers reused between spans.
///
/// Symbols are byte ranges of the normalized text kept in a doubly linked list; candidate pairs
/// wait in a max-heap ordered by (score descending, left index ascending). A popped candidate
/// is stale when either side was merged since it was pushed, which the size check detects
/// exactly as sentencepiece does.
struct BPEMerger {
  struct Candidate {
    var score: Float
    var left: Int32
    var right: Int32
    /// Byte length of the merged piece when pushed.
    var size: Int32
  }

  /// Symbol start in the text: `[symbols]`.
  var start: [Int32] = []
  /// Symbol length in bytes, 0 once merged into its left neighbour: `[symbols]`.
  var length: [Int32] = []
  var previous: [Int32] = []
  var next: [Int32] = []
  /// USER_DEFINED symbols never merge: `[symbols]`.
  var frozen: [Bool] = []
  /// Max-heap of candidates: `[pending]`.
  var heap: [Candidate] = []
  /// sentencepiece's `rev_merge`: for an UNUSED piece, the left part's length of the last pair
  /// pushed that spells it. Used only when the vocabulary has multi-character UNUSED pieces.
  var reverseMerges: [TokenID: Int32] = [:]

  @inline(__always)
  static func precedes(_ a: Candidate, _ b: Candidate) -> Bool {
    a.score > b.score || (a.score == b.score && a.left < b.left)
  }

  mutating func push(_ candidate: Candidate) {
    heap.append(candidate)
    heap.withUnsafeMutableBufferPointer { h in
      var child = h.count - 1
      while child > 0 {
        let parent = (child - 1) >> 1
        guard Self.precedes(h[child], h[parent]) else { break }
        h.swapAt(child, parent)
        child = parent
      }
    }
  }

  mutating func pop() -> Candidate? {
    guard let last = heap.popLast() else { return nil }
    if heap.isEmpty { return last }
    return heap.withUnsafeMutableBufferPointer { h in
      let top = h[0]
      h[0] = last
      var parent = 0
      let count = h.count
      while true {
        let left = 2 * parent + 1
        if left >= count { break }
        var best = left
        let right = left + 1
        if right < count && Self.precedes(h[right], h[left]) { best = right }
        guard Self.precedes(h[best], h[parent]) else { break }
        h.swapAt(best, parent)
        parent = best
      }
      return top
    }
  }

  /// Splits `text[from..<to]` into initial symbols (one character, or the longest USER_DEFINED
  /// piece, which is frozen) and merges them. Afterwards the live symbols are the list from
  /// index 0 following `next`.
  mutating func merge(
    _ text: UnsafeBufferPointer<UInt8>, from: Int, to: Int, tokenizer t: SentencePieceTokenizer
  ) {
    start.removeAll(keepingCapacity: true)
    length.removeAll(keepingCapacity: true)
    frozen.removeAll(keepingCapacity: true)
    heap.removeAll(keepingCapacity: true)
    let checkUserDefined = !t.userDefined.isEmpty
    var i = from
    while i < to {
      var n = 0
      var isFrozen = false
      if checkUserDefined {
        n = t.userDefined.longestMatch(text, from: i, to: to)
        isFrozen = n > 0
      }
      if n == 0 { n = min(utf8SequenceLength(text[i]), to - i) }
      start.append(Int32(i))
      length.append(Int32(n))
      frozen.append(isFrozen)
      i += n
    }
    let count = start.count
    guard count > 1 else {
      previous = [-1]
      next = [-1]
      return
    }
    previous = Array(-1..<Int32(count - 1))
    next = Array(1...Int32(count))
    next[count - 1] = -1

    for right in 1..<count { addCandidate(text, Int32(right - 1), Int32(right), t) }

    while let top = pop() {
      let left = Int(top.left)
      let right = Int(top.right)
      let leftLength = length[left]
      let rightLength = length[right]
      if leftLength == 0 || rightLength == 0 || leftLength + rightLength != top.size { continue }
      length[left] = leftLength + rightLength
      let after = next[right]
      next[left] = after
      if after >= 0 { previous[Int(after)] = Int32(left) }
      length[right] = 0
      addCandidate(text, previous[left], Int32(left), t)
      addCandidate(text, Int32(left), next[left], t)
    }
  }

  @inline(__always)
  private mutating func addCandidate(
    _ text: UnsafeBufferPointer<UInt8>, _ left: Int32, _ right: Int32, _ t: SentencePieceTokenizer
  ) {
    guard left >= 0, right >= 0 else { return }
    let l = Int(left)
    let r = Int(right)
    if frozen[l] || frozen[r] { return }
    let size = length[l] + length[r]
    let id = t.mergeable.find(text.baseAddress! + Int(start[l]), Int(size))
    guard id >= 0 else { return }
    push(Candidate(score: t.scores[Int(id)], left: left, right: right, size: size))
    if t.hasMultiCharacterUnused && t.types[Int(id)] == .unused {
      reverseMerges[id] = length[l]
    }
  }
}
