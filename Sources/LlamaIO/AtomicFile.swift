#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An output file that appears complete or not at all: bytes go to a temporary file in the
/// target's folder, which is flushed to disk and renamed over the target by `commit()`. If the
/// object goes away before `commit()` (an error, an early return), the temporary file is
/// removed and the target is untouched.
public final class AtomicFile {
  /// The final path.
  public let path: String
  /// The temporary file being written, in the same folder as `path`.
  public let temporaryPath: String
  private var descriptor: Int32
  private var done = false

  /// Creates the temporary file. Unless `overwrite`, an existing target is an error now rather
  /// than after the work.
  public init(path: String, overwrite: Bool = false) throws {
    self.path = path
    var info = stat()
    if stat(path, &info) == 0 {
      if !overwrite { throw IOError.outputExists(path: path) }
      if (info.st_mode & S_IFMT) == S_IFDIR { throw IOError.notARegularFile(path: path) }
    }
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    var template = Array("\(folder).\(name).llamakit-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw IOError.cannotWrite(path: path, reason: systemErrorMessage()) }
    descriptor = fd
    temporaryPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    fchmod(fd, 0o644)
  }

  deinit { abort() }

  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard !done else { throw IOError.cannotWrite(path: path, reason: "file already closed") }
    var offset = 0
    while offset < bytes.count {
      let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        throw IOError.cannotWrite(path: path, reason: systemErrorMessage())
      }
      offset += written
    }
  }

  public func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try write($0) }
  }

  public func write(_ text: String) throws {
    var text = text
    try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
  }

  /// Flushes the data to disk, renames the temporary file to `path` and flushes the folder.
  public func commit() throws {
    guard !done else { return }
    if fsync(descriptor) != 0 {
      let reason = systemErrorMessage()
      abort()
      throw IOError.cannotWrite(path: path, reason: reason)
    }
    close(descriptor)
    done = true
    if rename(temporaryPath, path) != 0 {
      let reason = systemErrorMessage()
      unlink(temporaryPath)
      throw IOError.cannotWrite(path: path, reason: reason)
    }
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[..<$0]) } ?? "."
    let folderDescriptor = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if folderDescriptor >= 0 {
      fsync(folderDescriptor)
      close(folderDescriptor)
    }
  }

  /// Drops the temporary file; the target is untouched. Safe to call more than once.
  public func abort() {
    guard !done else { return }
    done = true
    close(descriptor)
    unlink(temporaryPath)
  }

  /// Writes `contents` to `path` atomically.
  public static func write(_ contents: [UInt8], to path: String, overwrite: Bool = true) throws {
    let file = try AtomicFile(path: path, overwrite: overwrite)
    try file.write(contents)
    try file.commit()
  }
}
