import ArgumentParser
import LlamaEval
import LlamaIO

/// `llamakit eval merge`: the shards of one evaluation combined.
struct EvalMergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Combine the outputs of `eval --shard i/n` runs into the results of one run.",
    discussion: """
      Each DIR is the --output of one shard (its samples_<task>.jsonl and llamakit_run.json). The \
      documents of every task are put back in order and the metrics aggregated again, so the \
      results equal those of one unsharded run.

      Examples:
        llamakit eval merge shard0 shard1 --output results
        llamakit eval merge shards/* --output results --report report.html
      """)

  @Argument(help: ArgumentHelp("The shards' output folders.", valueName: "dir"))
  var folders: [String]

  @Option(name: [.customShort("o"), .long, .customLong("output_path")], help: "Write the merged results.json and samples here.")
  var output: String

  @Option(help: ArgumentHelp("Also write a self-contained HTML report of the merged results to FILE.", valueName: "file"))
  var report: String?

  func validate() throws {
    guard !folders.isEmpty else { throw ValidationError("give the shards' output folders") }
  }

  func run() throws {
    var lines: [String: [(Int, String, [(String, JSON)])]] = [:]
    var configuration: [String: (fewshot: Int, original: Int)] = [:]
    for folder in folders {
      let runPath = folder + "/llamakit_run.json"
      guard fileExists(atPath: runPath) else {
        throw IOError.cannotOpen(path: runPath, reason: "missing: not the output of `llamakit eval --shard`")
      }
      for entry in (try JSON.parse(contentsOf: runPath))["tasks"]?.objectValue?.entries ?? [] {
        configuration[entry.key] = (Int(entry.value["num_fewshot"]?.intValue ?? 0), Int(entry.value["original"]?.intValue ?? 0))
        let path = folder + "/samples_\(entry.key).jsonl"
        let text = try MappedFile(path: path).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        for (number, line) in text.split(separator: "\n").enumerated() {
          let object = try JSON.parse(String(line), source: "\(path):\(number + 1)")
          guard let id = object["doc_id"]?.intValue, let fields = object.objectValue else {
            throw IOError.cannotOpen(path: path, reason: "line \(number + 1) has no doc_id")
          }
          guard let task = TaskRegistry.resolve(entry.key)?.first else { throw ValidationError("\(path): unknown task \(entry.key)") }
          let metrics = fields.entries.filter { task.metrics.contains($0.key) }.map { ($0.key, $0.value) }
          lines[entry.key, default: []].append((Int(id), String(line), metrics))
        }
      }
    }
    var results: [Evaluator.TaskResult] = []
    for (name, documents) in lines.sorted(by: { $0.key < $1.key }) {
      let task = TaskRegistry.resolve(name)!.first!
      let sorted = documents.sorted { $0.0 < $1.0 }
      if let duplicate = zip(sorted, sorted.dropFirst()).first(where: { $0.0.0 == $0.1.0 }) {
        throw ValidationError("\(name): document \(duplicate.0.0) appears in two shards")
      }
      let config = configuration[name]!
      results.append(Evaluator.TaskResult(
        task: task, fewshot: config.fewshot, originalCount: config.original, samples: [], documentCount: sorted.count,
        metrics: Evaluator.aggregate(task, sorted.map(\.2))))
      try createDirectories(output)
      try AtomicFile.write(Array((sorted.map(\.1).joined(separator: "\n") + "\n").utf8), to: output + "/samples_\(name).jsonl")
    }
    let report = EvaluationReport(tasks: results, config: [("model", .string("llamakit")), ("merged_shards", .number(folders.count))])
    try createDirectories(output)
    try AtomicFile.write(Array((report.resultsJSON().serialized(pretty: true) + "\n").utf8), to: output + "/results.json")
    if let path = self.report {
      try HTMLReport.write(report.resultsJSON(), label: ReportCommand.label(model: output), title: "llamakit eval merge: \(output)", to: path)
    }
    StandardOutput.write(report.markdownTable())
    StandardOutput.flush()
  }
}
