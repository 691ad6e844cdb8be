import LlamaEval
import LlamaIO

/// An example task: lm-eval's `sciq` (multiple choice, acc and acc_norm, version 1.0) read from
/// the original SciQ release's `test.json` (a JSON list of records) in the data folder.
/// Prompt (lm-eval's `doc_to_text`): "{support, leading whitespace removed}\nQuestion: {question}\nAnswer:";
/// choices: the three distractors, then the correct answer (the gold, index 3).
public enum SciQ {
  public static let task = EvaluationTask(name: "sciq", kind: .multipleChoice, version: 1.0, metrics: ["acc", "acc_norm"]) { data in
    let relative = "sciq/test.json"
    let path = try data.file(relative, task: "sciq")
    guard let records = try JSON.parse(contentsOf: path).arrayValue else {
      throw DataFolder.Failure.malformed(path, detail: "expected a JSON list of questions")
    }
    let documents = try records.map { record -> EvaluationTask.Document in
      let fields = ["question", "distractor1", "distractor2", "distractor3", "correct_answer", "support"]
      let values = try fields.map { try record.string($0, in: path) }
      let support = String(values[5].drop { $0.isWhitespace })
      return EvaluationTask.Document(
        row: record, text: "\(support)\nQuestion: \(values[0])\nAnswer:", choices: Array(values[1...4]), gold: 3, target: "3")
    }
    return (documents, [])
  }
}
