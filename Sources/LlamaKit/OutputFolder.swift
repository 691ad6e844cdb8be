import LlamaIO

#if canImport(Glibc)
  import Glibc
#endif

/// The folder a conversion writes several files into (Hugging Face, Meta): created when missing
/// (with its parents), existing model files refused unless `overwrite`. Each file is atomic on
/// its own; if the conversion fails before `complete()`, the files it already finished are
/// removed again, and the folder too when this conversion created it, so that a failed run
/// leaves no partial model behind.
final class OutputFolder {
  let path: String
  private let created: Bool
  private var finished: [String] = []
  private var isComplete = false

  /// `files`: the model files that must not be replaced without `overwrite`.
  init(_ path: String, overwrite: Bool, files: [String]) throws {
    self.path = path
    guard fileExists(atPath: path) else {
      try createDirectories(path)
      created = true
      return
    }
    created = false
    guard try fileKind(atPath: path) == .directory else {
      throw IOError.cannotWrite(path: path, reason: "exists and is not a folder")
    }
    guard !overwrite else { return }
    for name in files where fileExists(atPath: path + "/" + name) {
      throw IOError.cannotWrite(path: path + "/" + name, reason: "already exists (use --force to overwrite)")
    }
  }

  /// The path of `name` in the folder.
  func file(_ name: String) -> String { path + "/" + name }

  /// Records that `name` was written completely (it is removed if the conversion fails later).
  func finished(_ name: String) { finished.append(name) }

  /// Writes a small file atomically and records it.
  func write(_ contents: [UInt8], to name: String) throws {
    try AtomicFile.write(contents, to: file(name))
    finished(name)
  }

  func complete() { isComplete = true }

  deinit {
    guard !isComplete else { return }
    for name in finished { unlink(file(name)) }
    if created { rmdir(path) }
  }
}
