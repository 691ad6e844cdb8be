import LlamaIO

/// lm-eval's `piqa`: the original `valid.jsonl` with `valid-labels.lst`; "Question: {goal}\nAnswer:"
/// and the two solutions as choices.
enum PIQA {
  static let task = EvaluationTask(name: "piqa", kind: .multipleChoice, version: 1.0, metrics: ["acc", "acc_norm"]) { data in
    let records = try data.jsonLines("piqa/valid.jsonl", task: "piqa")
    let labelsFile = "piqa/valid-labels.lst"
    let words = try data.text(labelsFile, task: "piqa").split(whereSeparator: { $0 == "\n" || $0 == " " || $0 == "\r" })
    let labels = words.map { Int($0) }
    if let bad = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) {
      throw DataFolder.Failure.malformed(data.path + "/" + labelsFile, detail: "label \(bad + 1) is \(words[bad]), not 0 or 1")
    }
    guard labels.count == records.count else {
      throw DataFolder.Failure.malformed(data.path + "/" + labelsFile, detail: "expected \(records.count) labels of 0 or 1, found \(labels.count)")
    }
    let source = data.path + "/piqa/valid.jsonl"
    let documents = try zip(records, labels).map { record, label -> EvaluationTask.Document in
      let goal = try record.string("goal", in: source), sol1 = try record.string("sol1", in: source), sol2 = try record.string("sol2", in: source)
      let row = JSON.object(JSONObject([("goal", .string(goal)), ("sol1", .string(sol1)), ("sol2", .string(sol2)), ("label", .number(label!))]))
      return EvaluationTask.Document(row: row, text: "Question: \(goal)\nAnswer:", choices: [sol1, sol2], gold: label!, target: String(label!))
    }
    return (documents, [])
  }
}
