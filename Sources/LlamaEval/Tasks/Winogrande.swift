import LlamaIO

/// lm-eval's `winogrande` (partial evaluation): the original `dev.jsonl` (winogrande_xl
/// validation); the two contexts are the sentence up to the blank filled with each option, the
/// continuation the rest of the sentence after the blank, stripped.
enum Winogrande {
  static let task = EvaluationTask(name: "winogrande", kind: .multipleInputs, version: 1.0, metrics: ["acc"]) { data in
    let file = "winogrande/dev.jsonl"
    let source = data.path + "/" + file
    let documents = try data.jsonLines(file, task: "winogrande").map { record -> EvaluationTask.Document in
      let sentence = try record.string("sentence", in: source)
      let option1 = try record.string("option1", in: source), option2 = try record.string("option2", in: source)
      let answer = try record.string("answer", in: source)
      guard let gold = ["1": 0, "2": 1][answer] else { throw DataFolder.Failure.malformed(source, detail: "answer \(answer) is not 1 or 2") }
      let scalars = Array(sentence.unicodeScalars)
      guard let blank = scalars.firstIndex(of: "_") else { throw DataFolder.Failure.malformed(source, detail: "a sentence has no blank: \(sentence)") }
      let before = String(String.UnicodeScalarView(scalars[..<blank]))
      let after = String(String.UnicodeScalarView(scalars[(blank + 1)...])).strippingPythonWhitespace()
      var fields: [(String, JSON)] = []
      if let id = record["qID"] { fields.append(("qID", id)) }
      fields += [("sentence", .string(sentence)), ("option1", .string(option1)), ("option2", .string(option2)), ("answer", .string(answer))]
      return EvaluationTask.Document(
        row: .object(JSONObject(fields)), text: "", choices: [before + option1, before + option2], continuation: after, gold: gold,
        target: String(gold))
    }
    return (documents, [])
  }
}

extension String.UnicodeScalarView {
  init<S: Sequence>(_ scalars: S) where S.Element == Unicode.Scalar {
    self.init()
    append(contentsOf: scalars)
  }
}
