import LlamaIO
import LlamaTokenizer
import Testing

/// Every golden case made with sentencepiece 0.2.3 (Tests/Fixtures/tokenizers/goldens) must
/// give the same ids, pieces and decoded text.
@Suite("sentencepiece goldens")
struct GoldenEncodingTests {
  @Test("encode cases: ids, pieces and decoded text", arguments: Fixtures.models)
  func encodeCases(model: String) throws {
    try checkEncodeCases(model: model, file: "\(Fixtures.goldens)/\(model).jsonl")
  }

  @Test("long documents", arguments: Fixtures.models)
  func longDocuments(model: String) throws {
    try checkEncodeCases(model: model, file: "\(Fixtures.goldens)/\(model).long.jsonl")
  }

  @Test("decode-only cases", arguments: Fixtures.models)
  func decodeCases(model: String) throws {
    let tokenizer = try Fixtures.tokenizer(Fixtures.modelPath(model))
    let cases = try GoldenCase.load("\(Fixtures.goldens)/\(model).decode.jsonl")
    #expect(cases.count >= 18)
    var failures: [String] = []
    for c in cases {
      let decoded = try tokenizer.decode(c.ids)
      if !sameBytes(decoded, c.decoded) {
        failures.append("\(c.ids.prefix(8)): got \(shown(decoded)), expected \(shown(c.decoded))")
      }
      if !sameBytes(tokenizer.pieces(c.ids), c.pieces) { failures.append("pieces of \(c.ids.prefix(8))") }
    }
    #expect(failures.isEmpty, "\(model): \(failures.count) of \(cases.count) differ: \(failures.prefix(5))")
  }

  func checkEncodeCases(model: String, file: String) throws {
    let tokenizer = try Fixtures.tokenizer(Fixtures.modelPath(model))
    let cases = try GoldenCase.load(file)
    #expect(!cases.isEmpty)
    var failures: [String] = []
    for c in cases {
      let ids = tokenizer.encode(c.text)
      if ids != c.ids {
        failures.append("[\(c.category)] \(shown(c.text)): got \(ids.prefix(12)), expected \(c.ids.prefix(12))")
        continue
      }
      if !sameBytes(tokenizer.pieces(ids), c.pieces) {
        failures.append("[\(c.category)] \(shown(c.text)): pieces differ")
      }
      let decoded = try tokenizer.decode(ids)
      if !sameBytes(decoded, c.decoded) {
        failures.append("[\(c.category)] \(shown(c.text)): decoded \(shown(decoded)), expected \(shown(c.decoded))")
      }
    }
    #expect(failures.isEmpty, "\(model): \(failures.count) of \(cases.count) differ: \(failures.prefix(5))")
  }
}
