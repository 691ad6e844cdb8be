import LlamaIO

/// Runs tasks on a model as lm-eval's evaluator does: documents (all, the first `limit`, or
/// chosen indices), requests rendered with the few-shot examples, encoded as lm-eval encodes
/// them, scored with shared contexts, turned into per-document metrics and aggregated with
/// lm-eval's standard errors.
public final class Evaluator {
  public let model: LogitModel
  public let encoder: PairEncoder
  public let maxLength: Int
  /// How the rolling requests (wikitext) are encoded: the tokenizer with BOS in front.
  let rolling: RollingLoglikelihood

  public init(model: LogitModel, encoder: PairEncoder, maxLength: Int) {
    self.model = model
    self.encoder = encoder
    self.maxLength = maxLength
    rolling = RollingLoglikelihood(maxLength: maxLength, prefix: encoder.prefix)
  }

  /// One document's outcome.
  public struct Sample: Sendable {
    public var documentIndex: Int
    public var document: EvaluationTask.Document
    public var requests: [LoglikelihoodRequest]
    public var results: [LoglikelihoodResult]
    /// Metric name → the value lm-eval logs per document (a number, or [loglik, units]).
    public var metrics: [(String, JSON)]
    /// Whether any request was cut from the left to fit the model.
    public var truncated: Bool
  }

  /// A task's outcome: its samples and aggregated metrics (value, stderr or nil for "N/A").
  public struct TaskResult: Sendable {
    public var task: EvaluationTask
    public var fewshot: Int
    public var originalCount: Int
    public var samples: [Sample]
    /// Documents evaluated (the samples, or those of merged shards).
    public var documentCount: Int
    public var metrics: [(name: String, value: Double, stderr: Double?)]

    public init(
      task: EvaluationTask, fewshot: Int, originalCount: Int, samples: [Sample], documentCount: Int,
      metrics: [(name: String, value: Double, stderr: Double?)]
    ) {
      self.task = task
      self.fewshot = fewshot
      self.originalCount = originalCount
      self.samples = samples
      self.documentCount = documentCount
      self.metrics = metrics
    }
  }

  /// Which documents to evaluate: all, the first `limit`, explicit indices; then this shard.
  public struct Selection: Sendable {
    public var limit: Int?
    public var indices: [Int]?
    public var shard: (index: Int, count: Int) = (0, 1)
    public init(limit: Int? = nil, indices: [Int]? = nil, shard: (index: Int, count: Int) = (0, 1)) {
      self.limit = limit
      self.indices = indices
      self.shard = shard
    }
  }

  public func run(
    _ task: EvaluationTask, data: DataFolder, fewshot: Int?, selection: Selection,
    progress: (Int, Int) -> Void = { _, _ in }
  ) throws -> TaskResult {
    let (documents, pool) = try task.documents(data)
    let k = fewshot ?? task.defaultFewshot
    if task.kind == .rolling && k > 0 { throw DataFolder.Failure.unsupported("\(task.name): a rolling task takes no few-shot examples") }
    let examples = try task.fewshot(k, pool: pool)
    var chosen = selection.indices ?? Array(documents.indices.prefix(selection.limit ?? documents.count))
    if let bad = chosen.first(where: { $0 < 0 || $0 >= documents.count }) {
      throw DataFolder.Failure.unsupported("\(task.name): document \(bad) does not exist (the task has \(documents.count))")
    }
    chosen = chosen.enumerated().filter { $0.offset % selection.shard.count == selection.shard.index }.map(\.element)
    var samples: [Sample] = []
    for (n, index) in chosen.enumerated() {
      do {
        samples.append(try evaluate(task, document: documents[index], index: index, fewshot: examples))
      } catch let failure as LoglikelihoodScorer.Failure {
        throw DataFolder.Failure.unsupported("\(task.name) document \(index): \(failure)")
      }
      progress(n + 1, chosen.count)
    }
    return TaskResult(
      task: task, fewshot: k, originalCount: documents.count, samples: samples, documentCount: samples.count,
      metrics: Self.aggregate(task, samples.map(\.metrics)))
  }

