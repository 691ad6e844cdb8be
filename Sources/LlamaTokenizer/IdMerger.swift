/// sentencepiece's BPE merge loop over piece ids (see `IdMergeTables`), with buffers allocated
/// once per `encode` call and reused for every span.
///
/// Short spans (a word) use a linear scan for the best pair; long ones a max-heap ordered by
/// (score descending, left index ascending) with stale entries skipped by the size check, as in
/// `bpe_model.cc`. Both merge the highest-scoring pair, leftmost among equal scores.
final class IdMerger {
  struct Candidate {
    var score: Float
    var left: Int32
    var right: Int32
    var size: Int32
    var id: Int32
  }

  /// Spans of at most this many symbols use the linear scan.
  static let scanLimit = 24

  @exclusivity(unchecked) private(set) var capacity = 0
  /// Per symbol: piece id (-1: not a piece), byte length (0: merged away), start in the text,
  /// list links, frozen flag (USER_DEFINED). The hot loop reads these: `[capacity]` each.
  @exclusivity(unchecked) private(set) var ids: UnsafeMutablePointer<Int32>
  @exclusivity(unchecked) private(set) var lengths: UnsafeMutablePointer<Int32>
  @exclusivity(unchecked) private(set) var starts: UnsafeMutablePointer<Int32>
  @exclusivity(unchecked) private(set) var next: UnsafeMutablePointer<Int32>
  @exclusivity(unchecked) private var previous: UnsafeMutablePointer<Int32>
  @exclusivity(unchecked) private var frozen: UnsafeMutablePointer<Bool>
  /// Linear scan: merge id and score of the pair (k, k+1): `[capacity]`.
  @exclusivity(unchecked) private var pairIDs: UnsafeMutablePointer<Int32>
  @exclusivity(unchecked) private var pairScores: UnsafeMutablePointer<Float>
  /// Max-heap of candidates: `[heapCapacity]`.
  @exclusivity(unchecked) private var heap: UnsafeMutablePointer<Candidate>
  @exclusivity(unchecked) private var heapCapacity = 0
  @exclusivity(unchecked) private var heapCount = 0
  /// Number of symbols of the current span (live ones are reached from 0 through `next`).
  @exclusivity(unchecked) private(set) var count = 0

  init() {
    let initial = 256
    ids = .allocate(capacity: initial)
    lengths = .allocate(capacity: initial)
    starts = .allocate(capacity: initial)
    next = .allocate(capacity: initial)
    previous = .allocate(capacity: initial)
    frozen = .allocate(capacity: initial)
    pairIDs = .allocate(capacity: initial)
    pairScores = .allocate(capacity: initial)
    heap = .allocate(capacity: initial)
    capacity = initial
    heapCapacity = initial
  }

  deinit {
    ids.deallocate()
    lengths.deallocate()
    starts.deallocate()
    next.deallocate()
    previous.deallocate()
    frozen.deallocate()
    pairIDs.deallocate()
    pairScores.deallocate()
    heap.deallocate()
  }

