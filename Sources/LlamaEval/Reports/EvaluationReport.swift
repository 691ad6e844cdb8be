import LlamaIO

/// The outputs of an evaluation in lm-eval's formats: `results.json` (the same top-level keys and
/// metric names: `results.<task>["acc,none"]`, `"acc_stderr,none"`, groups, versions, n-shot,
/// n-samples, …), one `samples_<task>.jsonl` per task, and lm-eval's Markdown table.
public struct EvaluationReport {
  public var tasks: [Evaluator.TaskResult]
  /// Free-form run configuration for the "config" entry (model, limit, …).
  public var config: [(String, JSON)]
  /// More top-level entries after "config", as lm-eval writes them (date, max_length, model
  /// name, tokenizer tokens, total_evaluation_time_seconds, …).
  public var details: [(String, JSON)]

  public init(tasks: [Evaluator.TaskResult], config: [(String, JSON)], details: [(String, JSON)] = []) {
    self.tasks = tasks
    self.config = config
    self.details = details
  }

  /// A group's aggregate: value, stderr, size.
  public struct GroupResult {
    public var name: String
    public var members: [String]
    public var metrics: [(name: String, value: Double, stderr: Double?)]
    public var size: Int
  }

  /// The MMLU groups whose every subject was evaluated (categories, then `mmlu` over them),
  /// weighted by size with lm-eval's pooled standard error.
  public var groups: [GroupResult] {
    let done = Dictionary(tasks.map { ($0.task.name, $0) }, uniquingKeysWith: { a, _ in a })
    var results: [GroupResult] = []
    var categories: [String: (value: Double, stderr: Double?, size: Int)] = [:]
    for category in ["mmlu_humanities", "mmlu_other", "mmlu_social_sciences", "mmlu_stem"] {
      let members = TaskRegistry.groups[category] ?? []
      guard members.allSatisfy({ done[$0] != nil }) else { continue }
      let parts = members.map { done[$0]! }.map { ($0.metrics.first { $0.name == "acc" }, $0.documentCount) }
      let pooled = Self.pool(parts.map { ($0.0?.value ?? 0, $0.0?.stderr, $0.1) })
      categories[category] = pooled
      results.append(GroupResult(name: category, members: members, metrics: [("acc", pooled.value, pooled.stderr)], size: pooled.size))
    }
    if categories.count == 4 {
      let order = ["mmlu_humanities", "mmlu_other", "mmlu_social_sciences", "mmlu_stem"]
      let pooled = Self.pool(order.map { categories[$0]! })
      results.insert(GroupResult(name: "mmlu", members: order, metrics: [("acc", pooled.value, pooled.stderr)], size: pooled.size), at: 0)
    }
    return results
  }

  /// Size-weighted mean and `pooled_sample_stderr`.
  static func pool(_ parts: [(value: Double, stderr: Double?, size: Int)]) -> (value: Double, stderr: Double?, size: Int) {
    let total = parts.reduce(0) { $0 + $1.size }
    let value = parts.reduce(0.0) { $0 + $1.value * Double($1.size) } / Double(total)
    guard parts.allSatisfy({ $0.stderr != nil }), total > parts.count else { return (value, nil, total) }
    let variance = parts.reduce(0.0) { $0 + Double($1.size - 1) * $1.stderr! * $1.stderr! * Double($1.size) } / Double(total - parts.count)
    return (value, (variance / Double(total)).squareRoot(), total)
  }

  static func metricEntries(_ metrics: [(name: String, value: Double, stderr: Double?)]) -> [(String, JSON)] {
    metrics.flatMap { metric -> [(String, JSON)] in
      [("\(metric.name),none", .number(metric.value)), ("\(metric.name)_stderr,none", metric.stderr.map { JSON.number($0) } ?? .string("N/A"))]
    }
  }

  static let higherIsBetter: [String: Bool] = [
    "acc": true, "acc_norm": true, "perplexity": false, "word_perplexity": false, "byte_perplexity": false, "bits_per_byte": false,
  ]

