import ArgumentParser
import LlamaEval
import LlamaIO

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Draw evaluation and perplexity results as one self-contained HTML page.",
    discussion: """
      Each RESULTS file is a results.json written by `llamakit eval --output DIR` (or by lm-eval) \
      or the JSON printed by `llamakit perplexity --json` (chunked, rolling or --kl-divergence). \
      The page holds a table of every task and metric with its standard error (a column per \
      file), a bar chart per metric comparing the files, the running perplexity per chunk, and \
      for KL-divergence runs the distribution of per-token KL and the top-1 agreement per chunk. \
      It loads nothing from elsewhere: styles inline, charts inline SVG, no scripts.

      A file is labelled by its folder (for results.json) or its name without .json; --label \
      names them instead, once per file.

      Examples:
        llamakit eval q4.gguf --tasks arc_easy,hellaswag --data benchmarks --output q4
        llamakit eval f16.gguf --tasks arc_easy,hellaswag --data benchmarks --output f16
        llamakit report f16/results.json q4/results.json -o compare.html
        llamakit perplexity q4.gguf --kl-divergence-base f16.kld --kl-divergence --json > q4-kld.json
        llamakit report q4-kld.json q8-kld.json --label Q4_K_M --label Q8_0 -o kld.html
        llamakit report --results f16/results.json --results q4/results.json -o compare.html
      """)

  @Argument(help: ArgumentHelp("results.json files of `eval` or JSON outputs of `perplexity --json`.", valueName: "results"))
  var positional: [String] = []

  @Option(name: .customLong("results"), help: ArgumentHelp("A results file too (the same as giving it as an argument; repeatable).", valueName: "file"))
  var named: [String] = []

  /// The files in the order given: arguments first, then --results.
  var results: [String] { positional + named }

  @Option(name: [.customShort("o"), .long], help: ArgumentHelp("The HTML file to write.", valueName: "file"))
  var output: String

  @Option(help: ArgumentHelp("A name for each RESULTS file, in order (default: its folder or file name).", valueName: "name"))
  var label: [String] = []

  @Option(help: "The page's title.")
  var title = "LlamaKit report"

  func validate() throws {
    if results.isEmpty { throw ValidationError("give at least one results file") }
    if !label.isEmpty && label.count != results.count {
      throw ValidationError("--label given \(label.count) times for \(results.count) results files")
    }
  }

  func run() throws {
    var runs: [ReportRun] = []
    for (i, path) in results.enumerated() {
      let json = try JSON.parse(contentsOf: path)
      runs.append(try ReportRun(json: json, label: label.isEmpty ? Self.label(results: path) : label[i], source: path))
    }
    try HTMLReport(runs: runs, title: title).write(to: output)
  }

  /// "q4" for q4/results.json, "q4-kld" for q4-kld.json.
  static func label(results path: String) -> String {
    let parts = path.split(separator: "/").map(String.init)
    guard let name = parts.last else { return path }
    if name == "results.json", parts.count > 1 { return parts[parts.count - 2] }
    return name.hasSuffix(".json") ? String(name.dropLast(5)) : name
  }

  /// A model's name: the last component of its path.
  static func label(model path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
  }
}
