import LlamaIO
import LlamaTokenizer

/// lm-eval's `mmlu` (57 subjects, each also a task `mmlu_<subject>`): the original CSV files
/// (`mmlu/test/<subject>_test.csv`, few-shot examples from `mmlu/dev/<subject>_dev.csv`, first
/// n in order); the subject line as description, the question with lettered answers, the
/// letters as choices. The group's accuracy is weighted by subject size.
enum MMLU {
  /// Every subject with its category (lm-eval's mmlu_stem, _other, _social_sciences, _humanities).
  static let subjects: [(String, String)] = [
    ("abstract_algebra", "stem"), ("anatomy", "stem"), ("astronomy", "stem"), ("business_ethics", "other"),
    ("clinical_knowledge", "other"), ("college_biology", "stem"), ("college_chemistry", "stem"),
    ("college_computer_science", "stem"), ("college_mathematics", "stem"), ("college_medicine", "other"),
    ("college_physics", "stem"), ("computer_security", "stem"), ("conceptual_physics", "stem"),
    ("econometrics", "social_sciences"), ("electrical_engineering", "stem"), ("elementary_mathematics", "stem"),
    ("formal_logic", "humanities"), ("global_facts", "other"), ("high_school_biology", "stem"),
    ("high_school_chemistry", "stem"), ("high_school_computer_science", "stem"),
    ("high_school_european_history", "humanities"), ("high_school_geography", "social_sciences"),
    ("high_school_government_and_politics", "social_sciences"), ("high_school_macroeconomics", "social_sciences"),
    ("high_school_mathematics", "stem"), ("high_school_microeconomics", "social_sciences"), ("high_school_physics", "stem"),
    ("high_school_psychology", "social_sciences"), ("high_school_statistics", "stem"), ("high_school_us_history", "humanities"),
    ("high_school_world_history", "humanities"), ("human_aging", "other"), ("human_sexuality", "social_sciences"),
    ("international_law", "humanities"), ("jurisprudence", "humanities"), ("logical_fallacies", "humanities"),
    ("machine_learning", "stem"), ("management", "other"), ("marketing", "other"), ("medical_genetics", "other"),
    ("miscellaneous", "other"), ("moral_disputes", "humanities"), ("moral_scenarios", "humanities"), ("nutrition", "other"),
    ("philosophy", "humanities"), ("prehistory", "humanities"), ("professional_accounting", "other"),
    ("professional_law", "humanities"), ("professional_medicine", "other"), ("professional_psychology", "social_sciences"),
    ("public_relations", "social_sciences"), ("security_studies", "social_sciences"), ("sociology", "social_sciences"),
    ("us_foreign_policy", "social_sciences"), ("virology", "other"), ("world_religions", "humanities"),
  ]

  static func task(subject: String, category: String) -> EvaluationTask {
    let name = "mmlu_" + subject
    let description = "The following are multiple choice questions (with answers) about \(subject.replacingAll("_", with: " ")).\n\n"
    return EvaluationTask(
      name: name, kind: .multipleChoice, version: 1.0, metrics: ["acc"], group: "mmlu_" + category, fewshotFirstN: true,
      description: { _ in description }
    ) { data in
      (try rows(data, "mmlu/test/\(subject)_test.csv", subject: subject, task: name), try rows(data, "mmlu/dev/\(subject)_dev.csv", subject: subject, task: name))
    }
  }

  static func rows(_ data: DataFolder, _ file: String, subject: String, task: String) throws -> [EvaluationTask.Document] {
    let source = data.path + "/" + file
    return try CSV.records(try data.text(file, task: task), source: source).map { record in
      guard record.count == 6, let answer = ["A": 0, "B": 1, "C": 2, "D": 3][record[5].strippingPythonWhitespace()] else {
        throw DataFolder.Failure.malformed(source, detail: "expected question, four answers and a letter A-D, found \(record.count) fields")
      }
      let choices = Array(record[1...4])
      let row = JSON.object(JSONObject([
        ("question", .string(record[0])), ("subject", .string(subject)), ("choices", .array(choices.map { .string($0) })),
        ("answer", .number(answer)),
      ]))
      let text = "\(record[0].strippingPythonWhitespace())\nA. \(choices[0])\nB. \(choices[1])\nC. \(choices[2])\nD. \(choices[3])\nAnswer:"
      return EvaluationTask.Document(row: row, text: text, choices: ["A", "B", "C", "D"], gold: answer, target: String(answer))
    }
  }
}

/// CSV as Python's `csv.reader` reads MMLU's files: comma-separated fields, double-quoted
/// fields with "" for a quote and newlines inside, records ending at an unquoted newline.
enum CSV {
  /// Fields in one file at most (MMLU's largest has some 10,000): each costs memory even when
  /// empty, so a file of commas is refused rather than held.
  static let maximumFields = 1 << 22

  static func records(_ text: String, source: String) throws -> [[String]] {
    var separators = 0
    for byte in text.utf8 where byte == 0x2C || byte == 0x0A { separators += 1 }
    guard separators < maximumFields else {
      throw DataFolder.Failure.malformed(source, detail: "more than \(maximumFields) fields (refused: holding them would take too much memory)")
    }
    var records: [[String]] = []
    var record: [String] = []
    var field = String.UnicodeScalarView()
    var quoted = false, wasQuoted = false
    var scalars = text.unicodeScalars.makeIterator()
    var pending: Unicode.Scalar? = nil
    func next() -> Unicode.Scalar? {
      if let p = pending { pending = nil; return p }
      return scalars.next()
    }
    while let c = next() {
      if quoted {
        if c == "\"" {
          if let n = next() {
            if n == "\"" { field.append("\"") } else { quoted = false; pending = n }
          } else {
            quoted = false
          }
        } else {
          field.append(c)
        }
        continue
      }
      switch c {
      case "\"" where field.isEmpty && !wasQuoted:
        quoted = true
        wasQuoted = true
      case ",":
        record.append(String(field))
        field = String.UnicodeScalarView()
        wasQuoted = false
      case "\r":
        continue
      case "\n":
        record.append(String(field))
        records.append(record)
        record = []
        field = String.UnicodeScalarView()
        wasQuoted = false
      default:
        field.append(c)
      }
    }
    guard !quoted else { throw DataFolder.Failure.malformed(source, detail: "a quoted field is not closed") }
    if !field.isEmpty || !record.isEmpty || wasQuoted {
      record.append(String(field))
      records.append(record)
    }
    return records
  }
}
