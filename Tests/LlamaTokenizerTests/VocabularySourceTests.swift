import LlamaIO
import LlamaTokenizer
import Testing

/// The Llama 2 vocabulary from llama2.c's tokenizer.bin and from Hugging Face tokenizer.json
/// files, against the sentencepiece goldens.
@Suite("other vocabulary sources")
struct VocabularySourceTests {
  static let llama2 = Fixtures.tokenizers + "/llama2"

  static func llama2Cases() throws -> [GoldenCase] {
    try GoldenCase.load("\(Fixtures.goldens)/llama2.jsonl")
      + GoldenCase.load("\(Fixtures.goldens)/llama2.long.jsonl")
  }

  @Test("tokenizer.bin gives the same pieces and ids as tokenizer.model")
  func llama2CTokenizer() throws {
    let bin = try Fixtures.tokenizer(Self.llama2 + "/tokenizer.bin")
    let model = try Fixtures.tokenizer(Self.llama2 + "/tokenizer.model")
    #expect(bin.vocabulary.count == 32000)
    #expect(sameBytes(bin.vocabulary.pieces, model.vocabulary.pieces))
    #expect(bin.vocabulary.types == model.vocabulary.types)
    #expect(bin.vocabulary.scores! == model.vocabulary.scores!)
    var failures: [String] = []
    let cases = try Self.llama2Cases()
    for c in cases where bin.encode(c.text) != c.ids { failures.append(shown(c.text)) }
    #expect(failures.isEmpty, "\(failures.count) of \(cases.count) differ: \(failures.prefix(5))")
  }

  /// HF `tokenizers` 0.23.3 ids: those of the diff file where it lists the text, the
  /// sentencepiece ids everywhere else.
  @Test(
    "tokenizer.json is applied as the tokenizers library applies it",
    arguments: [
      ("tokenizer.json.xz", "llama2.hf5-diff.jsonl", 34),
      ("hf-transformers-4.57.6-legacy/tokenizer.json.xz", "llama2.hf4-legacy-diff.jsonl", 8),
    ])
  func huggingFaceTokenizer(file: String, diffFile: String, differing: Int) throws {
    let tokenizer = try Fixtures.tokenizer("\(Self.llama2)/\(file)")
    var expected: [[UInt8]: [TokenID]] = [:]
    var decodedOfSentencePieceIDs: [[UInt8]: String] = [:]
    for object in try Fixtures.jsonLines("\(Fixtures.goldens)/\(diffFile)") {
      let text = Array(object["text"]!.stringValue!.utf8)
      expected[text] = object["hf_ids"]!.arrayValue!.map { TokenID($0.intValue!) }
      decodedOfSentencePieceIDs[text] = object["hf_decoded_of_sp_ids"]!.stringValue!
    }
    #expect(expected.count == differing)
    var failures: [String] = []
    var checkedDiffs = 0
    let cases = try Self.llama2Cases()
    for c in cases {
      let key = Array(c.text.utf8)
      let want = expected[key] ?? c.ids
      if expected[key] != nil { checkedDiffs += 1 }
      let got = tokenizer.encode(c.text)
      if got != want { failures.append("\(shown(c.text)): got \(got.prefix(10)), expected \(want.prefix(10))") }
      let decoded = try tokenizer.decode(c.ids)
      let wantDecoded = decodedOfSentencePieceIDs[key] ?? c.decoded
      if !sameBytes(decoded, wantDecoded) {
        failures.append("decode of \(shown(c.text)): got \(shown(decoded)), expected \(shown(wantDecoded))")
      }
    }
    #expect(checkedDiffs == differing)
    #expect(failures.isEmpty, "\(failures.count) failures: \(failures.prefix(5))")
  }

  @Test("tokenizer.json vocabulary matches tokenizer.model piece for piece")
  func huggingFaceVocabulary() throws {
    let json = try Fixtures.tokenizer(Self.llama2 + "/tokenizer.json.xz").vocabulary
    let model = try Fixtures.tokenizer(Self.llama2 + "/tokenizer.model").vocabulary
    #expect(sameBytes(json.pieces, model.pieces))
    // The transformers 5 file has no unk_token: <unk> is only a special added token there.
    #expect(json.types[0] == .control)
    #expect(json.types.dropFirst() == model.types.dropFirst())
    #expect(json.scores == nil)
    #expect(json.specialIDs.bos == 1 && json.specialIDs.eos == 2 && json.specialIDs.unk == nil)
    let legacy = try Fixtures.tokenizer(Self.llama2 + "/hf-transformers-4.57.6-legacy/tokenizer.json.xz")
    #expect(legacy.vocabulary.types == model.types)
    #expect(legacy.vocabulary.specialIDs.unk == 0)
  }
}