  /// Doubles the symbol buffers, keeping the current span's symbols.
  private func grow() {
    let newCapacity = capacity * 2
    func grown<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
      let bigger = UnsafeMutablePointer<T>.allocate(capacity: newCapacity)
      bigger.moveInitialize(from: p, count: count)
      p.deallocate()
      return bigger
    }
    ids = grown(ids)
    lengths = grown(lengths)
    starts = grown(starts)
    next = grown(next)
    previous = grown(previous)
    frozen = grown(frozen)
    pairIDs = grown(pairIDs)
    pairScores = grown(pairScores)
    capacity = newCapacity
  }

  /// Starts a new span with no symbols.
  @inline(__always)
  func beginSpan() { count = 0 }

  /// Appends an initial symbol: a character (with its id, or -1) or a frozen USER_DEFINED piece.
  @inline(__always)
  func add(id: Int32, start: Int, length: Int, frozen isFrozen: Bool) {
    if count == capacity { grow() }
    ids[count] = id
    starts[count] = Int32(start)
    lengths[count] = Int32(length)
    frozen[count] = isFrozen
    count += 1
  }

  @inline(__always)
  private func push(_ c: Candidate) {
    if heapCount == heapCapacity {
      let bigger = UnsafeMutablePointer<Candidate>.allocate(capacity: heapCapacity * 2)
      bigger.moveInitialize(from: heap, count: heapCount)
      heap.deallocate()
      heap = bigger
      heapCapacity *= 2
    }
    var child = heapCount
    heapCount += 1
    while child > 0 {
      let parent = (child - 1) >> 1
      let p = heap[parent]
      guard c.score > p.score || (c.score == p.score && c.left < p.left) else { break }
      heap[child] = p
      child = parent
    }
    heap[child] = c
  }

  @inline(__always)
  private func pop() -> Candidate {
    let top = heap[0]
    heapCount -= 1
    if heapCount == 0 { return top }
    let last = heap[heapCount]
    var parent = 0
    while true {
      var best = 2 * parent + 1
      if best >= heapCount { break }
      let right = best + 1
      if right < heapCount {
        let a = heap[right]
        let b = heap[best]
        if a.score > b.score || (a.score == b.score && a.left < b.left) { best = right }
      }
      let c = heap[best]
      guard c.score > last.score || (c.score == last.score && c.left < last.left) else { break }
      heap[parent] = c
      parent = best
    }
    heap[parent] = last
    return top
  }

  /// Merges the symbols added since `beginSpan`. Afterwards the live symbols are the list from
  /// index 0 following `next`.
  func mergeSpan(_ tables: IdMergeTables) {
    if count <= Self.scanLimit {
      scanMerge(count, tables)
    } else {
      heapMerge(count, tables)
    }
  }

  /// The merge candidate of symbols `a` and `b`, if any.
  @inline(__always)
  private func candidate(_ a: Int, _ b: Int, _ tables: IdMergeTables) -> (id: Int32, score: Float)? {
    if frozen[a] || frozen[b] { return nil }
    let left = ids[a]
    let right = ids[b]
    if left < 0 || right < 0 { return nil }
    return tables.pairs.find(IntegerTable.pairKey(left, right))
  }

  /// Symbols kept dense (merged ones removed by shifting); pairs rescanned each round.
  private func scanMerge(_ initialCount: Int, _ tables: IdMergeTables) {
    var n = initialCount
    @inline(__always) func update(_ k: Int) {
      if let c = candidate(k, k + 1, tables) {
        pairIDs[k] = c.id
        pairScores[k] = c.score
      } else {
        pairIDs[k] = -1
      }
    }
    for k in 0..<max(0, n - 1) { update(k) }
    while n > 1 {
      var best = -1
      var bestScore: Float = 0
      for k in 0..<(n - 1) where pairIDs[k] >= 0 {
        if best < 0 || pairScores[k] > bestScore {
          best = k
          bestScore = pairScores[k]
        }
      }
      if best < 0 { break }
      ids[best] = pairIDs[best]
      lengths[best] += lengths[best + 1]
      // Remove symbol best + 1.
      let tail = n - best - 2
      if tail > 0 {
        (ids + best + 1).update(from: ids + best + 2, count: tail)
        (lengths + best + 1).update(from: lengths + best + 2, count: tail)
        (starts + best + 1).update(from: starts + best + 2, count: tail)
        (frozen + best + 1).update(from: frozen + best + 2, count: tail)
        (pairIDs + best + 1).update(from: pairIDs + best + 2, count: tail)
        (pairScores + best + 1).update(from: pairScores + best + 2, count: tail)
      }
      n -= 1
      if best > 0 { update(best - 1) }
      if best < n - 1 { update(best) }
    }
    count = n
    for k in 0..<n { next[k] = Int32(k + 1) }
    next[n - 1] = -1
  }

  private func heapMerge(_ n: Int, _ tables: IdMergeTables) {
    for k in 0..<n {
      previous[k] = Int32(k - 1)
      next[k] = Int32(k + 1)
    }
    next[n - 1] = -1
    heapCount = 0
    @inline(__always) func add(_ a: Int32, _ b: Int32) {
      guard a >= 0, b >= 0, let c = candidate(Int(a), Int(b), tables) else { return }
      push(Candidate(score: c.score, left: a, right: b, size: lengths[Int(a)] + lengths[Int(b)], id: c.id))
    }
    for k in 1..<n { add(Int32(k - 1), Int32(k)) }
    while heapCount > 0 {
      let top = pop()
      let left = Int(top.left)
      let right = Int(top.right)
      let leftLength = lengths[left]
      let rightLength = lengths[right]
      if leftLength == 0 || rightLength == 0 || leftLength + rightLength != top.size { continue }
      lengths[left] = leftLength + rightLength
      ids[left] = top.id
      let after = next[right]
      next[left] = after
      if after >= 0 { previous[Int(after)] = Int32(left) }
      lengths[right] = 0
      add(previous[left], Int32(left))
      add(Int32(left), next[left])
    }
  }
}
