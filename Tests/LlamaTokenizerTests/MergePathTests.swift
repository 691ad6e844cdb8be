@testable import LlamaTokenizer
import LlamaIO
import Testing

/// The id-based merger (the fast path every shipped model takes) and the byte-string merger
/// (sentencepiece's algorithm literally, used for unusual vocabularies) must agree exactly.
@Suite("merge paths")
struct MergePathTests {
  @Test("the byte-string merger reproduces the goldens too", arguments: Fixtures.models)
  func byteStringMerger(model: String) throws {
    let vocabulary = try SentencePieceModelFile(path: Fixtures.modelPath(model)).loadVocabulary()
    let exact = try SentencePieceTokenizer(vocabulary: vocabulary, mergeByIDs: false)
    let fast = try Fixtures.tokenizer(Fixtures.modelPath(model))
    #expect(exact.idTables == nil)
    #expect((fast as? SentencePieceTokenizer)?.idTables != nil)
    var cases = try GoldenCase.load("\(Fixtures.goldens)/\(model).jsonl")
    cases += try GoldenCase.load("\(Fixtures.goldens)/\(model).long.jsonl")
    var failures: [String] = []
    for c in cases where exact.encode(c.text) != c.ids { failures.append(shown(c.text)) }
    // A long text (cached spans, heap merges) must also agree between the two paths.
    let long = String(repeating: cases.map(\.text).joined(separator: "\n"), count: 2)
    let sameLong = exact.encode(long) == fast.encode(long)
    #expect(failures.isEmpty, "\(model): \(failures.count) differ: \(failures.prefix(5))")
    #expect(sameLong)
  }

  @Test("spans are never cut inside a piece")
  func spanBoundaries() throws {
    let vocabulary = try SentencePieceModelFile(path: Fixtures.modelPath("llama2")).loadVocabulary()
    let tokenizer = try SentencePieceTokenizer(vocabulary: vocabulary, mergeByIDs: false)
    let boundaries = try #require(tokenizer.spanBoundaries)
    // "▁the" is a piece: ▁ joins t; "e" and "▁" are adjacent in no Llama 2 piece.
    #expect(boundaries.joins(0x2581, UInt32(UInt8(ascii: "t"))))
    #expect(!boundaries.joins(UInt32(UInt8(ascii: "e")), 0x2581))
    var spans: [String] = []
    let text = Array("▁Hello▁world,▁the▁end".utf8)
    text.withUnsafeBufferPointer { buffer in
      boundaries.forEachSpan(buffer) { spans.append(String(decoding: buffer[$0..<$1], as: UTF8.self)) }
    }
    #expect(spans.joined() == "▁Hello▁world,▁the▁end")
    #expect(spans.contains("▁Hello") && spans.contains("▁the") && spans.contains("▁end"))
  }
}
