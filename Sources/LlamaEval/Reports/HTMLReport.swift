import LlamaIO

/// A self-contained HTML report of one or more runs: a metrics table with standard errors, a bar
/// chart per metric across the runs, the running perplexity per chunk, and for KL-divergence
/// runs the distribution of per-token KL and the top-1 agreement. One file, no scripts: styles
/// inline, charts inline SVG, and a Content-Security-Policy that forbids loading anything else.
public struct HTMLReport {
  public var runs: [ReportRun]
  public var title: String

  public init(runs: [ReportRun], title: String = "LlamaKit report") {
    self.runs = runs
    self.title = title
  }

  /// Writes the page to `path` (atomically: a temporary file renamed when complete).
  public func write(to path: String) throws {
    try AtomicFile.write(Array(render().utf8), to: path)
  }

  /// The page of one run given as its JSON (results.json, or perplexity's object).
  public static func write(_ json: JSON, label: String, title: String, to path: String) throws {
    try HTMLReport(runs: [ReportRun(json: json, label: label, source: path)], title: title).write(to: path)
  }

  public func render() -> String {
    var page = """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8">
      <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(HTMLText.escape(title))</title>
      <style>\(Self.style)</style></head><body>
      <h1>\(HTMLText.escape(title))</h1>

      """
    page += runsSection()
    page += metricsTable()
    page += metricCharts()
    page += perplexityCharts()
    page += klSection()
    page += "<footer>Made by llamakit. Error bars and ± are one standard error, as lm-eval and llama-perplexity report them.</footer>\n</body></html>\n"
    return page
  }

