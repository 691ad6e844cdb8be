import Foundation
import LlamaIO
import LlamaInference
import LlamaKit
import Testing

/// The reference data folder's models (LLAMAKIT_REFERENCE_DATA), when set.
enum ReferenceData {
  static let models: String? = {
    guard let data = ProcessInfo.processInfo.environment["LLAMAKIT_REFERENCE_DATA"], !data.isEmpty else { return nil }
    return data + "/models"
  }()
  static let wikiText: String? = ProcessInfo.processInfo.environment["LLAMAKIT_REFERENCE_DATA"].map {
    $0 + "/corpora/wikitext-2-raw/wiki.test.raw"
  }
  static let skipNote = "LLAMAKIT_REFERENCE_DATA is not set: the full-reference checks are skipped"
}

/// Every f32/f16 format of M0 and M1 against the float64 logits, and the llama.cpp-method
/// perplexity of every quantized GGUF against llama-perplexity, on the full reference data.
@Suite("reference models: logits and perplexity", .serialized, .enabled(if: ReferenceData.models != nil, "\(ReferenceData.skipNote)"))
struct ReferenceInferenceTests {
  static let logitCases = [
    LogitsCase(path: "m0/hf", reference: "m0/reference/logits.json", tolerance: 1e-4),
    LogitsCase(path: "m0/meta", reference: "m0/reference/logits.json", tolerance: 1e-4),
    LogitsCase(path: "m0/llama2c", reference: "m0/reference/logits.json", tolerance: 1e-4),
    LogitsCase(path: "m0/gguf/m0.F16.gguf", reference: "m0/reference/logits.gguf-F16.json", tolerance: 2e-3),
    LogitsCase(path: "m1/hf", reference: "m1/reference/logits.json", tolerance: 2e-3),
    LogitsCase(path: "m1/meta", reference: "m1/reference/logits.json", tolerance: 2e-3),
  ]

  @Test("logits of every float checkpoint", arguments: logitCases)
  func logits(_ item: LogitsCase) throws {
    let models = ReferenceData.models!
    let reference = try ReferenceLogits(path: models + "/" + item.reference)
    let result = try LogitsComparison.run(try openSession(models + "/" + item.path), reference, tolerance: item.tolerance)
    #expect(result.failures.isEmpty, "\(result.failures.prefix(5))")
    print("\(item.path): worst |Δ logprob| \(result.worstLogprob) (tolerance \(item.tolerance))")
  }

  /// (checkpoint, llama-perplexity's file name) pairs; m1/hf holds the weights of m1.F16.gguf
  /// (float16 both, converted losslessly).
  static let perplexityCases: [(String, String)] =
    ["F16", "IQ4_NL", "Q2_K", "Q3_K_M", "Q4_0", "Q4_1", "Q4_K_M", "Q5_0", "Q5_K_M", "Q6_K", "Q8_0"].map {
      ("m0/gguf/m0.\($0).gguf", "m0.\($0).gguf")
    } + [("m1/gguf/m1.Q8_0.gguf", "m1.Q8_0.gguf"), ("m1/hf", "m1.F16.gguf")]

  @Test("llama.cpp-method perplexity within 0.2% of llama-perplexity (n_ctx 128 and 256, 40 chunks)", arguments: perplexityCases)
  func perplexity(_ path: String, _ llamaCppName: String) throws {
    let models = ReferenceData.models!
    let model = String(path.prefix(2))
    let json = try JSON.parse(contentsOf: models + "/\(model)/reference/perplexity.json")
    let text = try String(contentsOfFile: ReferenceData.wikiText!, encoding: .utf8)
    let tokens = [1] + (try ModelFiles.tokenizer(models + "/" + path)).encode(text).map(Int.init)
    #expect(tokens.count == Int(json["n_tokens_with_bos"]?.intValue ?? 0))
    for context in [128, 256] {
      let expected = try #require(json["llama_cpp"]?["\(llamaCppName)|ctx\(context)_first40"]?["ppl"]?.doubleValue)
      let session = try openSession(models + "/" + path, context: context)
      let (ppl, _) = try chunkedPerplexity(session, tokens: tokens, context: context, chunks: 40, bos: 1)
      #expect(abs(ppl / expected - 1) <= 0.002, "\(path) n_ctx \(context): \(ppl) vs llama-perplexity \(expected)")
      print("\(path) n_ctx \(context): perplexity \(String(format: "%.4f", ppl)), llama-perplexity \(expected), ratio \(String(format: "%.5f", ppl / expected))")
    }
  }
}