  /// results.json as lm-eval writes it.
  public func resultsJSON() -> JSON {
    var results: [(String, JSON)] = []
    for run in tasks {
      let alias = run.task.name.hasPrefix("mmlu_") ? String(run.task.name.dropFirst(5)) : run.task.name
      results.append((run.task.name, .object(JSONObject(
        [("name", .string(run.task.name)), ("alias", .string(alias)), ("sample_len", .number(run.documentCount))]
          + Self.metricEntries(run.metrics)))))
    }
    let groups = self.groups
    var groupEntries: [(String, JSON)] = []
    for group in groups {
      let entry = JSON.object(JSONObject(
        [("alias", .string(group.name)), ("name", .string(group.name)), ("sample_len", .number(group.size))] + Self.metricEntries(group.metrics)
          + [("sample_count", .object(JSONObject([("acc,none", .number(group.size))])))]))
      results.append((group.name, entry))
      groupEntries.append((group.name, entry))
    }
    let fewshot = Dictionary(tasks.map { ($0.task.name, $0.fewshot) }, uniquingKeysWith: { a, _ in a })
    var object: [(String, JSON)] = [("results", .object(JSONObject(results)))]
    if !groupEntries.isEmpty { object.append(("groups", .object(JSONObject(groupEntries)))) }
    object.append(("group_subtasks", .object(JSONObject(groups.map { ($0.name, JSON.array($0.members.map { .string($0) })) }))))
    object.append(("configs", .object(JSONObject(tasks.map { run in
      (run.task.name, JSON.object(JSONObject([
        ("task", .string(run.task.name)), ("output_type", .string(Self.outputType(run.task.kind))),
        ("num_fewshot", .number(run.fewshot)), ("target_delimiter", .string(" ")), ("fewshot_delimiter", .string("\n\n")),
        ("metric_list", .array(run.task.metrics.map { .object(JSONObject([("metric", .string($0))])) })),
        ("metadata", .object(JSONObject([("version", .number(run.task.version))]))),
      ])))
    }))))
    object.append(("versions", .object(JSONObject(tasks.map { ($0.task.name, JSON.number($0.task.version)) } + groups.map { ($0.name, JSON.string("2")) }))))
    object.append(("n-shot", .object(JSONObject(tasks.map { ($0.task.name, JSON.number($0.fewshot)) }
      + groups.map { group in (group.name, JSON.number(group.members.compactMap { fewshot[$0] }.first ?? 0)) }))))
    object.append(("higher_is_better", .object(JSONObject((tasks.map { ($0.task.name, $0.task.metrics) } + groups.map { ($0.name, ["acc"]) }).map { name, metrics in
      (name, JSON.object(JSONObject(metrics.map { ($0, JSON.bool(Self.higherIsBetter[$0] ?? true)) })))
    }))))
    object.append(("n-samples", .object(JSONObject(tasks.map { run in
      (run.task.name, JSON.object(JSONObject([("original", .number(run.originalCount)), ("effective", .number(run.documentCount))])))
    }))))
    object.append(("config", .object(JSONObject(config))))
    object += details
    return .object(JSONObject(object))
  }

  static func outputType(_ kind: EvaluationTask.Kind) -> String {
    switch kind {
    case .multipleChoice, .multipleInputs, .llamaCppMultipleChoice: return "multiple_choice"
    case .loglikelihood: return "loglikelihood"
    case .rolling: return "loglikelihood_rolling"
    }
  }

  /// Python's `str()` of a float, as lm-eval stores responses: the shortest text that reads back.
  static func pythonFloat(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    var text = "\(x)"
    if !text.contains(".") && !text.contains("e") { text += ".0" }
    return text
  }

  /// One JSON line per document, as lm-eval's `--log_samples` writes them.
  public static func samplesLines(_ run: Evaluator.TaskResult) -> [String] {
    run.samples.map { sample in
      var arguments: [(String, JSON)] = []
      for (i, request) in sample.requests.enumerated() {
        arguments.append((
          "gen_args_\(i)",
          run.task.kind == .rolling
            ? .object(JSONObject([("arg_0", .string(request.continuation))]))
            : .object(JSONObject([("arg_0", .string(request.context)), ("arg_1", .string(request.continuation))]))
        ))
      }
      let responses: [JSON] = sample.results.map { result in
        run.task.kind == .rolling
          ? .string(pythonFloat(result.logLikelihood))
          : .array([.string(pythonFloat(result.logLikelihood)), .string(result.isGreedy ? "True" : "False")])
      }
      var fields: [(String, JSON)] = [
        ("doc_id", .number(sample.documentIndex)), ("doc", sample.document.row), ("target", .string(sample.document.target)),
        ("arguments", .object(JSONObject(arguments))), ("resps", .array(responses.map { .array([$0]) })),
        ("filtered_resps", .array(responses)), ("filter", .string("none")), ("metrics", .array(run.task.metrics.map { .string($0) })),
      ]
      fields += sample.metrics
      if sample.truncated { fields.append(("truncated", .bool(true))) }
      return JSON.object(JSONObject(fields)).serialized(pretty: false)
    }
  }

  /// lm-eval's result table.
  public func markdownTable() -> String {
    var lines = ["|Tasks|Version|Filter|n-shot|Metric| |Value| |Stderr|", "|---|---:|---|---:|---|---|---:|---|---:|"]
    func number(_ x: Double) -> String {
      let rounded = (x * 10000).rounded() / 10000
      return "\(rounded)"
    }
    for run in tasks {
      for (i, metric) in run.metrics.enumerated() {
        let arrow = (Self.higherIsBetter[metric.name] ?? true) ? "↑" : "↓"
        let head = i == 0 ? "|\(run.task.name)|\(run.task.version)|none|\(run.fewshot)" : "| | |none|\(run.fewshot)"
        lines.append("\(head)|\(metric.name)|\(arrow)|\(number(metric.value))|±|\(metric.stderr.map(number) ?? "N/A")|")
      }
    }
    let groups = self.groups
    if !groups.isEmpty {
      lines += ["", "|Groups|Version|Filter|n-shot|Metric| |Value| |Stderr|", "|---|---:|---|---:|---|---|---:|---|---:|"]
      for group in groups {
        for metric in group.metrics {
          lines.append("|\(group.name)|2|none| |\(metric.name)|↑|\(number(metric.value))|±|\(metric.stderr.map(number) ?? "N/A")|")
        }
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
