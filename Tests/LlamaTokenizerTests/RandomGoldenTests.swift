import LlamaIO
import LlamaTokenizer
import Testing

/// Random texts and id lists encoded and decoded by sentencepiece 0.2.3 and tokenizers 0.23.3
/// (made by Tests/Fixtures/tokenizers/tools/make_random_goldens.py).
@Suite("random-text goldens")
struct RandomGoldenTests {
  static let files: [(golden: String, tokenizer: String)] =
    Fixtures.models.map { ($0, Fixtures.modelPath($0)) } + [
      ("llama2.hf5", Fixtures.tokenizers + "/llama2/tokenizer.json.xz"),
      ("llama2.hf4-legacy", Fixtures.tokenizers + "/llama2/hf-transformers-4.57.6-legacy/tokenizer.json.xz"),
    ]

  @Test("same ids and decoded text as the reference library", arguments: files)
  func randomGoldens(golden: String, tokenizer path: String) throws {
    let tokenizer = try Fixtures.tokenizer(path)
    let rows = try Fixtures.jsonLines("\(Fixtures.goldens)/random/\(golden).jsonl")
    var encoded = 0
    var decoded = 0
    var failures: [String] = []
    for row in rows {
      if let text = row["text"]?.stringValue {
        let want = row["ids"]!.arrayValue!.map { TokenID($0.intValue!) }
        let got = tokenizer.encode(text)
        encoded += 1
        if got != want { failures.append("encode \(shown(text))") }
        if let text = row["decoded"]?.stringValue, !sameBytes(try tokenizer.decode(want), text) {
          failures.append("decode of \(shown(text))")
        }
      } else if let ids = row["decode_ids"]?.arrayValue {
        let want = row["decoded"]!.stringValue!
        decoded += 1
        let got = try tokenizer.decode(ids.map { TokenID($0.intValue!) })
        if !sameBytes(got, want) { failures.append("decode \(ids.prefix(6)) → \(shown(got)), expected \(shown(want))") }
      }
    }
    #expect(encoded >= 100 && decoded >= 25)
    #expect(failures.isEmpty, "\(golden): \(failures.count) failures: \(failures.prefix(5))")
  }
}
