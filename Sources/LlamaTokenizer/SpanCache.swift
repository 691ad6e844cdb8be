/// Ids of spans already encoded during one `encode` call. Text repeats words so often that on
/// English prose most spans are found here; the merge result of a span does not depend on its
/// neighbours (the spans are chosen so that no merge crosses them), so reuse is exact.
struct SpanCache {
  /// Texts shorter than this are encoded without a cache (it would cost more than it saves).
  static let minimumTextSize = 2048
  /// Longer spans are not cached.
  static let maximumKeySize = 64
  static let capacity = 1 << 16

  /// Entry number + 1 per slot, 0 when empty: `[capacity]`.
  private var slots = [Int32](repeating: 0, count: SpanCache.capacity)
  /// Per entry: key start and length in `keys`, ids start and count in `ids`.
  private var entries: [(keyStart: Int32, keyLength: Int32, idStart: Int32, idCount: Int32)] = []
  private var keys: [UInt8] = []
  private var ids: [TokenID] = []

  @inline(__always)
  private func slot(for key: UnsafeBufferPointer<UInt8>) -> Int {
    Int(PieceIndex.hash(key.baseAddress!, key.count)) & (SpanCache.capacity - 1)
  }

  func lookup(_ key: UnsafeBufferPointer<UInt8>) -> ArraySlice<TokenID>? {
    var slot = slot(for: key)
    while true {
      let entry = Int(slots[slot])
      if entry == 0 { return nil }
      let e = entries[entry - 1]
      if Int(e.keyLength) == key.count {
        let same = keys.withUnsafeBufferPointer {
          memcmp($0.baseAddress! + Int(e.keyStart), key.baseAddress!, key.count) == 0
        }
        if same { return ids[Int(e.idStart)..<Int(e.idStart + e.idCount)] }
      }
      slot = (slot + 1) & (SpanCache.capacity - 1)
    }
  }

  mutating func insert(_ key: UnsafeBufferPointer<UInt8>, ids spanIDs: ArraySlice<TokenID>) {
    // Keep the table at most half full; after that, new spans are simply not cached.
    guard entries.count < SpanCache.capacity / 2 else { return }
    var slot = slot(for: key)
    while slots[slot] != 0 { slot = (slot + 1) & (SpanCache.capacity - 1) }
    entries.append((Int32(keys.count), Int32(key.count), Int32(ids.count), Int32(spanIDs.count)))
    keys.append(contentsOf: key)
    ids.append(contentsOf: spanIDs)
    slots[slot] = Int32(entries.count)
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
