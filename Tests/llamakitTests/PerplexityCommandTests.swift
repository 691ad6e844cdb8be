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
