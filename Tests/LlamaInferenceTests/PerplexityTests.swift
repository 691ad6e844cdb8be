import Foundation
import LlamaIO
import LlamaInference
import LlamaKit
import Testing

@Suite("perplexity against llama-perplexity")
struct PerplexityTests {
  /// llama-perplexity's figure for `file` at n_ctx 128, first 40 chunks.
  static func llamaCppPerplexity(_ file: String, reference: String) throws -> Double {
    let json = try JSON.parse(contentsOf: reference)
    return try #require(json["llama_cpp"]?["\(file)|ctx128_first40"]?["ppl"]?.doubleValue)
  }

  @Test("M0 quantized GGUF: within 0.2% of llama-perplexity on the first 40 chunks of WikiText-2 at n_ctx 128", arguments: ["Q4_K_M", "Q4_0"])
  func m0Quantized(type: String) throws {
    let path = Fixtures.m0 + "/gguf/m0.\(type).gguf"
    let text = try String(contentsOfFile: Fixtures.models + "/../corpora/wiki.test.raw.head", encoding: .utf8)
    let tokenizer = try ModelFiles.tokenizer(path)
    let tokens = [1] + tokenizer.encode(text).map(Int.init)
    let reader = try ModelFiles.open(path)
    let session = try InferenceSession(model: try LlamaModel(config: reader.config, tensors: reader), contextLength: 128, threads: 2)
    let (ppl, scored) = try chunkedPerplexity(session, tokens: tokens, context: 128, chunks: 40, bos: 1)
    #expect(scored == 2520)
    let expected = try Self.llamaCppPerplexity("m0.\(type).gguf", reference: Fixtures.m0 + "/reference/perplexity.json")
    #expect(abs(ppl / expected - 1) <= 0.002, "perplexity \(ppl), llama-perplexity \(expected)")
    print("m0 \(type): perplexity \(ppl), llama-perplexity \(expected), ratio \(ppl / expected)")
  }
}
