#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a path names on disk.
public enum FileKind: Sendable {
  case regularFile
  case directory
  case other
}

/// The kind of file at `path`, following symbolic links; a missing or unreadable path is an
/// error naming it.
public func fileKind(atPath path: String) throws -> FileKind {
  var info = stat()
  guard stat(path, &info) == 0 else {
    throw IOError.cannotOpen(path: path, reason: systemErrorMessage())
  }
  switch info.st_mode & S_IFMT {
  case S_IFREG: return .regularFile
  case S_IFDIR: return .directory
  default: return .other
  }
}

/// Whether something exists at `path`.
public func fileExists(atPath path: String) -> Bool {
  access(path, F_OK) == 0
}
