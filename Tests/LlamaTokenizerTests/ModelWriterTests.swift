import LlamaIO
import LlamaTokenizer
import Testing

@Suite("tokenizer.model writer")
struct ModelWriterTests {
  static let models = ["llama2", "chinese-llama2", "mistral-v0.3", "yi", "internlm-v1", "spm-bpe-1k", "spm-bpe-nfkc"]

  @Test("every fixture model, serialized and read back, is the same vocabulary and encodes the same", arguments: ModelWriterTests.models)
  func roundTrip(model: String) throws {
    let path = Fixtures.modelPath(model)
    let original = try SentencePieceModelFile(path: path).loadVocabulary()
    let bytes = SentencePieceModelWriter.serialize(original)
    let copy = try bytes.withUnsafeBytes { try SentencePieceModelFile.parse($0, origin: "serialized \(model)") }
    #expect(copy.pieces == original.pieces)
    #expect(copy.scores == original.scores)
    #expect(copy.types == original.types)
    #expect(copy.trainer == original.trainer)
    #expect(copy.normalizer == original.normalizer)
    #expect(copy.denormalizer == original.denormalizer)
    let text = "Hello  world! 1234 数字 —  \u{00E9}t\u{00E9}\n\ttabs"
    let a = try SentencePieceTokenizer(vocabulary: original), b = try SentencePieceTokenizer(vocabulary: copy)
    #expect(a.encode(text) == b.encode(text))
  }
}
