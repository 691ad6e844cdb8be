import LlamaIO

/// One benchmark as lm-eval defines it: where its documents come from (the original public
/// files under a data folder, in the layout of the README), how a document becomes requests,
/// and how their answers become metrics. One file per task family under `Tasks/`.
public struct EvaluationTask: Sendable {
  public enum Kind: Sendable {
    /// One request per choice: (context, " " + choice); `acc`, `acc_norm` or TruthfulQA's mc2.
    case multipleChoice
    /// Winogrande: one request per context (the filled-in blank), the same continuation.
    case multipleInputs
    /// One (context, continuation) request: LAMBADA's perplexity and accuracy.
    case loglikelihood
    /// One rolling request per document: wikitext.
    case rolling
    /// llama.cpp's multiple choice (`--hellaswag`): each choice scored as the mean log-probability
    /// of its tokens after the prefix all choices share.
    case llamaCppMultipleChoice
  }

  /// A document made ready: the dataset row (as lm-eval logs it), the prompt pieces, the gold.
  public struct Document: Sendable {
    public var row: JSON
    /// multipleChoice/loglikelihood: the one context (few-shot examples are added before it).
    /// multipleInputs: unused (the contexts are `choices`).
    public var text: String
    /// multipleChoice: the choice strings (without the delimiter); multipleInputs: the contexts.
    public var choices: [String]
    /// multipleInputs and loglikelihood: the continuation (loglikelihood: verbatim, delimiter
    /// included); rolling: the text scored.
    public var continuation: String
    /// The index of the gold choice (or context).
    public var gold: Int
    /// multipleChoice: labels of the choices for mc2 (1 = true).
    public var labels: [Int] = []
    /// lm-eval's `target` field in the samples file.
    public var target: String

    public init(row: JSON, text: String, choices: [String] = [], continuation: String = "", gold: Int = 0, target: String) {
      self.row = row
      self.text = text
      self.choices = choices
      self.continuation = continuation
      self.gold = gold
      self.target = target
    }

    /// The text of this document as a few-shot example: text + " " + gold answer + "\n\n".
    func example(kind: Kind) -> String {
      switch kind {
      case .multipleInputs: return choices[gold] + " " + continuation
      default: return text + " " + choices[gold]
      }
    }
  }

  public let name: String
  public let kind: Kind
  public let version: Double
  /// The metrics lm-eval reports for the task, in its order.
  public let metrics: [String]
  /// lm-eval's default number of few-shot examples.
  public let defaultFewshot: Int
  /// The group the task belongs to in the results (MMLU subjects), if any.
  public let group: String?
  /// Reads the evaluated documents and the few-shot pool from `data`.
  let load: @Sendable (DataFolder) throws -> (documents: [Document], fewshot: [Document])
  /// The text before the few-shot examples (MMLU's subject line).
  let description: @Sendable (Document) -> String
  /// How few-shot examples are picked: the first k of the pool in order (MMLU), or none allowed.
  let fewshotFirstN: Bool

  /// A task: its lm-eval name, kind, version and metrics, and `load`, which reads its documents
  /// (and the few-shot pool) from the data folder. See docs/adding-a-task.md.
  public init(
    name: String, kind: Kind, version: Double, metrics: [String], defaultFewshot: Int = 0, group: String? = nil,
    fewshotFirstN: Bool = false, description: @escaping @Sendable (Document) -> String = { _ in "" },
    load: @escaping @Sendable (DataFolder) throws -> (documents: [Document], fewshot: [Document])
  ) {
    self.name = name
    self.kind = kind
    self.version = version
    self.metrics = metrics
    self.defaultFewshot = defaultFewshot
    self.group = group
    self.fewshotFirstN = fewshotFirstN
    self.description = description
    self.load = load
  }

  public func documents(_ data: DataFolder) throws -> (documents: [Document], fewshot: [Document]) { try load(data) }

  /// The requests of a document with `fewshot` examples before it, as lm-eval renders them.
  public func requests(_ document: Document, fewshot: [Document]) -> [LoglikelihoodRequest] {
    let prefix = description(document) + fewshot.map { $0.example(kind: kind) + "\n\n" }.joined()
    switch kind {
    case .multipleChoice, .llamaCppMultipleChoice:
      return document.choices.map { LoglikelihoodRequest(context: prefix + document.text, continuation: " " + $0) }
    case .multipleInputs:
      return document.choices.map { LoglikelihoodRequest(context: prefix + $0, continuation: " " + document.continuation) }
    case .loglikelihood:
      return [LoglikelihoodRequest(context: prefix + document.text, continuation: document.continuation)]
    case .rolling:
      return [LoglikelihoodRequest(context: "", continuation: document.continuation)]
    }
  }

