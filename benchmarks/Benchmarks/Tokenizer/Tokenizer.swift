import Benchmark
import Foundation
import LlamaIO
import LlamaTokenizer

// Tokenizer suite: encode and decode on the fixtures shipped with the tests (English prose
// from the long goldens, the multilingual block, code), so that it runs on a fresh clone.

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Tests/Fixtures/tokenizers").path

func goldenTexts(_ model: String) -> String {
  let lines = (try? MappedFile(path: "\(fixtures)/goldens/\(model).long.jsonl").contents) ?? []
  var texts: [String] = []
  for line in lines.split(separator: 0x0A) {
    if let text = try? lines.withUnsafeBytes({ _ in try JSON.parse(String(decoding: line, as: UTF8.self), source: "golden") })["text"]?.stringValue {
      texts.append(text)
    }
  }
  return texts.joined(separator: "\n")
}

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(3))

  for model in ["llama2", "chinese-llama2", "yi"] {
    guard let tokenizer = try? TokenizerLoader.load(path: "\(fixtures)/\(model)/tokenizer.model") else { continue }
    let text = String(repeating: goldenTexts(model) + "\n", count: 4)
    Benchmark("encode \(model) (\(text.utf8.count / 1024) KB)") { benchmark in
      for _ in benchmark.scaledIterations { blackHole(tokenizer.encode(text)) }
    }
    let ids = tokenizer.encode(text)
    Benchmark("decode \(model) (\(ids.count) ids)") { benchmark in
      for _ in benchmark.scaledIterations { blackHole(try tokenizer.decode(ids)) }
    }
  }

  let json = "\(fixtures)/llama2/tokenizer.json.xz"
  Benchmark("load llama2 tokenizer.model") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(try TokenizerLoader.load(path: "\(fixtures)/llama2/tokenizer.model")) }
  }
  Benchmark("load llama2 tokenizer.json (xz)") { benchmark in
    for _ in benchmark.scaledIterations { blackHole(try TokenizerLoader.load(path: json)) }
  }
  if let hf = try? TokenizerLoader.load(path: json) {
    let text = goldenTexts("llama2")
    Benchmark("encode llama2 tokenizer.json (\(text.utf8.count / 1024) KB)") { benchmark in
      for _ in benchmark.scaledIterations { blackHole(hf.encode(text)) }
    }
  }
}
