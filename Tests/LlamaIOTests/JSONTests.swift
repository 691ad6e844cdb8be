import LlamaIO
import Testing

@Suite("JSON through json-c")
struct JSONTests {
  @Test("parse and serialize keep values, order and exact strings")
  func roundTrip() throws {
    let text = #"{"b": [1, -2, 3.5, 1e300, true, false, null], "a": "h\u00e9\u0000llo \ud83d\ude00 /", "\u1f77": 1, "\u03af": 2, "nested": {"x": {}}}"#
    let value = try JSON.parse(text, source: "t.json")
    let object = try #require(value.objectValue)
    // Canonically equivalent keys stay distinct (compared as bytes).
    #expect(object.count == 5)
    #expect(object["\u{1F77}"] == .int(1))
    #expect(object["\u{03AF}"] == .int(2))
    #expect(object["a"] == .string("hé\u{0}llo 😀 /"))
    #expect(object["b"] == .array([.int(1), .int(-2), .double(3.5), .double(1e300), .bool(true), .bool(false), .null]))
    let again = try JSON.parse(value.serialized(), source: "again")
    #expect(again == value)
    #expect(try JSON.parse(value.serialized(pretty: true), source: "pretty") == value)
    #expect(JSON.object(JSONObject([("s", .string("a/b"))])).serialized() == #"{"s":"a/b"}"#)
  }

  @Test("numbers print short; line separators are escaped; non-finite becomes null")
  func serialization() throws {
    #expect(JSON.array([.number(Float(0.1)), .number(Float(-1e9)), .number(Float.nan), .double(2.5)]).serialized()
      == "[0.1,-1000000000,null,2.5]")
    #expect(JSON.string("a\u{2028}b\u{85}c\u{2029}").serialized() == #""a\u2028b\u0085c\u2029""#)
    #expect(try JSON.parse(JSON.string("a\u{2028}b").serialized(), source: "x") == .string("a\u{2028}b"))
  }

  @Test("invalid JSON is an error naming the source", arguments: [
    "", "{", "[1,]", "{\"a\" 1}", "nul", "\"abc", "[1] 2", "'a'",
    String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
  ])
  func invalid(text: String) {
    #expect(throws: IOError.self) { _ = try JSON.parse(text, source: "bad.json") }
    do {
      _ = try JSON.parse(text, source: "bad.json")
    } catch {
      #expect("\(error)".hasPrefix("bad.json: invalid JSON: "))
    }
  }

  @Test("an escaped lone surrogate becomes U+FFFD (json-c's choice)")
  func loneSurrogate() throws {
    #expect(try JSON.parse(#"["\ud800x"]"#, source: "s.json") == .array([.string("\u{FFFD}x")]))
  }

  @Test("invalid UTF-8 input is refused")
  func invalidUTF8() {
    let bytes: [UInt8] = [0x22, 0xFF, 0x22]
    #expect(throws: IOError.self) {
      _ = try bytes.withUnsafeBytes { try JSON.parse($0, source: "bad.json") }
    }
  }

  @Test("texts with more values than the cap are refused before json-c allocates them; commas in strings do not count")
  func valueCap() throws {
    let count = JSON.maximumValues + 1
    let many = "[" + String(repeating: "0,", count: count - 1) + "0]"
    #expect(throws: IOError.invalidJSON(source: "many.json", detail: "more than \(JSON.maximumValues) values (refused: parsing would take too much memory)")) {
      _ = try JSON.parse(many, source: "many.json")
    }
    let commas = "[\"" + String(repeating: ",[{", count: count) + "\\\", \"]"
    #expect(try JSON.parse(commas, source: "commas.json").arrayValue?.count == 1)
  }

  @Test("object keys: replace in place, append, remove")
  func objectEditing() {
    var object = JSONObject([("a", .int(1)), ("b", .int(2))])
    object["a"] = .int(3)
    object["c"] = .null
    object["b"] = nil
    #expect(object.keys == ["a", "c"])
    #expect(object["a"] == .int(3))
    #expect(object["c"] == .null)
    #expect(object["b"] == nil)
  }
}
