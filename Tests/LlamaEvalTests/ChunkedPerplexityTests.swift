import Foundation
import LlamaEval
import LlamaIO
import LlamaInference
import LlamaKit
import Testing

enum EvalFixtures {
  static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures").path
  static let m0 = root + "/models/m0"
  static let wikiHead = root + "/corpora/wiki.test.raw.head"
  /// The reference data (LLAMAKIT_REFERENCE_DATA), when set.
  static let reference: String? = ProcessInfo.processInfo.environment["LLAMAKIT_REFERENCE_DATA"].flatMap { $0.isEmpty ? nil : $0 }
}

/// Runs llama.cpp's chunked perplexity of `model` on `file`, as `llamakit perplexity` does.
func chunked(_ model: String, file: String, context: Int, chunks: Int? = nil) throws -> ChunkedPerplexity.Result {
  let tokenizer = try ModelFiles.tokenizer(forModel: model)
  let text = try String(contentsOfFile: file, encoding: .utf8)
  let tokens = [1] + tokenizer.encode(text).map(Int.init)
  let session = try InferenceSession(model: try ModelFiles.model(model), contextLength: context, threads: 2)
  return try ChunkedPerplexity(tokenCount: tokens.count, contextLength: context, chunks: chunks, bos: 1).run(session, tokens: tokens)
}

func relative(_ a: Double, _ b: Double) -> Double { abs(a / b - 1) }

@Suite("chunked perplexity (llama-perplexity's method)")
struct ChunkedPerplexityTests {
  @Test("M0 f32 and F16, n_ctx 128, the first 40 chunks of WikiText-2: the float64 reference and llama-perplexity within 0.01%, chunk by chunk")
  func firstChunks() throws {
    let reference = try JSON.parse(contentsOf: EvalFixtures.m0 + "/reference/perplexity.json")
    let float64 = try #require(reference["float64"]?["ctx128_first40"])
    let ours = try chunked(EvalFixtures.m0 + "/hf", file: EvalFixtures.wikiHead, context: 128, chunks: 40)
    #expect(ours.chunks == 40 && ours.scoredTokens == 2520)
    #expect(relative(ours.perplexity, try #require(float64["ppl"]?.doubleValue)) < 1e-4)
    #expect(relative(ours.standardError, try #require(float64["ppl_stderr_llama_cpp_style"]?.doubleValue)) < 1e-3)
    let running = try #require(float64["running_ppl_first_chunks"]?.arrayValue).compactMap(\.doubleValue)
    #expect(running.count == 40)
    for (k, (a, b)) in zip(ours.running, running).enumerated() { #expect(relative(a, b) < 1e-4, "chunk \(k + 1): \(a) vs \(b)") }

    let llama = try #require(reference["llama_cpp"]?["m0.F16.gguf|ctx128_first40"])
    let f16 = try chunked(EvalFixtures.m0 + "/gguf/m0.F16.gguf", file: EvalFixtures.wikiHead, context: 128, chunks: 40)
    #expect(relative(f16.perplexity, try #require(llama["ppl"]?.doubleValue)) < 1e-4, "\(f16.perplexity)")
    // llama-perplexity prints 4 decimals of the running value; over the first chunks alone (63
    // tokens) its f32 arithmetic differs by up to ~0.01% from ours.
    let printed = try #require(llama["running_ppl_first_chunks"]?.arrayValue).compactMap(\.doubleValue)
    for (k, (a, b)) in zip(f16.running, printed).enumerated() { #expect(relative(a, b) < 2e-4, "chunk \(k + 1): \(a) vs \(b)") }
  }

  @Test("too short a text, or too small a context, is an error saying what is needed")
  func errors() {
    #expect(throws: ChunkedPerplexity.Failure.self) { try ChunkedPerplexity(tokenCount: 255, contextLength: 128, bos: 1) }
    #expect(throws: ChunkedPerplexity.Failure.self) { try ChunkedPerplexity(tokenCount: 1000, contextLength: 2, bos: 1) }
    #expect((try? ChunkedPerplexity(tokenCount: 1000, contextLength: 128, chunks: 3, bos: 1))?.chunkCount == 3)
    #expect((try? ChunkedPerplexity(tokenCount: 1000, contextLength: 128, bos: 1))?.chunkCount == 7)
  }
}

@Suite(
  "chunked perplexity on the whole WikiText-2 test file", .serialized,
  .enabled(if: EvalFixtures.reference != nil, "LLAMAKIT_REFERENCE_DATA is not set: the whole-file perplexity checks are skipped"))
struct ChunkedPerplexityReferenceTests {
  @Test(
    "every chunk of wiki.test.raw: the float64 reference (f32/f16 weights) and llama-perplexity (F16 GGUF) within 0.01%",
    arguments: [("m0", "hf", 128), ("m0", "hf", 256), ("m0", "gguf/m0.F16.gguf", 128), ("m0", "gguf/m0.F16.gguf", 256), ("m1", "hf", 128), ("m1", "hf", 256)])
  func wholeFile(model: String, path: String, context: Int) throws {
    let data = try #require(EvalFixtures.reference)
    let reference = try JSON.parse(contentsOf: "\(data)/models/\(model)/reference/perplexity.json")
    let ours = try chunked("\(data)/models/\(model)/\(path)", file: data + "/corpora/wikitext-2-raw/wiki.test.raw", context: context)
    let expected: JSON
    if path.hasSuffix(".gguf") {
      expected = try #require(reference["llama_cpp"]?["\(path.split(separator: "/").last!)|ctx\(context)_all"])
    } else {
      expected = try #require(reference["float64"]?["ctx\(context)_all"])
      #expect(Int64(ours.scoredTokens) == expected["scored_tokens"]?.intValue)
    }
    #expect(Int64(ours.chunks) == expected["chunks"]?.intValue)
    let ppl = try #require(expected["ppl"]?.doubleValue)
    #expect(relative(ours.perplexity, ppl) < 1e-4, "\(model) \(path) n_ctx \(context): \(ours.perplexity) vs \(ppl)")
    print("\(model) \(path) n_ctx \(context): perplexity \(ours.perplexity) ± \(ours.standardError), reference \(ppl), ratio \(ours.perplexity / ppl)")
  }
}