  static let style = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:980px;padding:0 16px;color:#1d1d1f}\
    h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}\
    table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}\
    td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f6f6f6}\
    .swatch{display:inline-block;width:10px;height:10px;margin-right:6px}\
    svg{width:100%;height:auto;margin:8px 0 16px}svg.compact{width:49%;vertical-align:top}svg text{font:11px system-ui,sans-serif;fill:#333}\
    svg text.title{font-size:14px;font-weight:600}svg text.axis{font-size:12px}\
    footer{margin-top:32px;color:#777;font-size:12px}.better{color:#777;font-size:12px}
    """

  private func runsSection() -> String {
    var html = "<h2>Runs</h2>\n<table><tr><th>run</th><th>kind</th><th>settings</th></tr>\n"
    for (i, run) in runs.enumerated() {
      let settings = run.settings.map { "\(HTMLText.escape($0.0)): \(HTMLText.escape($0.1))" }.joined(separator: ", ")
      html += "<tr><td><span class=\"swatch\" style=\"background:\(SVGChart.colour(i))\"></span>\(HTMLText.escape(run.label))</td><td>\(run.kind.rawValue)</td><td>\(settings)</td></tr>\n"
    }
    return html + "</table>\n"
  }

  /// (task, metric) in first-seen order across the runs.
  private var rows: [(task: String, metric: String, higherIsBetter: Bool?)] {
    var seen = Set<String>()
    var rows: [(String, String, Bool?)] = []
    for run in runs {
      for m in run.metrics where seen.insert(m.task + "\u{0}" + m.name).inserted { rows.append((m.task, m.name, m.higherIsBetter)) }
    }
    return rows
  }

  private func value(_ run: ReportRun, _ task: String, _ metric: String) -> ReportRun.Metric? {
    run.metrics.first { $0.task == task && $0.name == metric }
  }

  private func metricsTable() -> String {
    guard !rows.isEmpty else { return "" }
    var html = "<h2>Metrics</h2>\n<table><tr><th>task</th><th>metric</th>"
    for run in runs { html += "<th>\(HTMLText.escape(run.label))</th>" }
    html += "</tr>\n"
    for row in rows {
      html += "<tr><td>\(HTMLText.escape(row.task))</td><td>\(HTMLText.escape(row.metric)) <span class=\"better\">\(row.higherIsBetter.map { $0 ? "↑" : "↓" } ?? "→0")</span></td>"
      for run in runs {
        guard let m = value(run, row.task, row.metric) else {
          html += "<td class=\"n\">–</td>"
          continue
        }
        let error = m.stderr.map { " ± " + DecimalText.short($0) } ?? ""
        html += "<td class=\"n\">\(DecimalText.short(m.value))\(error)</td>"
      }
      html += "</tr>\n"
    }
    return html + "</table>\n"
  }

  /// One bar chart per metric name: the tasks that have it, a bar per run.
  private func metricCharts() -> String {
    var names: [String] = []
    for row in rows where !names.contains(row.metric) { names.append(row.metric) }
    var html = ""
    for name in names where !Self.tableOnly.contains(name) {
      let tasks = rows.filter { $0.metric == name }.map(\.task)
      let plotted = runs.filter { run in tasks.contains { value(run, $0, name) != nil } }
      guard !plotted.isEmpty else { continue }
      let series = plotted.map { run in
        SVGChart.Series(
          label: run.label, values: tasks.map { value(run, $0, name)?.value }, errors: tasks.map { value(run, $0, name)?.stderr })
      }
      let better = rows.first { $0.metric == name }!.higherIsBetter.map { $0 ? "higher is better" : "lower is better" } ?? "closer to 0 is better"
      html += SVGChart.bars(title: "\(name) (\(better))", categories: tasks, series: series, axis: name, compact: tasks.count == 1) + "\n"
    }
    return html.isEmpty ? "" : "<h2>Metrics by task</h2>\n" + html
  }

  /// Perplexity-run numbers shown in the table but not charted (they follow from the charted ones).
  static let tableOnly: Set<String> = ["ppl_base", "ppl_ratio", "ln_ppl_ratio", "max_kld", "mean_delta_p", "rms_delta_p"]

  private func perplexityCharts() -> String {
    perplexityLines(
      \.runningPerplexity, heading: "Running perplexity",
      explanation: "The estimate after each chunk, as llama-perplexity prints it ([1]…, [2]…).",
      title: "perplexity after each chunk", xAxis: "chunks")
      + perplexityLines(
        \.documentPerplexity, heading: "Perplexity per document",
        explanation: "Each document's token perplexity in the rolling (lm-eval) method.",
        title: "token perplexity of each document", xAxis: "documents")
  }

  /// A section with one line per run of the values at `values` (when some run has two or more),
  /// on a logarithmic axis when they span more than a factor of 20.
  private func perplexityLines(_ values: KeyPath<ReportRun, [Double]>, heading: String, explanation: String, title: String, xAxis: String) -> String {
    guard runs.contains(where: { $0[keyPath: values].count > 1 }) else { return "" }
    let series = runs.map { SVGChart.Series(label: $0.label, values: $0[keyPath: values]) }
    let positive = runs.flatMap { $0[keyPath: values] }.filter { $0 > 0 && $0.isFinite }
    let spread = (positive.max() ?? 1) / max(positive.min() ?? 1, 1e-300)
    return "<h2>\(heading)</h2>\n<p>\(explanation)</p>\n"
      + SVGChart.lines(title: title, series: series, xAxis: xAxis, axis: "perplexity", logarithmic: spread > 20) + "\n"
  }

  /// Per-token KL in logarithmic bins from 1e-6 (everything smaller in the first) to the
  /// largest value, and the top-1 agreement per chunk.
  private func klSection() -> String {
    let kl = runs.filter { !$0.klDivergence.isEmpty }
    guard !kl.isEmpty else { return "" }
    let largest = kl.flatMap(\.klDivergence).max() ?? 1
    let lowest = -6.0, highest = max(lowest + 1, log10(max(largest, 1e-6)).rounded(.up))
    let perDecade = 4.0
    let bins = Int((highest - lowest) * perDecade)
    let edges = (0...bins).map { lowest + Double($0) / perDecade }
    let labels = edges.map { e in e == e.rounded() ? "1e\(Int(e))" : "" }
    var series: [SVGChart.Series] = []
    var html = "<h2>KL divergence from the base</h2>\n<table><tr><th>run</th><th class=\"n\">tokens</th><th class=\"n\">mean KLD</th><th class=\"n\">median</th><th class=\"n\">99%</th><th class=\"n\">max</th><th class=\"n\">same top</th></tr>\n"
    for run in runs {
      var counts = [Double](repeating: 0, count: bins)
      for x in run.klDivergence {
        let position = x > 0 ? (log10(x) - lowest) * perDecade : 0
        counts[min(max(Int(position.rounded(.down)), 0), bins - 1)] += 1
      }
      let total = Double(max(run.klDivergence.count, 1))
      series.append(SVGChart.Series(label: run.label, values: run.klDivergence.isEmpty ? [] : counts.map { $0 / total }))
      guard !run.klDivergence.isEmpty else { continue }
      let sorted = run.klDivergence.sorted()
      let sameTop = run.metrics.first { $0.name == "same_top" }
      let mean = run.metrics.first { $0.name == "mean_kld" }
      html += "<tr><td>\(HTMLText.escape(run.label))</td><td class=\"n\">\(sorted.count)</td>"
        + "<td class=\"n\">\(mean.map { DecimalText.short($0.value) + ($0.stderr.map { " ± " + DecimalText.short($0) } ?? "") } ?? "–")</td>"
        + "<td class=\"n\">\(DecimalText.short(KLDivergence.Comparison.percentile(sorted, 0.5)))</td>"
        + "<td class=\"n\">\(DecimalText.short(KLDivergence.Comparison.percentile(sorted, 0.99)))</td>"
        + "<td class=\"n\">\(DecimalText.short(sorted.last!))</td>"
        + "<td class=\"n\">\(sameTop.map { DecimalText.fixed(100 * $0.value, 2) + "%" + ($0.stderr.map { " ± " + DecimalText.fixed(100 * $0, 2) + "%" } ?? "") } ?? "–")</td></tr>\n"
    }
    html += "</table>\n"
    html += SVGChart.histogram(
      title: "per-token KL divergence (fraction of tokens per bin)", edgeLabels: labels, series: series, axis: "fraction of tokens",
      xAxis: "KL divergence (nats, logarithmic; the first bin holds everything below 1e-6)") + "\n"
    if runs.contains(where: { !$0.sameTopPerChunk.isEmpty }) {
      html += SVGChart.lines(
        title: "top-1 agreement with the base per chunk", series: runs.map { SVGChart.Series(label: $0.label, values: $0.sameTopPerChunk) },
        xAxis: "chunk", axis: "same top token") + "\n"
    }
    return html
  }
}

#if canImport(Glibc)
  import Glibc
#endif