  func evaluate(_ task: EvaluationTask, document: EvaluationTask.Document, index: Int, fewshot: [EvaluationTask.Document]) throws -> Sample {
    let requests = task.requests(document, fewshot: fewshot)
    var results: [LoglikelihoodResult] = []
    var truncated = false
    if task.kind == .rolling {
      let tokens = encoder.encode(document.continuation)
      results = [LoglikelihoodResult(logLikelihood: try rolling.score(tokens, model: model).logLikelihood, isGreedy: false)]
    } else if task.kind == .llamaCppMultipleChoice {
      // llama.cpp: BOS + context + " " + ending encoded whole; the tokens after the common prefix
      // scored, as a mean per token.
      let sequences = requests.map { encoder.encode($0.context + $0.continuation) }
      var common = sequences.map(\.count).min() ?? 0
      for (i, token) in sequences[0].prefix(common).enumerated() where sequences.contains(where: { $0[i] != token }) {
        common = i
        break
      }
      common = max(common, 1)
      let scorer = LoglikelihoodScorer(model: model, maxLength: maxLength)
      let rests = sequences.map { Array($0[common...]) }
      let nonEmpty = rests.indices.filter { !rests[$0].isEmpty }
      let scored = try scorer.score(context: Array(sequences[0][..<common]), continuations: nonEmpty.map { rests[$0] })
      results = rests.map { _ in LoglikelihoodResult(logLikelihood: -.infinity, isGreedy: false) }
      for (index, result) in zip(nonEmpty, scored) {
        results[index] = LoglikelihoodResult(logLikelihood: result.logLikelihood / Double(rests[index].count), isGreedy: result.isGreedy)
      }
      truncated = nonEmpty.contains { scorer.isTruncated(context: Array(sequences[0][..<common]), continuation: rests[$0]) }
    } else {
      // Requests with the same context tokens share one evaluation of the context.
      let encoded = requests.map { encoder.encode($0) }
      results = [LoglikelihoodResult](repeating: LoglikelihoodResult(logLikelihood: 0, isGreedy: false), count: requests.count)
      var groups: [[Int]: [Int]] = [:]
      var order: [[Int]] = []
      for (i, pair) in encoded.enumerated() {
        if groups[pair.context] == nil { order.append(pair.context) }
        groups[pair.context, default: []].append(i)
      }
      let scorer = LoglikelihoodScorer(model: model, maxLength: maxLength)
      for context in order {
        let members = groups[context]!
        let scored = try scorer.score(context: context, continuations: members.map { encoded[$0].continuation })
        for (member, result) in zip(members, scored) { results[member] = result }
        truncated = truncated || members.contains { scorer.isTruncated(context: context, continuation: encoded[$0].continuation) }
      }
    }
    return Sample(
      documentIndex: index, document: document, requests: requests, results: results,
      metrics: Self.documentMetrics(task, document, results), truncated: truncated)
  }

  /// lm-eval's `process_results` for one document.
  static func documentMetrics(_ task: EvaluationTask, _ document: EvaluationTask.Document, _ results: [LoglikelihoodResult]) -> [(String, JSON)] {
    let ll = results.map(\.logLikelihood)
    func argmax(_ values: [Double]) -> Int { values.indices.reduce(0) { values[$1] > values[$0] ? $1 : $0 } }
    switch task.kind {
    case .multipleChoice where task.name == "truthfulqa_mc2":
      // Probability mass of the true answers, normalized over all answers (log-sum-exp).
      let largest = ll.max() ?? 0
      let weights = ll.map { exp($0 - largest) }
      let total = weights.reduce(0, +)
      let truth = zip(weights, document.labels).filter { $0.1 == 1 }.map(\.0).reduce(0, +)
      return [("acc", .number(truth / total))]
    case .multipleChoice, .multipleInputs, .llamaCppMultipleChoice:
      var metrics: [(String, JSON)] = [("acc", .number(argmax(ll) == document.gold ? 1.0 : 0.0))]
      if task.metrics.contains("acc_norm") {
        let normalized = zip(ll, document.choices).map { $0 / Double($1.unicodeScalars.count) }
        metrics.append(("acc_norm", .number(argmax(normalized) == document.gold ? 1.0 : 0.0)))
      }
      return metrics
    case .loglikelihood:
      return [("perplexity", .number(ll[0])), ("acc", .number(results[0].isGreedy ? 1.0 : 0.0))]
    case .rolling:
      let page = document.row["page"]?.stringValue ?? ""
      return [
        ("word_perplexity", .array([.number(ll[0]), .number(Wikitext.wordCount(page))])),
        ("byte_perplexity", .array([.number(ll[0]), .number(page.utf8.count)])),
        ("bits_per_byte", .array([.number(ll[0]), .number(page.utf8.count)])),
      ]
    }
  }

  /// lm-eval's aggregations and standard errors (evaluation.md §1.6).
  public static func aggregate(_ task: EvaluationTask, _ documents: [[(String, JSON)]]) -> [(name: String, value: Double, stderr: Double?)] {
    task.metrics.map { name in
      let values = documents.compactMap { metrics in metrics.first { $0.0 == name }?.1 }
      switch name {
      case "word_perplexity", "byte_perplexity", "bits_per_byte":
        let pairs = values.compactMap { $0.arrayValue }.map { ($0[0].doubleValue ?? 0, $0[1].doubleValue ?? 0) }
        let ll = pairs.reduce(0) { $0 + $1.0 }, units = pairs.reduce(0) { $0 + $1.1 }
        let value = name == "bits_per_byte" ? -ll / units / log(2) : exp(-ll / units)
        return (name, value, nil)
      case "perplexity":
        let ll = values.compactMap(\.doubleValue)
        return (name, exp(-ll.reduce(0, +) / Double(ll.count)), Statistics.bootstrapPerplexityStderr(ll))
      default:
        let x = values.compactMap(\.doubleValue)
        return (name, x.reduce(0, +) / Double(x.count), Statistics.meanStderr(x))
      }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