  /// The few-shot examples for a document: the first k of the pool (lm-eval's `first_n`).
  public func fewshot(_ k: Int, pool: [Document]) throws -> [Document] {
    guard k > 0 else { return [] }
    guard fewshotFirstN else { throw DataFolder.Failure.unsupported("\(name): few-shot examples (lm-eval draws them with Python's random; only MMLU's first-n examples are supported so far)") }
    guard pool.count >= k else { throw DataFolder.Failure.unsupported("\(name): \(k) few-shot examples asked for, the few-shot split has \(pool.count)") }
    return Array(pool.prefix(k))
  }
}

/// The folder of benchmark files in their original public layout (README "Evaluation data"):
/// `arc/ARC-Easy/ARC-Easy-Test.jsonl`, `piqa/valid.jsonl`, `mmlu/test/<subject>_test.csv`, ….
public struct DataFolder: Sendable {
  public let path: String

  public enum Failure: Error, CustomStringConvertible {
    case missing(String, task: String)
    case malformed(String, detail: String)
    case unsupported(String)

    public var description: String {
      switch self {
      case .missing(let path, let task): return "\(path): missing (the \(task) task reads it; see the README's data layout)"
      case .malformed(let path, let detail): return "\(path): \(detail)"
      case .unsupported(let detail): return detail
      }
    }
  }

  public init(path: String) { self.path = path }

  /// The path of a data file; WikiText may also sit in `../corpora/` beside the benchmarks (the
  /// reference data's layout).
  public func file(_ relative: String, task: String) throws -> String {
    let full = path + "/" + relative
    if fileExists(atPath: full) { return full }
    let beside = path + "/../corpora/" + relative
    if relative.hasPrefix("wikitext-2-raw/") && fileExists(atPath: beside) { return beside }
    throw Failure.missing(full, task: task)
  }

  /// Lines in one data file at most (the largest, WikiText-103's training text, has some 1.8
  /// million): each line costs memory even when empty, so a file of newlines is refused.
  public static let maximumLines = 1 << 22

  /// The text of a data file, checked to be UTF-8 and within `maximumLines`.
  static func checkedText(_ bytes: UnsafeRawBufferPointer, _ full: String) throws -> String {
    var lines = 0
    for byte in bytes where byte == 0x0A { lines += 1 }
    guard lines < maximumLines else {
      throw Failure.malformed(full, detail: "more than \(maximumLines) lines (refused: holding them would take too much memory)")
    }
    guard let text = String(validating: bytes, as: UTF8.self) else { throw Failure.malformed(full, detail: "not UTF-8") }
    return text
  }

  /// One JSON value per non-empty line.
  public func jsonLines(_ relative: String, task: String) throws -> [JSON] {
    let full = try file(relative, task: task)
    let text = try MappedFile(path: full).withUnsafeBytes { try Self.checkedText($0, full) }
    // All lines together stay within one JSON text's value limit (memory, see JSON.maximumValues).
    var whole = text
    guard whole.withUTF8({ JSON.valueCount(UnsafeRawBufferPointer($0)) }) <= JSON.maximumValues else {
      throw Failure.malformed(full, detail: "more than \(JSON.maximumValues) JSON values in all (refused: parsing would take too much memory)")
    }
    var values: [JSON] = []
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    where !line.allSatisfy({ $0 == " " || $0 == "\r" || $0 == "\t" }) {
      values.append(try JSON.parse(String(line), source: "\(full):\(number + 1)"))
    }
    return values
  }

  public func text(_ relative: String, task: String) throws -> String {
    let full = try file(relative, task: task)
    return try MappedFile(path: full).withUnsafeBytes { try Self.checkedText($0, full) }
  }
}

extension JSON {
  /// A required string field, or a one-line error naming the file and the field.
  public func string(_ key: String, in source: String) throws -> String {
    guard let value = self[key]?.stringValue else { throw DataFolder.Failure.malformed(source, detail: "a record has no string \"\(key)\"") }
    return value
  }
}
