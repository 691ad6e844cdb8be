import LlamaIO

/// lm-eval's `arc_easy` and `arc_challenge`: AI2's original `ARC-*-Test.jsonl` files, rows as
/// the Hugging Face `allenai/ai2_arc` dataset has them; "Question: …\nAnswer:", the answer texts
/// as choices, gold = the index of `answerKey` among the labels.
enum ARC {
  static func task(_ name: String, folder: String) -> EvaluationTask {
    EvaluationTask(name: name, kind: .multipleChoice, version: 1.0, metrics: ["acc", "acc_norm"]) { data in
      // The training split is the few-shot pool, read only when present.
      let train = "arc/\(folder)/\(folder)-Train.jsonl"
      let pool = fileExists(atPath: data.path + "/" + train) ? try documents(data, train, task: name) : []
      return (try documents(data, "arc/\(folder)/\(folder)-Test.jsonl", task: name), pool)
    }
  }

  static func documents(_ data: DataFolder, _ file: String, task: String) throws -> [EvaluationTask.Document] {
    try data.jsonLines(file, task: task).map { record in
      let source = data.path + "/" + file
      let question = try record["question"].map { try $0.string("stem", in: source) } ?? { throw DataFolder.Failure.malformed(source, detail: "a record has no question") }()
      let choices = record["question"]?["choices"]?.arrayValue ?? []
      let texts = try choices.map { try $0.string("text", in: source) }
      let labels = try choices.map { try $0.string("label", in: source) }
      let key = try record.string("answerKey", in: source)
      guard let gold = labels.firstIndex(of: key) else {
        throw DataFolder.Failure.malformed(source, detail: "answerKey \(key) is not one of the labels \(labels)")
      }
      let row = JSON.object(JSONObject([
        ("id", .string(try record.string("id", in: source))), ("question", .string(question)),
        ("choices", .object(JSONObject([("text", .array(texts.map { .string($0) })), ("label", .array(labels.map { .string($0) }))]))),
        ("answerKey", .string(key)),
      ]))
      return EvaluationTask.Document(row: row, text: "Question: \(question)\nAnswer:", choices: texts, gold: gold, target: String(gold))
    }
  }
}
