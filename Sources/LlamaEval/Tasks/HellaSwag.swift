import LlamaIO
import LlamaTokenizer

/// lm-eval's `hellaswag`: the original `hellaswag_val.jsonl` (rowanz/hellaswag; the row keeps
/// its fields and gains `query`, `choices` and `gold` as lm-eval's `process_docs` adds them);
/// query = preprocess(activity_label + ": " + ctx_a + " " + capitalize(ctx_b)), the four
/// preprocessed endings as choices.
enum HellaSwag {
  static let task = EvaluationTask(name: "hellaswag", kind: .multipleChoice, version: 1.0, metrics: ["acc", "acc_norm"]) { data in
    (try documents(data, "hellaswag/hellaswag_val.jsonl"), try documents(data, "hellaswag/hellaswag_train.jsonl", optional: true))
  }

  static func documents(_ data: DataFolder, _ file: String, optional: Bool = false) throws -> [EvaluationTask.Document] {
    if optional && !fileExists(atPath: data.path + "/" + file) { return [] }
    let source = data.path + "/" + file
    return try data.jsonLines(file, task: "hellaswag").map { record in
      let activity = try record.string("activity_label", in: source)
      let ctxA = try record.string("ctx_a", in: source), ctxB = try record.string("ctx_b", in: source)
      let endings = try (record["endings"]?.arrayValue ?? []).map { value -> String in
        guard let text = value.stringValue else { throw DataFolder.Failure.malformed(source, detail: "an ending is not a string") }
        return text
      }
      let label = record["label"].flatMap { $0.intValue.map(Int.init) ?? $0.stringValue.flatMap { Int($0) } }
      guard endings.count == 4, let gold = label, (0..<4).contains(gold) else {
        throw DataFolder.Failure.malformed(source, detail: "a record needs four endings and a label 0-3")
      }
      let query = preprocess(activity + ": " + ctxA + " " + capitalize(ctxB))
      let choices = endings.map(preprocess)
      var fields = record.objectValue?.entries.map { ($0.key, $0.value) } ?? []
      fields += [("query", .string(query)), ("choices", .array(choices.map { .string($0) })), ("gold", .number(gold))]
      return EvaluationTask.Document(row: .object(JSONObject(fields)), text: query, choices: choices, gold: gold, target: String(gold))
    }
  }

  /// Python's `str.capitalize`: the first character upper-cased, the rest lower-cased.
  static func capitalize(_ text: String) -> String {
    guard let first = text.unicodeScalars.first else { return text }
    return String(first).uppercased() + String(String.UnicodeScalarView(text.unicodeScalars.dropFirst())).lowercased()
  }

  /// lm-eval's `preprocess`: strip, " [title]" → ". ", every `[…]` (shortest, within a line)
  /// removed, then "  " → " " in one pass.
  static func preprocess(_ text: String) -> String {
    var s = Array(text.strippingPythonWhitespace().replacingAll(" [title]", with: ". ").unicodeScalars)
    var out: [Unicode.Scalar] = []
    var i = 0
    while i < s.count {
      if s[i] == "[", let end = s[(i + 1)...].firstIndex(where: { $0 == "]" || $0 == "\n" }), s[end] == "]" {
        i = end + 1
        continue
      }
      out.append(s[i])
      i += 1
    }
    s = out
    return String(String.UnicodeScalarView(s)).replacingAll("  ", with: " ")
  }
}
