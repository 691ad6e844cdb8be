import Foundation
import LlamaIO
import Testing

@Suite("llamakit perplexity")
struct PerplexityCommandTests {
  static let m0 = CLI.fixtures + "/models/m0"
  static let text = CLI.fixtures + "/corpora/wiki.test.raw.head"

  @Test("prints llama-perplexity's running estimate and final line; --json has the documented keys")
  func output() throws {
    let result = try CLI.run(["perplexity", Self.m0 + "/hf", "--file", Self.text, "--ctx", "128", "--chunks", "3"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.hasPrefix("[1]61.2963,[2]49.9843,[3]46.4550,\n"), "\(result.stdout)")
    #expect(result.stdout.contains("Final estimate: PPL = 46.4550 +/- "))
    let json = try CLI.run(["perplexity", Self.m0 + "/gguf/m0.F16.gguf", "-f", Self.text, "-c", "128", "--json"])
    #expect(json.status == 0, "\(json.stderr)")
    let object = try JSON.parse(json.stdout, source: "stdout")
    #expect(object["method"]?.stringValue == "chunked" && object["n_ctx"]?.intValue == 128)
    // 8652 tokens: 67 whole chunks of 128, 63 tokens scored in each.
    #expect(object["chunks"]?.intValue == 67 && object["scored_tokens"]?.intValue == 67 * 63)
    #expect((object["ppl"]?.doubleValue ?? 0) > 1 && (object["ppl_stderr"]?.doubleValue ?? 0) > 0)
  }

  @Test("--method rolling: lm-eval's word and byte perplexity over WikiText articles or the whole file")
  func rolling() throws {
    let result = try CLI.run(["perplexity", Self.m0 + "/hf", "--file", Self.text, "--method", "rolling", "--documents", "wikitext", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try JSON.parse(result.stdout, source: "stdout")
    // The head of wiki.test.raw holds the first article and the start of the second.
    #expect(object["method"]?.stringValue == "rolling" && object["documents"]?.intValue == 2 && object["n_ctx"]?.intValue == 256)
    let words = try #require(object["word_perplexity"]?.doubleValue), bytes = try #require(object["byte_perplexity"]?.doubleValue)
    let bits = try #require(object["bits_per_byte"]?.doubleValue)
    #expect(words > bytes && bytes > 1 && abs(bits - log2(bytes)) < 1e-9)
    let whole = try CLI.run(["perplexity", Self.m0 + "/hf", "--file", Self.text, "--method", "rolling", "--ctx", "128"])
    #expect(whole.status == 0 && whole.stdout.hasPrefix("1 document, ") && whole.stdout.contains("windows of at most 128"), "\(whole.stdout)")
    #expect(whole.stdout.contains("word_perplexity: ") && whole.stdout.contains("bits_per_byte: "))
  }

  @Test("--kl-divergence-base saves llama-perplexity's logits file; --kl-divergence compares a quantized model with it")
  func klDivergence() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-kld-\(getpid())").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let base = folder + "/m0.kld"
    let saved = try CLI.run(["perplexity", Self.m0 + "/hf", "-f", Self.text, "--ctx", "128", "--chunks", "10", "--kl-divergence-base", base])
    #expect(saved.status == 0, "\(saved.stderr)")
    // "_logits_", 3 × i32, 10 × 128 tokens, then 10 × 63 records of (2·256 + 4) u16.
    let size = try FileManager.default.attributesOfItem(atPath: base)[.size] as? Int
    #expect(size == 20 + 4 * 1280 + 630 * 2 * 516)
    let same = try CLI.run(["perplexity", Self.m0 + "/hf", "--kl-divergence-base", base, "--kl-divergence", "--json"])
    #expect(same.status == 0, "\(same.stderr)")
    let a = try JSON.parse(same.stdout, source: "stdout")
    #expect((a["mean_kld"]?.doubleValue ?? 1) < 1e-5 && (a["same_top"]?.doubleValue ?? 0) > 0.99 && a["scored_tokens"]?.intValue == 630)
    #expect(abs((a["ppl_ratio"]?.doubleValue ?? 0) - 1) < 1e-4)
    let quantized = try CLI.run(["perplexity", Self.m0 + "/gguf/m0.Q4_K_M.gguf", "--kl-divergence-base", base, "--kl-divergence", "--json"])
    let b = try JSON.parse(quantized.stdout, source: "stdout")
    let kld = try #require(b["mean_kld"]?.doubleValue), top = try #require(b["same_top"]?.doubleValue)
    #expect(kld > 1e-4 && kld < 0.05 && top > 0.8 && top < 1)
    let text = try CLI.run(["perplexity", Self.m0 + "/gguf/m0.Q4_K_M.gguf", "--kl-divergence-base", base, "--kl-divergence"])
    #expect(text.stdout.contains("Mean    KLD: ") && text.stdout.contains("Same top p: "))
    // Not a base file: a one-line error naming it.
    let bad = try CLI.run(["perplexity", Self.m0 + "/hf", "--kl-divergence-base", Self.text, "--kl-divergence"])
    #expect(bad.status != 0 && bad.stderr.contains(Self.text) && bad.stderr.contains("_logits_"))
  }

  @Test("too short a text, a bad --ctx or method, a missing file: one-line errors")
  func errors() throws {
    for (arguments, mentions) in [
      (["perplexity", Self.m0 + "/hf", "--file", Self.text, "--ctx", "8192"], "needs at least 16384"),
      (["perplexity", Self.m0 + "/hf", "--file", Self.text, "--ctx", "2"], "--ctx"),
      (["perplexity", Self.m0 + "/hf", "--file", Self.text, "--method", "sliding"], "--method sliding"),
      (["perplexity", Self.m0 + "/hf", "--file", Self.text, "--documents", "wikitext"], "--documents applies"),
      (["perplexity", Self.m0 + "/hf", "--file", Self.text, "--method", "rolling", "--chunks", "2"], "--chunks applies"),
      (["perplexity", Self.m0 + "/hf", "--file", "/nonexistent.txt"], "/nonexistent.txt"),
    ] {
      let result = try CLI.run(arguments)
      #expect(result.status != 0, "\(arguments)")
      #expect(result.stderr.contains(mentions), "\(result.stderr)")
    }
  }
}
