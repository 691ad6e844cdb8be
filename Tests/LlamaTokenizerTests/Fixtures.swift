import Foundation
import LlamaIO
import LlamaTokenizer
import Synchronization

/// Test data under Tests/Fixtures (copied from the project's reference data; see the README
/// there for provenance).
enum Fixtures {
  static let root: String = {
    let file = URL(fileURLWithPath: #filePath)
    return file.deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures").path
  }()

  static let tokenizers = root + "/tokenizers"
  static let goldens = tokenizers + "/goldens"

  /// The seven SentencePiece models with golden encodings.
  static let models = [
    "llama2", "mistral-v0.3", "chinese-llama2", "internlm-v1", "yi", "spm-bpe-1k", "spm-bpe-nfkc",
  ]

  static func modelPath(_ name: String) -> String { "\(tokenizers)/\(name)/tokenizer.model" }

  private static let cache = Mutex<[String: any Tokenizer]>([:])

  /// Loaded once per path and shared by the tests.
  static func tokenizer(_ path: String) throws -> any Tokenizer {
    if let hit = cache.withLock({ $0[path] }) { return hit }
    let loaded = try TokenizerLoader.load(path: path)
    cache.withLock { $0[path] = loaded }
    return loaded
  }

  /// One object per line of a JSON Lines golden file.
  static func jsonLines(_ path: String) throws -> [JSONObject] {
    try MappedFile(path: path).withUnsafeBytes { bytes in
      var result: [JSONObject] = []
      var start = 0
      while start < bytes.count {
        var end = start
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        if end > start {
          let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
          guard let object = try JSON.parse(line, source: path).objectValue else {
            throw IOError.invalidJSON(source: path, detail: "line is not an object")
          }
          result.append(object)
        }
        start = end + 1
      }
      return result
    }
  }
}

/// A golden encode case.
struct GoldenCase {
  var category: String
  var text: String
  var ids: [TokenID]
  var pieces: [String]
  var decoded: String

  init(_ object: JSONObject) {
    category = object["category"]?.stringValue ?? ""
    text = object["text"]?.stringValue ?? ""
    ids = (object["ids"]?.arrayValue ?? []).map { TokenID($0.intValue!) }
    pieces = (object["pieces"]?.arrayValue ?? []).map { $0.stringValue! }
    decoded = object["decoded"]?.stringValue ?? ""
  }

  static func load(_ file: String) throws -> [GoldenCase] {
    try Fixtures.jsonLines(file).map(GoldenCase.init)
  }
}

/// Byte-exact string equality (Swift's == treats canonically equivalent strings as equal).
func sameBytes(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

func sameBytes(_ a: [String], _ b: [String]) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy(sameBytes)
}

/// A short, visible form of a text for failure messages.
func shown(_ text: String, limit: Int = 60) -> String {
  let escaped = text.unicodeScalars.map { s -> String in
    s.value < 0x20 || s.value == 0x7F ? "\\u{\(String(s.value, radix: 16))}" : String(s)
  }.joined()
  return escaped.count > limit ? String(escaped.prefix(limit)) + "…" : escaped
}
