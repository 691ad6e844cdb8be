/// An open-addressing hash table from 64-bit keys to (id, score), built once and read-only
/// afterwards. Used for sentencepiece's merge candidates keyed by the ids of the two symbols,
/// and for code point → piece id.
struct IntegerTable: Sendable {
  struct Slot: Sendable {
    var key: UInt64
    var id: Int32
    var score: Float
  }

  /// `key == emptyKey` marks an empty slot: `[capacity]`, a power of two.
  private let slots: [Slot]
  private let mask: Int
  static let emptyKey = UInt64.max

  init(_ entries: [(key: UInt64, id: Int32, score: Float)]) {
    var capacity = 16
    while capacity < entries.count * 2 { capacity <<= 1 }
    var slots = [Slot](repeating: Slot(key: Self.emptyKey, id: -1, score: 0), count: capacity)
    let mask = capacity - 1
    for entry in entries where entry.key != Self.emptyKey {
      var i = Self.hash(entry.key) & mask
      while slots[i].key != Self.emptyKey && slots[i].key != entry.key { i = (i + 1) & mask }
      if slots[i].key == Self.emptyKey {  // the first entry for a key wins
        slots[i] = Slot(key: entry.key, id: entry.id, score: entry.score)
      }
    }
    self.slots = slots
    self.mask = mask
  }

  @inline(__always)
  static func hash(_ key: UInt64) -> Int {
    var h = key &* 0x9E37_79B9_7F4A_7C15
    h ^= h >> 29
    return Int(truncatingIfNeeded: h)
  }

  @inline(__always)
  static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
  }

  /// The id stored for `key`, or nil.
  @inline(__always)
  func id(_ key: UInt64) -> Int32? { find(key)?.id }

  /// The slot for `key`, or nil.
  @inline(__always)
  func find(_ key: UInt64) -> (id: Int32, score: Float)? {
    slots.withUnsafeBufferPointer { slots in
      var i = Self.hash(key) & mask
      while true {
        let slot = slots[i]
        if slot.key == key { return (slot.id, slot.score) }
        if slot.key == Self.emptyKey { return nil }
        i = (i + 1) & mask
      }
    }
  }
}
