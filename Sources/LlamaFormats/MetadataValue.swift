import LlamaIO

/// A metadata value as the file stores it (GGUF key/value, a config.json field, …), with its
/// type kept so that `inspect` can show it verbatim.
public indirect enum MetadataValue: Sendable, Equatable {
  /// A signed or unsigned integer that fits in Int64, with the file's type name ("u32", "i64", …).
  case integer(Int64, type: String)
  /// A u64 above Int64.max.
  case unsigned(UInt64)
  case float(Double, type: String)
  case bool(Bool)
  case string(String)
  case array([MetadataValue], elementType: String)
  /// JSON null (a config.json field left empty).
  case none

  public var intValue: Int64? {
    if case .integer(let value, _) = self { return value }
    return nil
  }
  public var doubleValue: Double? {
    switch self {
    case .float(let value, _): return value
    case .integer(let value, _): return Double(value)
    default: return nil
    }
  }
  public var stringValue: String? {
    if case .string(let value) = self { return value }
    return nil
  }
  public var boolValue: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }
  public var arrayValue: [MetadataValue]? {
    if case .array(let values, _) = self { return values }
    return nil
  }

  /// The type name ("u32", "string", "array[string]").
  public var typeName: String {
    switch self {
    case .integer(_, let type): return type
    case .unsigned: return "u64"
    case .float(_, let type): return type
    case .bool: return "bool"
    case .string: return "string"
    case .array(_, let element): return "array[\(element)]"
    case .none: return "null"
    }
  }

  /// As JSON; arrays longer than `arrayLimit` become a summary object
  /// (`{"type": …, "count": …, "first": […]}`) so that a vocabulary does not flood the output.
  public func json(arrayLimit: Int? = nil) -> JSON {
    switch self {
    case .integer(let value, _): return .int(value)
    case .unsigned(let value): return .double(Double(value))
    case .float(let value, let type): return type == "f32" ? .number(Float(value)) : .number(value)
    case .bool(let value): return .bool(value)
    case .string(let value): return .string(value)
    case .array(let values, let element):
      if let arrayLimit, values.count > arrayLimit {
        return .object(JSONObject([
          ("type", .string("array[\(element)]")), ("count", .int(Int64(values.count))),
          ("first", .array(values.prefix(8).map { $0.json() })),
        ]))
      }
      return .array(values.map { $0.json(arrayLimit: arrayLimit) })
    case .none: return .null
    }
  }
}

/// One metadata entry, in file order.
public struct MetadataEntry: Sendable, Equatable {
  public var key: String
  public var value: MetadataValue
  public init(_ key: String, _ value: MetadataValue) {
    self.key = key
    self.value = value
  }
}
