// Measures single-threaded encode throughput of one tokenizer on one text, the way
// compare/compare_tokenizers.py measures sentencepiece and tokenizers: the whole text is encoded
// in one call, `--runs` times after one warm-up; the median time is reported.
//
// Usage: tokenizer-throughput TOKENIZER TEXT_FILE [--runs N] [--ids OUT]
// Prints one JSON object: bytes, tokens, median_seconds, mb_per_s, tokens_per_s, runs.
import Foundation
import LlamaIO
import LlamaTokenizer

func option(_ name: String, in arguments: inout [String]) -> String? {
  guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
  let value = arguments[i + 1]
  arguments.removeSubrange(i...(i + 1))
  return value
}
var arguments = Array(CommandLine.arguments.dropFirst())
let runs = Int(option("--runs", in: &arguments) ?? "5") ?? 5
let idsPath = option("--ids", in: &arguments)
guard arguments.count == 2 else {
  FileHandle.standardError.write(Data("usage: tokenizer-throughput TOKENIZER TEXT_FILE [--runs N] [--ids OUT]\n".utf8))
  exit(2)
}
do {
  let tokenizer = try TokenizerLoader.load(path: arguments[0])
  let bytes = try MappedFile(path: arguments[1]).contents
  let text = String(decoding: bytes, as: UTF8.self)
  var ids = tokenizer.encode(text)  // warm-up
  var times: [Double] = []
  for _ in 0..<max(1, runs) {
    let start = DispatchTime.now().uptimeNanoseconds
    ids = tokenizer.encode(text)
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  times.sort()
  let median = times.count % 2 == 1
    ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
  if let idsPath {
    try AtomicFile.write(Array((ids.map(String.init).joined(separator: " ") + "\n").utf8), to: idsPath)
  }
  let result = JSONObject([
    ("tool", .string("llamakit")),
    ("bytes", .int(Int64(bytes.count))),
    ("tokens", .int(Int64(ids.count))),
    ("runs", .int(Int64(times.count))),
    ("median_seconds", .double(median)),
    ("mb_per_s", .double(Double(bytes.count) / 1e6 / median)),
    ("tokens_per_s", .double(Double(ids.count) / median)),
  ])
  print(JSON.object(result).serialized())
} catch {
  FileHandle.standardError.write(Data("tokenizer-throughput: \(error)\n".utf8))
  exit(1)
}
