/// Bytes owned by an object, for tensors that had to be materialized (dequantized llama2.c
/// groups, gathered strided torch tensors, deflated zip members). Immutable after creation.
public final class OwnedBytes: @unchecked Sendable {
  private let storage: UnsafeMutableRawBufferPointer

  public init(_ bytes: [UInt8]) {
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
    bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
    self.storage = storage
    count = bytes.count
  }

  /// `count` bytes (64-byte aligned) written by `body`.
  public init(count: Int, initializingWith body: (UnsafeMutableRawPointer) throws -> Void) rethrows {
    storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
    self.count = count
    do {
      try body(storage.baseAddress!)
    } catch {
      storage.deallocate()
      throw error
    }
  }

  public let count: Int

  deinit { storage.deallocate() }

  /// The bytes, valid while this object lives.
  public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<count]) }
}
