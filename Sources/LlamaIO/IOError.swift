/// Every failure LlamaIO reports. Each case names the file (or stream) it is about, so that the
/// message printed by the command-line tool is one self-contained line.
public enum IOError: Error, Sendable, Equatable {
  /// The file could not be opened, read or mapped; `reason` is the system's message.
  case cannotOpen(path: String, reason: String)
  /// The path exists but is not a regular file (a folder, a device, …).
  case notARegularFile(path: String)
  /// A read needed more bytes than the input has left.
  case truncated(source: String, offset: Int, what: String, needed: Int, available: Int)
  /// A value read from the input is not acceptable.
  case invalidValue(source: String, offset: Int, what: String, detail: String)
  /// Something read from the input would be larger than the documented cap.
  case tooLarge(source: String, what: String, size: Int, limit: Int)
  /// The JSON text is not valid JSON (json-c's message), or not of the expected shape.
  case invalidJSON(source: String, detail: String)
  /// libarchive could not read the archive (its message).
  case archive(source: String, detail: String)
  /// Writing an output file failed.
  case cannotWrite(path: String, reason: String)
  /// The output exists and overwriting was not asked for.
  case outputExists(path: String)
}

extension IOError: CustomStringConvertible {
  public var description: String {
    switch self {
    case .cannotOpen(let path, let reason):
      return "\(path): cannot open: \(reason)"
    case .notARegularFile(let path):
      return "\(path): not a regular file"
    case .truncated(let source, let offset, let what, let needed, let available):
      return "\(source): truncated at byte \(offset): \(what) needs \(needed) bytes, \(available) left"
    case .invalidValue(let source, let offset, let what, let detail):
      return "\(source): invalid \(what) at byte \(offset): \(detail)"
    case .tooLarge(let source, let what, let size, let limit):
      return "\(source): \(what) is too large (\(size) bytes, limit \(limit))"
    case .invalidJSON(let source, let detail):
      return "\(source): invalid JSON: \(detail)"
    case .archive(let source, let detail):
      return "\(source): cannot read archive: \(detail)"
    case .cannotWrite(let path, let reason):
      return "\(path): cannot write: \(reason)"
    case .outputExists(let path):
      return "\(path): already exists (use --force to overwrite)"
    }
  }
}

#if canImport(Foundation)
  import Foundation
  extension IOError: LocalizedError {
    public var errorDescription: String? { description }
  }
#endif
