import LlamaIO

/// JSON Lines input: one JSON object per line, blank lines skipped. Errors name the file and
/// the line.
enum JSONLines {
  struct LineError: Error, CustomStringConvertible {
    let source: String
    let line: Int
    let detail: String
    var description: String { "\(source):\(line): \(detail)" }
  }

  /// Calls `body` with each object and its line number.
  static func forEachObject(in path: String, _ body: (JSONObject, Int) throws -> Void) throws {
    let source = path == "-" ? "<stdin>" : path
    let bytes = try TextInput.bytes(of: path)
    try bytes.withUnsafeBytes { all in
      var lineNumber = 0
      var start = 0
      while start < all.count {
        lineNumber += 1
        var end = start
        while end < all.count && all[end] != 0x0A { end += 1 }
        let line = UnsafeRawBufferPointer(rebasing: all[start..<end])
        start = end + 1
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
        let value: JSON
        do {
          value = try JSON.parse(line, source: source)
        } catch let error as IOError {
          if case .invalidJSON(_, let detail) = error {
            throw LineError(source: source, line: lineNumber, detail: "invalid JSON: \(detail)")
          }
          throw error
        }
        guard let object = value.objectValue else {
          throw LineError(source: source, line: lineNumber, detail: "expected a JSON object, found \(value.kindName)")
        }
        try body(object, lineNumber)
      }
    }
  }
}
