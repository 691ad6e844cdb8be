/// Ids of spans already encoded during one `encode` call. Text repeats words so often that on
/// English prose most spans are found here; the merge result of a span does not depend on its
/// neighbours (spans are cut where no merge can cross), so reuse is exact.
final class SpanCache {
  /// Texts shorter than this are encoded without a cache (it would cost more than it saves).
  static let minimumTextSize = 2048
  /// Longer spans are not cached.
  static let maximumKeySize = 64
  /// Shorter spans are merged again rather than looked up (it is as fast).
  static let minimumKeySize = 6
  static let capacity = 1 << 16
  /// At most half the slots are used; later spans are simply not cached.
  static let maximumEntries = capacity / 2

  /// Entry number + 1 per slot, 0 when empty: `[capacity]`.
  @exclusivity(unchecked) private var slots: UnsafeMutablePointer<Int32>
  /// Per entry: hash, key start and length in `keys`, id start and count in `ids`:
  /// `[maximumEntries]` each.
  @exclusivity(unchecked) private var hashes: UnsafeMutablePointer<UInt32>
  @exclusivity(unchecked) private var keyStarts: UnsafeMutablePointer<Int32>
  @exclusivity(unchecked) private var keyLengths: UnsafeMutablePointer<Int32>
  @exclusivity(unchecked) private var idStarts: UnsafeMutablePointer<Int32>
  @exclusivity(unchecked) private var idCounts: UnsafeMutablePointer<Int32>
  @exclusivity(unchecked) private var entries = 0
  /// Key bytes and ids of all entries: `[keyCapacity]`, `[idCapacity]`.
  @exclusivity(unchecked) private var keys: UnsafeMutablePointer<UInt8>
  @exclusivity(unchecked) private var keyCount = 0
  @exclusivity(unchecked) private var keyCapacity = 1 << 16
  @exclusivity(unchecked) private(set) var ids: UnsafeMutablePointer<TokenID>
  @exclusivity(unchecked) private var idCount = 0
  @exclusivity(unchecked) private var idCapacity = 1 << 15

  init() {
    slots = .allocate(capacity: Self.capacity)
    slots.initialize(repeating: 0, count: Self.capacity)
    hashes = .allocate(capacity: Self.maximumEntries)
    keyStarts = .allocate(capacity: Self.maximumEntries)
    keyLengths = .allocate(capacity: Self.maximumEntries)
    idStarts = .allocate(capacity: Self.maximumEntries)
    idCounts = .allocate(capacity: Self.maximumEntries)
    keys = .allocate(capacity: keyCapacity)
    ids = .allocate(capacity: idCapacity)
  }

  deinit {
    slots.deallocate()
    hashes.deallocate()
    keyStarts.deallocate()
    keyLengths.deallocate()
    idStarts.deallocate()
    idCounts.deallocate()
    keys.deallocate()
    ids.deallocate()
  }

  /// A fast hash of `length` bytes (8 at a time), not reading outside them.
  @inline(__always)
  static func hash(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(length)
    var i = 0
    let raw = UnsafeRawPointer(bytes)
    while i + 8 <= length {
      h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
      h ^= h >> 32
      i += 8
    }
    if i < length {
      var tail: UInt64 = 0
      var shift: UInt64 = 0
      while i < length {
        tail |= UInt64(bytes[i]) << shift
        shift += 8
        i += 1
      }
      h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
    }
    h ^= h >> 29
    return UInt32(truncatingIfNeeded: h)
  }

  /// The cached ids of a span: (start in `ids`, count), or nil.
  @inline(__always)
  func lookup(_ key: UnsafePointer<UInt8>, _ length: Int, hash: UInt32) -> (Int, Int)? {
    var slot = Int(hash) & (Self.capacity - 1)
    while true {
      let entry = Int(slots[slot])
      if entry == 0 { return nil }
      let e = entry - 1
      if hashes[e] == hash && Int(keyLengths[e]) == length
        && memcmp(keys + Int(keyStarts[e]), key, length) == 0
      {
        return (Int(idStarts[e]), Int(idCounts[e]))
      }
      slot = (slot + 1) & (Self.capacity - 1)
    }
  }

  func insert(_ key: UnsafePointer<UInt8>, _ length: Int, hash: UInt32, ids spanIDs: UnsafeBufferPointer<TokenID>) {
    guard entries < Self.maximumEntries else { return }
    if keyCount + length > keyCapacity {
      keys = Self.grown(keys, count: keyCount, to: &keyCapacity, needed: keyCount + length)
    }
    if idCount + spanIDs.count > idCapacity {
      ids = Self.grown(ids, count: idCount, to: &idCapacity, needed: idCount + spanIDs.count)
    }
    var slot = Int(hash) & (Self.capacity - 1)
    while slots[slot] != 0 { slot = (slot + 1) & (Self.capacity - 1) }
    hashes[entries] = hash
    keyStarts[entries] = Int32(keyCount)
    keyLengths[entries] = Int32(length)
    idStarts[entries] = Int32(idCount)
    idCounts[entries] = Int32(spanIDs.count)
    (keys + keyCount).update(from: key, count: length)
    keyCount += length
    if let base = spanIDs.baseAddress { (ids + idCount).update(from: base, count: spanIDs.count) }
    idCount += spanIDs.count
    entries += 1
    slots[slot] = Int32(entries)
  }

  private static func grown<T>(_ p: UnsafeMutablePointer<T>, count: Int, to capacity: inout Int, needed: Int)
    -> UnsafeMutablePointer<T>
  {
    while capacity < needed { capacity *= 2 }
    let bigger = UnsafeMutablePointer<T>.allocate(capacity: capacity)
    bigger.moveInitialize(from: p, count: count)
    p.deallocate()
    return bigger
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
