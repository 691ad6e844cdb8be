import LlamaIO

/// llama.cpp's `llama-perplexity --hellaswag` on its text file (evaluation.md §4.1), as the task
/// `hellaswag_llamacpp`: `hellaswag/hellaswag_val_full.txt` (or `.txt.bz2`), six lines per task
/// (context, gold label, four endings). Each ending is scored as the mean log-probability of
/// the tokens of BOS + context + " " + ending that follow the tokens all four share; the
/// prediction is the first best. Tasks are taken in file order (llama.cpp draws a random subset
/// when asked for fewer than all; over the whole file the score is the same).
enum HellaSwagLlamaCpp {
  static let task = EvaluationTask(name: "hellaswag_llamacpp", kind: .llamaCppMultipleChoice, version: 1.0, metrics: ["acc"]) { data in
    let plain = "hellaswag/hellaswag_val_full.txt"
    let text: String
    if fileExists(atPath: data.path + "/" + plain) {
      text = try data.text(plain, task: "hellaswag_llamacpp")
    } else {
      let compressed = try data.file(plain + ".bz2", task: "hellaswag_llamacpp")
      text = try ArchiveReader.decompressedContents(of: compressed, limit: 1 << 28).withUnsafeBytes { try DataFolder.checkedText($0, compressed) }
    }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    let source = data.path + "/" + plain
    guard lines.count % 6 == 0 else {
      throw DataFolder.Failure.malformed(source, detail: "\(lines.count) lines, not a multiple of 6 (context, label, four endings per task)")
    }
    let documents = try stride(from: 0, to: lines.count, by: 6).map { start -> EvaluationTask.Document in
      guard let gold = Int(lines[start + 1]), (0..<4).contains(gold) else {
        throw DataFolder.Failure.malformed(source, detail: "line \(start + 2): the label \(lines[start + 1]) is not 0-3")
      }
      let endings = Array(lines[(start + 2)..<(start + 6)])
      let row = JSON.object(JSONObject([
        ("context", .string(lines[start])), ("label", .number(gold)), ("endings", .array(endings.map { .string($0) })),
      ]))
      return EvaluationTask.Document(row: row, text: lines[start], choices: endings, gold: gold, target: String(gold))
    }
    return (documents, [])
  }
}
