#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import LlamaIO

/// Buffered standard output: commands write through this so that large outputs (a million ids)
/// are not written a few bytes at a time.
enum StandardOutput {
  nonisolated(unsafe) private static var buffer: [UInt8] = []

  static func write(_ text: String) {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= 1 << 16 { flush() }
  }

  static func flush() {
    guard !buffer.isEmpty else { return }
    buffer.withUnsafeBytes { bytes in
      var offset = 0
      while offset < bytes.count {
        let n = Glibc.write(1, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          break
        }
        offset += n
      }
    }
    buffer.removeAll(keepingCapacity: true)
  }
}

enum StandardError {
  static func write(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
  }
}

/// Reads all of standard input.
func readStandardInput() throws -> [UInt8] {
  var result: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
    if n == 0 { break }
    if n < 0 {
      if errno == EINTR { continue }
      throw IOError.cannotOpen(path: "<stdin>", reason: String(cString: strerror(errno)))
    }
    result.append(contentsOf: chunk[0..<n])
  }
  return result
}
