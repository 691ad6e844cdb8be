/// An open-addressing hash table from byte strings to piece ids, looked up with a pointer and a
/// length so that the BPE loop never builds a `String`. Built once per tokenizer, read-only
/// afterwards (safe to share between threads).
struct PieceIndex: Sendable {
  /// Concatenated bytes of the indexed pieces: `[total bytes]`.
  private let pool: [UInt8]
  /// Start of each indexed piece in `pool`: `[entries + 1]`.
  private let starts: [Int32]
  /// Id of each indexed piece: `[entries]`.
  private let ids: [Int32]
  /// Entry number + 1 per slot, 0 when empty: `[capacity]`, capacity a power of two.
  private let slots: [Int32]
  private let mask: Int

  /// Indexes `pieces[id]` for every id where `include(id)` holds. Later duplicates are ignored
  /// (vocabularies are validated to have none).
  init(pieces: [String], include: (Int) -> Bool) {
    var pool: [UInt8] = []
    var starts: [Int32] = [0]
    var ids: [Int32] = []
    for (id, piece) in pieces.enumerated() where include(id) {
      pool.append(contentsOf: piece.utf8)
      starts.append(Int32(pool.count))
      ids.append(Int32(id))
    }
    var capacity = 16
    while capacity < ids.count * 2 { capacity <<= 1 }
    var slots = [Int32](repeating: 0, count: capacity)
    let mask = capacity - 1
    pool.withUnsafeBufferPointer { bytes in
      for entry in 0..<ids.count {
        let start = Int(starts[entry])
        let length = Int(starts[entry + 1]) - start
        var slot = Int(PieceIndex.hash(bytes.baseAddress! + start, length)) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(entry + 1)
      }
    }
    self.pool = pool
    self.starts = starts
    self.ids = ids
    self.slots = slots
    self.mask = mask
  }

  /// 64-bit FNV-1a, folded to 32 bits.
  @inline(__always)
  static func hash(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for i in 0..<length {
      h = (h ^ UInt64(bytes[i])) &* 0x100_0000_01b3
    }
    return UInt32(truncatingIfNeeded: h ^ (h >> 32))
  }

  /// The id of the piece spelled by `bytes[0..<length]`, or -1.
  @inline(__always)
  func find(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> Int32 {
    var slot = Int(PieceIndex.hash(bytes, length)) & mask
    return slots.withUnsafeBufferPointer { slots in
      starts.withUnsafeBufferPointer { starts in
        pool.withUnsafeBufferPointer { pool in
          while true {
            let entry = Int(slots[slot])
            if entry == 0 { return -1 }
            let start = Int(starts[entry - 1])
            if Int(starts[entry]) - start == length,
              memcmp(pool.baseAddress! + start, bytes, length) == 0
            {
              return ids[entry - 1]
            }
            slot = (slot + 1) & mask
          }
        }
      }
    }
  }

  func find(_ text: String) -> Int32 {
    var text = text
    return text.withUTF8 { find($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
