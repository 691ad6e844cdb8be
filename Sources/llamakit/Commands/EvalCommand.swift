import ArgumentParser
import LlamaEval
import LlamaIO
import LlamaInference
import LlamaKit
import LlamaTokenizer

#if canImport(Glibc)
  import Glibc
#endif

struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Evaluate a model on benchmark tasks with lm-evaluation-harness's prompts and metrics.",
    discussion: """
      `llamakit eval MODEL …` is `llamakit eval run MODEL …` (see `llamakit eval run --help` for \
      every option); `llamakit eval merge` combines the outputs of sharded runs.

      Examples:
        llamakit eval llama-2-7b.Q4_K_M.gguf --tasks arc_easy,hellaswag --data benchmarks --limit 200
        llamakit eval merge shard0 shard1 --output results
      """,
    subcommands: [EvalRunCommand.self, EvalMergeCommand.self], defaultSubcommand: EvalRunCommand.self)
}

struct EvalRunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Evaluate a model on benchmark tasks with lm-evaluation-harness's prompts and metrics.",
    discussion: """
      Tasks (lm-eval's names): hellaswag, arc_easy, arc_challenge, piqa, winogrande, mmlu (all 57 \\
      subjects and the size-weighted group; mmlu_stem, mmlu_humanities, mmlu_social_sciences, \\
      mmlu_other; or one subject, e.g. mmlu_anatomy), lambada_openai, truthfulqa_mc1, \\
      truthfulqa_mc2, wikitext. The data are the original public files in --data, laid out as \\
      the README describes. Requests are rendered, tokenized (BOS in front, context and \\
      continuation split as lm-eval splits them) and scored as lm-eval 0.4.13 does with a \\
      Hugging Face model; the choices of a question share one evaluation of its context.

      Prints lm-eval's result table; --output DIR writes results.json (lm-eval's keys) and, with \\
      --log-samples, samples_<task>.jsonl.

      Examples:
        llamakit eval llama-2-7b.Q4_K_M.gguf --tasks arc_easy,hellaswag --data benchmarks --limit 200
        llamakit eval models/llama-2-7b-hf --tasks mmlu --num-fewshot 5 --data benchmarks --output results
        llamakit eval model.gguf --tasks arc_easy --data benchmarks --shard 0/2 --output shard0   # and 1/2
        llamakit eval merge shard0 shard1 --output results
        llamakit eval model.gguf --tasks arc_easy,piqa --data benchmarks --report report.html
      """)

  @OptionGroup var options: ModelOptions

  @Option(help: "Comma-separated task names.", completion: .list(TaskRegistry.names))
  var tasks: String

  @Option(help: "The folder of benchmark files (the README's layout).")
  var data: String

  @Option(name: [.long, .customLong("num_fewshot")], help: "Few-shot examples per question (default: the task's; only MMLU's first-n examples are supported).")
  var numFewshot: Int?

  @Option(help: "Evaluate the first N documents of each task.")
  var limit: Int?

  @Option(help: #"Documents to evaluate per task, as lm-eval's --samples: a JSON object {"task": [indices]} or a file holding one."#)
  var samples: String?

  @Option(name: [.long, .customLong("batch_size")], help: "Accepted for lm-eval compatibility; requests are scored one context at a time.")
  var batchSize: String?

  @Option(name: [.long, .customLong("max_length")], help: "Context length of the model (default: its trained context, as lm-eval's max_length).")
  var maxLength: Int?

  @Option(name: [.customShort("o"), .long, .customLong("output_path")], help: "Write results.json (and samples) to this folder.")
  var output: String?

  @Flag(name: [.long, .customLong("log_samples")], help: "With --output, also write samples_<task>.jsonl (lm-eval's per-document log).")
  var logSamples = false

  @Option(help: ArgumentHelp("Also write a self-contained HTML report (metrics with standard errors, a chart per metric) to FILE.", valueName: "file"))
  var report: String?

  @OptionGroup var progressOptions: ProgressOptions

  @Option(help: "Evaluate shard i of n (i/n, from 0/n): every n-th document starting at i.")
  var shard: String?

  func validate() throws {
    if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, not \(limit)") }
    if let numFewshot, numFewshot < 0 { throw ValidationError("--num-fewshot must not be negative, not \(numFewshot)") }
    if let maxLength, maxLength < 2 { throw ValidationError("--max-length must be at least 2, not \(maxLength)") }
    if limit != nil && samples != nil { throw ValidationError("--limit and --samples cannot be combined") }
    if logSamples && output == nil { throw ValidationError("--log-samples needs --output DIR") }
    if let shard, Self.shard(shard) == nil { throw ValidationError("--shard \(shard): expected i/n with 0 <= i < n") }
    for name in taskNames where TaskRegistry.resolve(name) == nil {
      throw ValidationError("--tasks: unknown task \(name) (known: \(TaskRegistry.names.joined(separator: ", ")))")
    }
  }

  var taskNames: [String] { tasks.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty } }

  static func shard(_ text: String) -> (index: Int, count: Int)? {
    let parts = text.split(separator: "/")
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
    return (i, n)
  }

  /// --samples: inline JSON, or a file with it.
  func sampleIndices() throws -> [String: [Int]]? {
    guard let samples else { return nil }
    let trimmed = samples.trimmingSpaces()
    let json = trimmed.hasPrefix("{") ? try JSON.parse(trimmed, source: "--samples") : try JSON.parse(contentsOf: samples)
    guard let object = json.objectValue else { throw ValidationError("--samples: expected a JSON object {\"task\": [indices]}") }
    var result: [String: [Int]] = [:]
    for entry in object.entries {
      guard let list = entry.value.arrayValue, list.allSatisfy({ $0.intValue != nil }) else {
        throw ValidationError("--samples: \(entry.key) must map to a list of document indices")
      }
      result[entry.key] = list.map { Int($0.intValue!) }
    }
    return result
  }

  func run() throws {
    let tokenizer = try options.loadTokenizer()
    let model = try options.loadModel()
    let chosen = try sampleIndices()
    let maxLength = self.maxLength ?? model.config.contextLength ?? 2048
    let bosID = Int(tokenizer.vocabulary.trainer.bosID)
    let prefix = bosID >= 0 ? bosID : Int(tokenizer.vocabulary.trainer.eosID)
    let encoder = PairEncoder(
      encode: { text in (bosID >= 0 ? [bosID] : []) + tokenizer.encode(text).map(Int.init) },
      encodePlain: { text in tokenizer.encode(text).map(Int.init) }, prefix: prefix)
    let session = try InferenceSession(model: model, contextLength: maxLength, batchSize: min(maxLength, 512), threads: options.threads)
    let evaluator = Evaluator(model: session, encoder: encoder, maxLength: maxLength)
    let data = DataFolder(path: data)
    var resolved: [EvaluationTask] = []
    for name in taskNames { resolved += TaskRegistry.resolve(name)! }
    let start = Progress.now()
    var results: [Evaluator.TaskResult] = []
    // One progress line for the whole run (MMLU is 57 tasks): the task, then its documents.
    let progress = progressOptions.progress("eval")
    let evaluated = resolved.filter { chosen == nil || chosen?[$0.name] != nil }
    for (number, task) in evaluated.enumerated() {
      progress.restart()
      let taskStart = Progress.now()
      let selection = Evaluator.Selection(limit: limit, indices: chosen?[task.name], shard: shard.flatMap(Self.shard) ?? (0, 1))
      let result = try evaluator.run(task, data: data, fewshot: numFewshot, selection: selection) {
        progress.update($0, of: $1, unit: "documents", prefix: "task \(number + 1)/\(evaluated.count) \(task.name): ")
      }
      progress.detail("\(task.name): \(result.documentCount) documents, \(result.samples.reduce(0) { $0 + $1.requests.count }) requests in \(DecimalText.fixed(Progress.now() - taskStart, 1)) s: "
        + result.metrics.map { "\($0.name) \(DecimalText.short($0.value))" }.joined(separator: ", "))
      let truncated = result.samples.filter(\.truncated).count
      if truncated > 0 {
        progress.note("llamakit: \(task.name): \(truncated) document(s) had requests longer than \(maxLength) tokens, cut from the left as lm-eval does")
      }
      results.append(result)
    }
    progress.finish()
    let config: [(String, JSON)] = [
      ("model", .string("llamakit")), ("model_args", .string(options.model)), ("batch_size", .string(batchSize ?? "1")),
      ("limit", limit.map { JSON.number($0) } ?? .null), ("bootstrap_iters", .number(100_000)),
      ("shard", shard.map { JSON.string($0) } ?? .null),
    ]
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let vocabulary = tokenizer.vocabulary
    func piece(_ id: Int32) -> JSON { id >= 0 && Int(id) < vocabulary.count ? .string(vocabulary.pieces[Int(id)]) : .null }
    let details: [(String, JSON)] = [
      ("date", .number(Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9)), ("llamakit_version", .string(LlamaKitCommand.configuration.version)),
      ("tokenizer_eos_token", .array([piece(vocabulary.trainer.eosID), .number(Int(vocabulary.trainer.eosID))])),
      ("tokenizer_bos_token", .array([piece(vocabulary.trainer.bosID), .number(Int(vocabulary.trainer.bosID))])),
      ("eot_token_id", .number(Int(vocabulary.trainer.eosID))), ("max_length", .number(maxLength)),
      ("model_source", .string("llamakit")), ("model_name", .string(options.model)),
      ("total_evaluation_time_seconds", .string(String(Progress.now() - start))),
    ]
    let report = EvaluationReport(tasks: results, config: config, details: details)
    if let output {
      try createDirectories(output)
      if shard != nil { try AtomicFile.write(Array(Self.runConfiguration(results).utf8), to: output + "/llamakit_run.json") }
      if logSamples || shard != nil {
        for run in results {
          try AtomicFile.write(Array((EvaluationReport.samplesLines(run).joined(separator: "\n") + "\n").utf8), to: output + "/samples_\(run.task.name).jsonl")
        }
      }
      try AtomicFile.write(Array((report.resultsJSON().serialized(pretty: true) + "\n").utf8), to: output + "/results.json")
    }
    if let path = self.report {
      try HTMLReport.write(report.resultsJSON(), label: ReportCommand.label(model: options.model), title: "llamakit eval: \(options.model)", to: path)
    }
    StandardOutput.write(report.markdownTable())
    StandardOutput.flush()
  }
}

extension EvalRunCommand {
  /// What `eval merge` needs beyond the samples: each task's few-shot count and document total.
  static func runConfiguration(_ results: [Evaluator.TaskResult]) -> String {
    let tasks = results.map { run in
      (run.task.name, JSON.object(JSONObject([("num_fewshot", .number(run.fewshot)), ("original", .number(run.originalCount))])))
    }
    return JSON.object(JSONObject([("tasks", .object(JSONObject(tasks)))])).serialized(pretty: true) + "\n"
  }
}

extension String {
  func trimmingSpaces() -> String {
    var s = Substring(self)
    while s.first?.isWhitespace == true { s.removeFirst() }
    while s.last?.isWhitespace == true { s.removeLast() }
    return String(s)
  }
}
