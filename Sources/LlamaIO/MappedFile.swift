#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A whole file mapped read-only into memory; nothing is copied. Empty files are allowed.
/// The mapped bytes are reachable only while the object is kept alive: through
/// `withUnsafeBytes` or a `ByteReader` (which holds the file), never as a free pointer that
/// could outlive an unmapped file.
public final class MappedFile: @unchecked Sendable {
  /// The path the file was opened with, used in every error about its content.
  public let path: String
  /// The file's bytes: `[count]`.
  let bytes: UnsafeRawBufferPointer
  private let mapping: UnsafeMutableRawPointer?

  public init(path: String) throws {
    self.path = path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw IOError.cannotOpen(path: path, reason: systemErrorMessage()) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw IOError.cannotOpen(path: path, reason: systemErrorMessage())
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw IOError.notARegularFile(path: path) }
    let size = Int(info.st_size)
    if size == 0 {
      mapping = nil
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
    guard let address, address != MAP_FAILED else {
      throw IOError.cannotOpen(path: path, reason: "mmap failed: \(systemErrorMessage())")
    }
    mapping = address
    bytes = UnsafeRawBufferPointer(start: address, count: size)
  }

  deinit {
    if let mapping { munmap(mapping, bytes.count) }
  }

  /// Number of bytes in the file.
  public var count: Int { bytes.count }

  /// Calls `body` with the mapped bytes, keeping the mapping alive until it returns.
  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withExtendedLifetime(self) { try body(bytes) }
  }

  /// Lets the kernel take back the memory pages holding `range` (a part of this mapping) once
  /// they have been read: a later read fetches them again from the file (the page cache), so
  /// nothing changes but the resident size. Streaming a whole model through (conversion) then
  /// keeps the process near one tensor instead of the whole file.
  public func dropResidentPages(_ range: UnsafeRawBufferPointer) {
    guard let mapping, let start = range.baseAddress, range.count > 0 else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let base = Int(bitPattern: mapping)
    let lower = max(base, (Int(bitPattern: start) / page) * page)
    let upper = min(base + bytes.count, Int(bitPattern: start) + range.count)
    guard upper > lower else { return }
    madvise(UnsafeMutableRawPointer(bitPattern: lower), upper - lower, Int32(MADV_DONTNEED))
  }

  /// A copy of the whole file.
  public var contents: [UInt8] { withUnsafeBytes { Array($0) } }

  /// A bounds-checked reader over the whole file that keeps the mapping alive.
  public func reader() -> ByteReader {
    ByteReader(bytes, source: path, owner: self)
  }
}
