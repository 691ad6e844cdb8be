import Foundation
import LlamaCore
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

  @Test("M0 → Q4_K_M and Q5_K_M written by LlamaKit: perplexity within 0.5% of llama-quantize's files' (llama-perplexity)", arguments: ["Q4_K_M", "Q5_K_M"])
  func convertedKQuants(type: String) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-kquant-\(getpid())-\(type)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/m0.\(type).gguf"
    try GGUFConversion.write(try ModelFiles.open(Fixtures.m0 + "/hf"), to: path, plan: try #require(WeightTypePlan.named(type)))
    let text = try String(contentsOfFile: Fixtures.models + "/../corpora/wiki.test.raw.head", encoding: .utf8)
    let tokens = [1] + (try ModelFiles.tokenizer(path)).encode(text).map(Int.init)
    let reader = try ModelFiles.open(path)
    #expect(reader.tensors.contains { $0.dtype == (type == "Q4_K_M" ? .q4_K : .q5_K) })
    let session = try InferenceSession(model: try LlamaModel(config: reader.config, tensors: reader), contextLength: 128, threads: 2)
    let (ppl, _) = try chunkedPerplexity(session, tokens: tokens, context: 128, chunks: 40, bos: 1)
    let expected = try Self.llamaCppPerplexity("m0.\(type).gguf", reference: Fixtures.m0 + "/reference/perplexity.json")
    #expect(abs(ppl / expected - 1) <= 0.005, "perplexity \(ppl), llama-quantize's file under llama-perplexity \(expected)")
    print("converted m0 \(type): perplexity \(ppl), llama-quantize's file \(expected), ratio \(ppl / expected)")
  }
}
