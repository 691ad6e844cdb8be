import CJSONC

// The only file that calls json-c. It turns json-c's return codes into `IOError`s and converts
// between json-c's objects and the `JSON` value type.

extension JSON {
  /// Nesting deeper than this is rejected by json-c's tokener (no recursion past it).
  public static let maximumDepth: Int32 = 256
  /// json-c takes the input length as an `int`; larger inputs are refused up front.
  public static let maximumInputSize = Int(Int32.max) - 1
  /// json-c spends about 100 bytes per value (a 100 MB array of zeros took 4.8 GB), so texts
  /// with more values than this are refused before parsing. The largest real inputs, the
  /// tokenizer.json of a 256k vocabulary with its merges, hold under 2 million.
  public static let maximumValues = 1 << 22

  /// An upper bound on the number of values in a JSON text: one per ',', '[' and '{' outside
  /// strings, plus one. Stops counting past `maximumValues`.
  public static func valueCount(_ bytes: UnsafeRawBufferPointer) -> Int {
    var count = 1
    var inString = false, escaped = false
    for byte in bytes {
      if inString {
        if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
      } else if byte == 0x22 {
        inString = true
      } else if byte == 0x2C || byte == 0x5B || byte == 0x7B {
        count += 1
        if count > maximumValues { break }
      }
    }
    return count
  }

  /// Parses one JSON text (UTF-8, whitespace around it allowed). `source` names the input in
  /// errors.
  public static func parse(_ bytes: UnsafeRawBufferPointer, source: String) throws -> JSON {
    guard bytes.count <= maximumInputSize else {
      throw IOError.tooLarge(
        source: source, what: "JSON text", size: bytes.count, limit: maximumInputSize)
    }
    guard valueCount(bytes) <= maximumValues else {
      throw IOError.invalidJSON(source: source, detail: "more than \(maximumValues) values (refused: parsing would take too much memory)")
    }
    guard let tokener = json_tokener_new_ex(maximumDepth) else {
      throw IOError.invalidJSON(source: source, detail: "json-c could not allocate a tokener")
    }
    defer { json_tokener_free(tokener) }
    json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8)

    let length = bytes.count
    let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
    let empty: [CChar] = [0]
    let object: OpaquePointer? = empty.withUnsafeBufferPointer { fallback in
      json_tokener_parse_ex(tokener, base ?? fallback.baseAddress, Int32(length))
    }
    let status = json_tokener_get_error(tokener)
    guard let object, status == json_tokener_success else {
      if status == json_tokener_continue || status == json_tokener_success {
        throw IOError.invalidJSON(source: source, detail: "unexpected end of input")
      }
      let offset = json_tokener_get_parse_end(tokener)
      let text = json_tokener_error_desc(status).map { String(cString: $0) } ?? "error"
      throw IOError.invalidJSON(source: source, detail: "\(text) (at byte \(offset))")
    }
    defer { json_object_put(object) }
    var end = Int(json_tokener_get_parse_end(tokener))
    while end < length {
      let byte = bytes[end]
      guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else {
        throw IOError.invalidJSON(
          source: source, detail: "unexpected data after the JSON value (at byte \(end))")
      }
      end += 1
    }
    return try JSON(converting: object, source: source)
  }

  public static func parse(_ text: String, source: String) throws -> JSON {
    var text = text
    return try text.withUTF8 { try parse(UnsafeRawBufferPointer($0), source: source) }
  }

  public static func parse(contentsOf path: String) throws -> JSON {
    try MappedFile(path: path).withUnsafeBytes { try parse($0, source: path) }
  }

  /// Converts a json-c object into a `JSON` value. Depth is bounded by the tokener's limit.
  private init(converting object: OpaquePointer?, source: String) throws {
    guard let object else {
      self = .null
      return
    }
    switch json_object_get_type(object) {
    case json_type_null:
      self = .null
    case json_type_boolean:
      self = .bool(json_object_get_boolean(object) != 0)
    case json_type_int:
      self = .int(json_object_get_int64(object))
    case json_type_double:
      self = .double(json_object_get_double(object))
    case json_type_string:
      self = .string(try JSON.string(of: object, source: source))
    case json_type_array:
      let count = json_object_array_length(object)
      var items: [JSON] = []
      items.reserveCapacity(count)
      for i in 0..<count {
        items.append(try JSON(converting: json_object_array_get_idx(object, i), source: source))
      }
      self = .array(items)
    case json_type_object:
      var result = JSONObject()
      var iterator = json_object_iter_begin(object)
      var end = json_object_iter_end(object)
      while json_object_iter_equal(&iterator, &end) == 0 {
        let key = json_object_iter_peek_name(&iterator).map { String(cString: $0) } ?? ""
        result[key] = try JSON(
          converting: json_object_iter_peek_value(&iterator), source: source)
        json_object_iter_next(&iterator)
      }
      self = .object(result)
    default:
      throw IOError.invalidJSON(source: source, detail: "unknown json-c value type")
    }
  }

  private static func string(of object: OpaquePointer, source: String) throws -> String {
    let length = Int(json_object_get_string_len(object))
    guard length > 0, let pointer = json_object_get_string(object) else { return "" }
    let raw = UnsafeRawBufferPointer(start: pointer, count: length)
    // An escaped lone surrogate (\ud800) leaves bytes that are not UTF-8.
    guard let text = String(validating: raw, as: UTF8.self) else {
      throw IOError.invalidJSON(source: source, detail: "a string is not valid Unicode")
    }
    return text
  }
}

