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
  /// Where the temporary path is registered for removal on SIGINT/SIGTERM/SIGHUP.
  private var slot: Int?

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
    // The name is registered for removal before the file exists, so that a termination signal
    // handled on any thread at any moment finds it (unlinking a name not yet created is harmless).
    var attempt = 0
    while true {
      let candidate = "\(folder).\(name).llamakit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      let registered = TemporaryFiles.register(candidate)
      let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
      if fd >= 0 {
        descriptor = fd
        temporaryPath = candidate
        slot = registered
        break
      }
      let failure = errno
      TemporaryFiles.unregister(registered)
      attempt += 1
      guard failure == EEXIST && attempt < 100 else {
        errno = failure
        throw IOError.cannotWrite(path: path, reason: systemErrorMessage())
      }
    }
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
    defer { TemporaryFiles.unregister(slot) }
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
    TemporaryFiles.unregister(slot)
  }

  /// Makes SIGINT, SIGTERM and SIGHUP remove every temporary file being written before the
  /// process ends (as the signal would end it), so that an interrupted conversion leaves
  /// nothing behind. For command-line tools; call once at start. (SIGKILL cannot be caught:
  /// then a hidden `.NAME.llamakit-PID-N` file stays, but never a partial target.)
  public static func removeTemporaryFilesOnTermination() {
    for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
      signal(signalNumber) { received in
        TemporaryFiles.removeAll()
        signal(received, SIG_DFL)
        raise(received)
      }
    }
  }

  /// Writes `contents` to `path` atomically.
  public static func write(_ contents: [UInt8], to path: String, overwrite: Bool = true) throws {
    let file = try AtomicFile(path: path, overwrite: overwrite)
    try file.write(contents)
    try file.commit()
  }
}

/// The temporary files being written, as C strings in fixed slots that a signal handler can
/// read without locks or allocation (it only calls `unlink`, which is async-signal-safe).
enum TemporaryFiles {
  static let capacity = 256
  nonisolated(unsafe) static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
    let slots = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
    slots.initialize(repeating: nil, count: capacity)
    return slots
  }()
  nonisolated(unsafe) static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
    let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    lock.initialize(to: pthread_mutex_t())
    pthread_mutex_init(lock, nil)
    return lock
  }()

  static func register(_ path: String) -> Int? {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    guard let free = (0..<capacity).first(where: { slots[$0] == nil }) else { return nil }
    slots[free] = strdup(path)
    return free
  }

  static func unregister(_ slot: Int?) {
    guard let slot else { return }
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    let path = slots[slot]
    slots[slot] = nil
    free(path)
  }

  /// From a signal handler: unlink every registered path.
  static func removeAll() {
    for i in 0..<capacity {
      if let path = slots[i] { unlink(path) }
    }
  }
}
