import LlamaIO

/// One result set of a report: an evaluation (lm-eval's `results.json`, as `llamakit eval`
/// writes it) or a perplexity run (the object `llamakit perplexity --json` prints), reduced to
/// what the report draws.
public struct ReportRun: Sendable {
  /// One metric of one task (or of the perplexity run): value and standard error.
  public struct Metric: Sendable, Equatable {
    public var task: String
    public var name: String
    public var value: Double
    public var stderr: Double?
    /// true: higher is better; false: lower; nil: closer to zero (a mean difference).
    public var higherIsBetter: Bool?
  }

  public enum Kind: String, Sendable { case evaluation, perplexity, klDivergence = "kl-divergence" }

  public var label: String
  public var kind: Kind
  public var metrics: [Metric] = []
  /// Perplexity after each chunk (llama-perplexity's `[k]value`).
  public var runningPerplexity: [Double] = []
  /// Per document of a rolling run: its token perplexity.
  public var documentPerplexity: [Double] = []
  /// Per scored token: KL divergence of this model from the base.
  public var klDivergence: [Double] = []
  /// Per chunk: the fraction of tokens whose most likely next token is the base's.
  public var sameTopPerChunk: [Double] = []
  /// Settings shown under the run's name (model, n_ctx, chunks, few-shot, limit, …).
  public var settings: [(String, String)] = []

  public init(label: String, kind: Kind) {
    self.label = label
    self.kind = kind
  }

  public enum Failure: Error, CustomStringConvertible {
    case unrecognized(source: String)
    case malformed(source: String, detail: String)

    public var description: String {
      switch self {
      case .unrecognized(let source):
        return "\(source): not a results.json of `llamakit eval` / lm-eval nor the JSON of `llamakit perplexity --json`"
      case .malformed(let source, let detail): return "\(source): \(detail)"
      }
    }
  }

  /// Reads a run from its JSON; `source` names the file in errors.
  public init(json: JSON, label: String, source: String) throws {
    guard let object = json.objectValue else { throw Failure.unrecognized(source: source) }
    if let results = object["results"]?.objectValue {
      self.init(label: label, kind: .evaluation)
      try readEvaluation(object, results: results, source: source)
    } else if let method = object["method"]?.stringValue {
      self.init(label: label, kind: method == "kl-divergence" ? .klDivergence : .perplexity)
      try readPerplexity(object, method: method, source: source)
    } else {
      throw Failure.unrecognized(source: source)
    }
  }

  /// Entries that name or count rather than measure.
  static let evaluationBookkeeping: Set<String> = ["alias", "name", "sample_len", "sample_count", " "]

  private mutating func readEvaluation(_ object: JSONObject, results: JSONObject, source: String) throws {
    let better = object["higher_is_better"]?.objectValue
    let groups = Set(object["groups"]?.objectValue?.keys ?? [])
    for entry in results.entries {
      guard let fields = entry.value.objectValue else {
        throw Failure.malformed(source: source, detail: "results.\(entry.key) is not an object")
      }
      for field in fields.entries where !Self.evaluationBookkeeping.contains(field.key) && !field.key.contains("_stderr,") {
        guard let value = field.value.doubleValue else { continue }
        let parts = field.key.split(separator: ",", maxSplits: 1).map(String.init)
        let name = parts[0]
        let filter = parts.count > 1 ? parts[1] : "none"
        let stderr = fields["\(name)_stderr,\(filter)"]?.doubleValue
        let higher = better?[entry.key]?[name]?.boolValue ?? EvaluationReport.higherIsBetter[name] ?? true
        let task = groups.contains(entry.key) ? entry.key + " (group)" : entry.key
        metrics.append(Metric(task: task, name: name, value: value, stderr: stderr, higherIsBetter: higher))
      }
    }
    if let config = object["config"]?.objectValue {
      for key in ["model_args", "limit", "shard"] {
        if let value = config[key], !value.isNull { settings.append((key, value.stringValue ?? value.serialized())) }
      }
    }
    if let shots = object["n-shot"]?.objectValue, let first = shots.entries.first {
      let all = Set(shots.entries.map { $0.value.serialized() })
      settings.append(("num_fewshot", all.count == 1 ? first.value.serialized() : "per task"))
    }
  }

  /// (metric, its error key, higher is better) of a perplexity JSON.
  static let perplexityMetrics: [(String, String?, Bool?)] = [
    ("ppl", "ppl_stderr", false), ("ppl_base", nil, false), ("ppl_ratio", nil, false),
    ("ln_ppl_ratio", "ln_ppl_ratio_stderr", false), ("mean_kld", "mean_kld_stderr", false), ("max_kld", nil, false),
    ("same_top", "same_top_stderr", true), ("mean_delta_p", nil, nil), ("rms_delta_p", nil, false),
    ("word_perplexity", nil, false), ("byte_perplexity", nil, false), ("bits_per_byte", nil, false),
  ]

  private mutating func readPerplexity(_ object: JSONObject, method: String, source: String) throws {
    for (name, errorKey, higher) in Self.perplexityMetrics {
      guard let value = object[name]?.doubleValue else { continue }
      metrics.append(Metric(
        task: "perplexity", name: name, value: value, stderr: errorKey.flatMap { object[$0]?.doubleValue }, higherIsBetter: higher))
    }
    settings.append(("method", method))
    for key in ["model", "file", "n_ctx", "chunks", "documents", "scored_tokens"] {
      if let value = object[key], !value.isNull { settings.append((key, value.stringValue ?? value.serialized())) }
    }
    runningPerplexity = try numbers(object, "running_ppl", source: source)
    documentPerplexity = try numbers(object, "document_ppl", source: source)
    klDivergence = try numbers(object, "kld", source: source)
    sameTopPerChunk = try numbers(object, "same_top_per_chunk", source: source)
  }

  private func numbers(_ object: JSONObject, _ key: String, source: String) throws -> [Double] {
    guard let value = object[key] else { return [] }
    guard let list = value.arrayValue else { throw Failure.malformed(source: source, detail: "\(key) is not a list") }
    return try list.map {
      guard let x = $0.doubleValue else { throw Failure.malformed(source: source, detail: "\(key) holds a \($0.kindName), not a number") }
      return x
    }
  }
}
