#if canImport(Glibc)
  import Glibc
#endif

/// Bytes owned by an object, for tensors that had to be materialized (dequantized llama2.c
/// groups, gathered strided torch tensors, deflated zip members, re-laid-out weights).
/// Immutable after creation.
public final class OwnedBytes: @unchecked Sendable {
  private let storage: UnsafeMutableRawBufferPointer
  /// The anonymous mapping `storage` lies in, for large buffers (nil: heap memory).
  private let mapping: (base: UnsafeMutableRawPointer, length: Int)?

  public init(_ bytes: [UInt8]) {
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
    bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
    self.storage = storage
    mapping = nil
    count = bytes.count
  }

  /// Buffers from this size on are mapped on their own, 2 MiB-aligned and marked for
  /// transparent huge pages: weights read once per token then cost one TLB entry per 2 MiB
  /// instead of per 4 KiB (Linux's default THP mode applies them only where asked, madvise).
  static let hugePageThreshold = 4 << 20
  static let hugePage = 2 << 20

  /// 64-byte aligned memory for `count` bytes, from an anonymous mapping when it is large.
  private static func allocate(_ count: Int) -> (UnsafeMutableRawBufferPointer, (base: UnsafeMutableRawPointer, length: Int)?) {
    #if canImport(Glibc)
      if count >= hugePageThreshold {
        let length = count + hugePage
        if let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), base != MAP_FAILED {
          let aligned = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: base) + hugePage - 1) / hugePage * hugePage)!
          _ = madvise(aligned, count, MADV_HUGEPAGE)
          return (UnsafeMutableRawBufferPointer(start: aligned, count: count), (base, length))
        }
      }
    #endif
    return (UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64), nil)
  }

  private func release() {
    if let mapping {
      #if canImport(Glibc)
        munmap(mapping.base, mapping.length)
      #endif
    } else {
      storage.deallocate()
    }
  }

  /// `count` bytes (64-byte aligned) written by `body`.
  public init(count: Int, initializingWith body: (UnsafeMutableRawPointer) throws -> Void) rethrows {
    (storage, mapping) = Self.allocate(count)
    self.count = count
    do {
      try body(storage.baseAddress!)
    } catch {
      release()
      throw error
    }
  }

  public let count: Int

  deinit { release() }

  /// The bytes, valid while this object lives.
  public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<count]) }
}
