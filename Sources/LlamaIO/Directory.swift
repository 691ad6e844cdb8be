#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The names of the entries of a folder (without "." and ".."), sorted.
public func listDirectory(_ path: String) throws -> [String] {
  guard let handle = opendir(path) else {
    throw IOError.cannotOpen(path: path, reason: systemErrorMessage())
  }
  defer { closedir(handle) }
  var names: [String] = []
  while let entry = readdir(handle) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    if name != "." && name != ".." { names.append(name) }
  }
  return names.sorted()
}

/// Creates `path` and any missing parent folders (as `mkdir -p`, or Python's `os.makedirs`
/// that transformers' `save_pretrained` uses); an existing folder is fine.
public func createDirectories(_ path: String) throws {
  var prefix = path.hasPrefix("/") ? "/" : ""
  for component in path.split(separator: "/") {
    prefix += component
    if !fileExists(atPath: prefix) {
      guard mkdir(prefix, 0o755) == 0 || errno == EEXIST else {
        throw IOError.cannotWrite(path: prefix, reason: systemErrorMessage())
      }
    } else if try fileKind(atPath: prefix) != .directory {
      throw IOError.cannotWrite(path: path, reason: "\(prefix) is not a folder")
    }
    prefix += "/"
  }
}
