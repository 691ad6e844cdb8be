import CArchive

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// The only file that calls libarchive. Return codes become `IOError.archive` with libarchive's
// own message and the archive's path.

/// One member of an archive, as its header describes it.
public struct ArchiveEntry: Sendable, Equatable {
  /// Member path as stored (UTF-8); not checked for `..` or absolute paths here.
  public var name: String
  /// Uncompressed size when the header states it.
  public var size: Int64?
  public var isRegularFile: Bool
  /// Offset of the member's header in the archive file (libarchive's header position).
  public var headerOffset: Int64
}

/// Reads archives (zip, tar, …, any compression) or a single compressed file (gzip, xz, zstd,
/// bzip2, …) through libarchive, one member at a time. Sizes are checked against a caller's
/// limit while reading, so a member that expands past it is refused without being stored.
public final class ArchiveReader {
  public enum Mode: Sendable {
    /// Archive formats with any compression filter: each member is an entry.
    case archive
    /// One compressed (or plain) stream: a single entry holding the decompressed bytes.
    case compressedFile
  }

  public let path: String
  private let handle: OpaquePointer
  private var finished = false

  public init(path: String, mode: Mode = .archive) throws {
    self.path = path
    guard let handle = archive_read_new() else {
      throw IOError.archive(source: path, detail: "libarchive could not allocate a reader")
    }
    self.handle = handle
    archive_read_support_filter_all(handle)
    switch mode {
    case .archive: archive_read_support_format_all(handle)
    case .compressedFile: archive_read_support_format_raw(handle)
    }
    let status = archive_read_open_filename(handle, path, 1 << 16)
    // All stored properties are set, so a throw here runs deinit, which frees the handle.
    if status != ARCHIVE_OK {
      throw IOError.archive(source: path, detail: ArchiveReader.message(handle))
    }
  }

  deinit { archive_read_free(handle) }

  private static func message(_ handle: OpaquePointer) -> String {
    archive_error_string(handle).map { String(cString: $0) } ?? "unknown libarchive error"
  }

  private func check(_ status: Int32) throws {
    if status < ARCHIVE_WARN { throw IOError.archive(source: path, detail: Self.message(handle)) }
  }

  /// The next member's header, or `nil` after the last one.
  public func next() throws -> ArchiveEntry? {
    if finished { return nil }
    var entry: OpaquePointer?
    let status = archive_read_next_header(handle, &entry)
    if status == ARCHIVE_EOF {
      finished = true
      return nil
    }
    try check(status)
    guard let entry else { throw IOError.archive(source: path, detail: "missing entry header") }
    let name: String
    if let utf8 = archive_entry_pathname_utf8(entry) {
      name = String(cString: utf8)
    } else if let raw = archive_entry_pathname(entry) {
      name = String(decoding: UnsafeRawBufferPointer(start: raw, count: strlen(raw)), as: UTF8.self)
    } else {
      name = ""
    }
    let size: Int64? = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil
    let type = archive_entry_filetype(entry)
    return ArchiveEntry(
      name: name, size: size, isRegularFile: type == 0 || type == S_IFREG,
      headerOffset: archive_read_header_position(handle))
  }

  /// The current member's bytes; more than `limit` bytes is an error (e.g. a zip bomb).
  public func readData(limit: Int) throws -> [UInt8] {
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { archive_read_data(handle, $0.baseAddress, $0.count) }
      if count == 0 { break }
      if count < 0 { throw IOError.archive(source: path, detail: Self.message(handle)) }
      guard result.count + count <= limit else {
        throw IOError.tooLarge(
          source: path, what: "archive member", size: result.count + count, limit: limit)
      }
      result.append(contentsOf: chunk[0..<count])
    }
    return result
  }

  /// Skips the current member's data.
  public func skipData() throws {
    try check(archive_read_data_skip(handle))
  }
}

extension ArchiveReader {
  /// The decompressed content of a single compressed file (or the file itself when it is not
  /// compressed), refused when it expands past `limit` bytes.
  public static func decompressedContents(of path: String, limit: Int) throws -> [UInt8] {
    let reader = try ArchiveReader(path: path, mode: .compressedFile)
    guard try reader.next() != nil else { return [] }
    return try reader.readData(limit: limit)
  }
}