extension JSON {
  /// Serializes the value with json-c: compact on one line, or indented with `pretty`.
  /// Slashes are not escaped; non-ASCII text is written as UTF-8.
  public func serialized(pretty: Bool = false) -> String {
    let object = makeJSONC()
    defer { json_object_put(object) }
    var flags = JSON_C_TO_STRING_NOSLASHESCAPE
    flags |= pretty ? (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED) : JSON_C_TO_STRING_PLAIN
    var length = 0
    guard let text = json_object_to_json_string_length(object, flags, &length) else {
      return "null"
    }
    let bytes = UnsafeRawBufferPointer(start: text, count: length)
    return String(decoding: escapingLineSeparators(bytes), as: UTF8.self)
  }

  /// json-c writes U+0085, U+2028 and U+2029 raw. They are valid in JSON strings, but many
  /// line splitters (Python's `splitlines`, JavaScript before ES2019) break lines there, so
  /// JSON Lines output writes them as `\u` escapes. They can only occur inside strings.
  private func escapingLineSeparators(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      if b == 0xC2, i + 1 < bytes.count, bytes[i + 1] == 0x85 {
        out.append(contentsOf: Array("\\u0085".utf8))
        i += 2
      } else if b == 0xE2, i + 2 < bytes.count, bytes[i + 1] == 0x80,
        bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9
      {
        out.append(contentsOf: Array((bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8))
        i += 3
      } else {
        out.append(b)
        i += 1
      }
    }
    return out
  }

  /// A new json-c object owning one reference; the caller releases it with `json_object_put`.
  private func makeJSONC() -> OpaquePointer? {
    switch self {
    case .null:
      return nil
    case .bool(let b):
      return json_object_new_boolean(b ? 1 : 0)
    case .int(let i):
      return json_object_new_int64(i)
    case .double(let d):
      guard d.isFinite else { return nil }
      // Swift's shortest round-trip text; json-c would otherwise print 17 digits.
      var text = "\(d)"
      if text.hasSuffix(".0") { text.removeLast(2) }
      return json_object_new_double_s(d, text)
    case .string(let s):
      var s = s
      return s.withUTF8 { buffer in
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return json_object_new_string("") }
        return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
          json_object_new_string_len($0, Int32(clamping: buffer.count))
        }
      }
    case .array(let items):
      let array = json_object_new_array_ext(Int32(clamping: items.count))
      for item in items { json_object_array_add(array, item.makeJSONC()) }
      return array
    case .object(let object):
      let result = json_object_new_object()
      for entry in object.entries {
        json_object_object_add(result, entry.key, entry.value.makeJSONC())
      }
      return result
    }
  }
}
