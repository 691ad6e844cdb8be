import Foundation
import LlamaEval
import LlamaIO
import LlamaInference
import LlamaKit
import Testing

/// One JSON object per line of a (gzip-compressed) JSONL file.
func jsonLines(_ path: String) throws -> [JSON] {
  let bytes = try ArchiveReader.decompressedContents(of: path, limit: 1 << 30)
  return try String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { try JSON.parse(String($0), source: path) }
}

/// A table of logits for tests: the model predicts token (t + 1) % vocab after token t, more
/// strongly at later positions.
final class TableModel: LogitModel {
  let vocabularySize = 7
  let contextLength = 16
  var position = 0
  var calls: [[Int]] = []
  func reset() { position = 0 }
  func rewind(to position: Int) { self.position = position }
  func logits(appending tokens: [Int], from firstOutput: Int) throws -> [Float] {
    calls.append(tokens)
    var out: [Float] = []
    for (i, t) in tokens.enumerated() where i >= firstOutput {
      var row = [Float](repeating: 0, count: vocabularySize)
      row[(t + 1) % vocabularySize] = Float(position + i + 1)
      out += row
    }
    position += tokens.count
    return out
  }
}

@Suite("lm-eval rolling log-likelihood and the wikitext task")
struct WikitextTests {
  @Test("windows as lm-eval's get_rolling_token_windows + make_disjoint_window (evaluation.md's example: N 10, L 4)")
  func windows() {
    let rolling = RollingLoglikelihood(maxLength: 4, prefix: 99)
    let w = rolling.windows(Array(0..<10))
    #expect(w.map(\.input) == [[99, 0, 1, 2], [3, 4, 5, 6], [5, 6, 7, 8]])
    #expect(w.map(\.targets) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    #expect(rolling.windows([5]) == [.init(input: [99], targets: [5])])
    #expect(rolling.windows([]).isEmpty)
    // Every window from an empty cache; the sum of the scored rows' log-probabilities.
    let model = TableModel()
    let total = try? RollingLoglikelihood(maxLength: 4, prefix: 6).logLikelihood([0, 1, 2, 3, 4], model: model)
    #expect(model.calls == [[6, 0, 1, 2], [0, 1, 2, 3]])
    var expected = 0.0
    for (row, target) in [(0, 0), (1, 1), (2, 2), (3, 3)] + [(3, 4)] {
      // Position p of a window has logit p + 1 on the token after its input; 0 elsewhere.
      let peak = Double(row + 1)
      let input = row == 3 && target == 4 ? 3 : [6, 0, 1, 2][row]
      let logit = (input + 1) % 7 == target ? peak : 0
      expected += logit - log(exp(peak) + 6)
    }
    #expect(abs((total ?? 0) - expected) < 1e-5)
  }

  @Test("the detokenizer's rules, and words counted as re.split(r'\\s+') counts them")
  func detokenizer() {
    #expect(Wikitext.detokenize(" = Robert = \n \n He was ( born 1900 ) in a \" big \" town , 3 @,@ 000 @-@ strong . ") ==
      " = Robert =\n\nHe was (born 1900) in a \"big\" town, 3,000-strong. ")
    #expect(Wikitext.detokenize("= = = = Notes = = = =") == "==== Notes ====")
    #expect(Wikitext.detokenize("the players ' club and /' 5/ N items 's 10 ° C") == "the players'club and /'[0-9]/ 1 items's 10°C")  // as Python's re gives it
    #expect(Wikitext.detokenize("( a ( b ) [ ] { x }") == "(a ( b) [] {x}")
    #expect(Wikitext.wordCount(" = A = \n b ") == 6)  // ['', '=', 'A', '=', 'b', '']
    #expect(Wikitext.wordCount("a") == 1)
    let text = " = One = \n \n a \n = = Part = = \n b \n = Two = \n c \n"
    #expect(Wikitext.articles(text) == [" = One = \n \n a \n = = Part = = \n b ", " = Two = \n c \n"])
  }
}

@Suite(
  "wikitext against lm-eval 0.4.13", .serialized,
  .enabled(if: EvalFixtures.reference != nil, "LLAMAKIT_REFERENCE_DATA is not set: the lm-eval wikitext reference is skipped"))
struct WikitextReferenceTests {
  @Test("the 62 documents and their strings are lm-eval's; fed lm-eval's token ids, every document's log-likelihood within 1e-3 and the corpus metrics as results.json", arguments: ["m0", "m1"])
  func wikitext(model: String) throws {
    let data = try #require(EvalFixtures.reference)
    let folder = data + "/models/\(model)/reference/lm-eval/wikitext"
    let text = try String(contentsOfFile: data + "/corpora/wikitext-2-raw/wiki.test.raw", encoding: .utf8)
    let pages = Wikitext.articles(text)
    let samples = try jsonLines(folder + "/samples_wikitext.jsonl.gz")
    let tokens = try jsonLines(folder + "/tokens_wikitext.jsonl.gz").dropFirst()
    #expect(pages.count == 62 && samples.count == 62 && tokens.count == 62)
    let loaded = try ModelFiles.model(data + "/models/\(model)/hf")
    let maxLength = loaded.config.contextLength ?? 2048
    let session = try InferenceSession(model: loaded, contextLength: maxLength, threads: 2)
    let rolling = RollingLoglikelihood(maxLength: maxLength, prefix: 1)
    var metrics = Wikitext.Metrics()
    var worst = 0.0
    for (page, (sample, dumped)) in zip(pages, zip(samples, tokens)) {
      let doc = sample["doc_id"]?.intValue ?? -1
      let request = sample["arguments"]?["gen_args_0"]?["arg_0"]?.stringValue
      #expect(Wikitext.detokenize(page) == request, "document \(doc): the detokenized text differs")
      let counts = sample["word_perplexity"]?.arrayValue, bytes = sample["byte_perplexity"]?.arrayValue
      #expect(Int64(Wikitext.wordCount(page)) == counts?[1].intValue && Int64(page.utf8.count) == bytes?[1].intValue, "document \(doc)")
      let ids = try #require(dumped["tokens"]?.arrayValue).compactMap { $0.intValue.map(Int.init) }
      #expect(rolling.windows(ids).count == dumped["n_windows"]?.intValue.map(Int.init))
      let ours = try rolling.logLikelihood(ids, model: session)
      let theirs = try #require(Double(sample["resps"]?.arrayValue?.first?.arrayValue?.first?.stringValue ?? ""))
      worst = max(worst, abs(ours - theirs) / max(1, abs(theirs)))
      #expect(abs(ours - theirs) <= 1e-3 * max(1, abs(theirs) / 1000), "document \(doc): \(ours) vs \(theirs)")
      metrics.add(logLikelihood: ours, page: page)
    }
    let results = try JSON.parse(contentsOf: folder + "/results.json")["results"]?["wikitext"]
    let wordPPL = try #require(results?["word_perplexity,none"]?.doubleValue)
    let bytePPL = try #require(results?["byte_perplexity,none"]?.doubleValue)
    let bits = try #require(results?["bits_per_byte,none"]?.doubleValue)
    #expect(relative(metrics.wordPerplexity, wordPPL) < 1e-5 && relative(metrics.bytePerplexity, bytePPL) < 1e-6 && relative(metrics.bitsPerByte, bits) < 1e-6)
    print("\(model) wikitext (lm-eval's ids): word perplexity \(metrics.wordPerplexity) vs \(wordPPL), byte perplexity \(metrics.bytePerplexity) vs \(bytePPL), bits per byte \(metrics.bitsPerByte) vs \(bits); worst relative document difference \(worst)")
  }
}
