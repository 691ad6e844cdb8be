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
