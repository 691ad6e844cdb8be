/// A JSON value. Parsed from text and written back only through json-c (`JSONC.swift`), so
/// that every JSON file LlamaKit reads or writes goes through one parser.
public enum JSON: Sendable, Equatable {
  case null
  case bool(Bool)
  /// An integer literal that fits in 64 bits.
  case int(Int64)
  /// Any other number.
  case double(Double)
  case string(String)
  case array([JSON])
  case object(JSONObject)

  /// Strings compare byte for byte (not by canonical equivalence); numbers by value and kind.
  public static func == (a: JSON, b: JSON) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.int(let x), .int(let y)): return x == y
    case (.double(let x), .double(let y)): return x == y || x.bitPattern == y.bitPattern
    case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)): return x == y
    default: return false
    }
  }
}

/// A JSON object that keeps its keys in file order (json-c keeps insertion order too). Keys
/// are compared byte for byte, not by Swift's canonical equivalence: "ί" (U+1F77) and "ί"
/// (U+03AF) are different keys, as they are in every tokenizer vocabulary.
public struct JSONObject: Sendable, Equatable {
  public struct Entry: Sendable {
    public var key: String
    public var value: JSON
  }

  public private(set) var entries: [Entry] = []
  private var index: [[UInt8]: Int] = [:]

  public init() {}

  public init(_ pairs: [(String, JSON)]) {
    for (key, value) in pairs { self[key] = value }
  }

  public var count: Int { entries.count }
  public var keys: [String] { entries.map(\.key) }

  /// Setting a key that exists replaces its value in place; a new key goes at the end;
  /// setting `nil` removes the key.
  public subscript(key: String) -> JSON? {
    get { index[Array(key.utf8)].map { entries[$0].value } }
    set {
      let bytes = Array(key.utf8)
      if let position = index[bytes] {
        if let newValue {
          entries[position].value = newValue
        } else {
          entries.remove(at: position)
          index = [:]
          for (i, entry) in entries.enumerated() { index[Array(entry.key.utf8)] = i }
        }
      } else if let newValue {
        index[bytes] = entries.count
        entries.append(Entry(key: key, value: newValue))
      }
    }
  }

  public static func == (a: JSONObject, b: JSONObject) -> Bool {
    a.entries.count == b.entries.count
      && zip(a.entries, b.entries).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && $0.value == $1.value }
  }
}

extension JSON {
  /// A number from a `Float`, written with the shortest decimal text that reads back as the same
  /// `Float` (0.1 rather than 0.10000000149011612). Non-finite values become `null`: JSON has
  /// no NaN or infinity.
  public static func number(_ value: Float) -> JSON {
    guard value.isFinite else { return .null }
    return .double(Double("\(value)") ?? Double(value))
  }

  public static func number(_ value: Double) -> JSON {
    value.isFinite ? .double(value) : .null
  }

  public static func number<I: BinaryInteger>(_ value: I) -> JSON { .int(Int64(value)) }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }
  public var boolValue: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }
  public var intValue: Int64? {
    switch self {
    case .int(let i): return i
    case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int64(d)
    default: return nil
    }
  }
  public var doubleValue: Double? {
    switch self {
    case .int(let i): return Double(i)
    case .double(let d): return d
    default: return nil
    }
  }
  public var arrayValue: [JSON]? {
    if case .array(let a) = self { return a }
    return nil
  }
  public var objectValue: JSONObject? {
    if case .object(let o) = self { return o }
    return nil
  }
  public var isNull: Bool {
    if case .null = self { return true }
    return false
  }

  /// `self[key]` for objects, `nil` for anything else.
  public subscript(key: String) -> JSON? { objectValue?[key] }

  /// The name of the value's kind, for error messages ("a string", "an array", …).
  public var kindName: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .int, .double: return "a number"
    case .string: return "a string"
    case .array: return "an array"
    case .object: return "an object"
    }
  }
}
