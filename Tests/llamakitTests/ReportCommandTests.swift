import Foundation
import LlamaEval
import LlamaIO
import Testing

/// Runs of M0 that the report tests draw: an evaluation of two checkpoints and KL divergence of
/// two quantized GGUF files from the F16 one.
enum ReportRuns {
  static let m0 = CLI.fixtures + "/models/m0"
  static let data = CLI.fixtures + "/benchmarks"
  static let tasks = "arc_easy,winogrande,lambada_openai,mmlu_world_religions"

  /// Writes eval results and reports into `folder`: f32/results.json, q4_0/results.json,
  /// eval.html (eval --report), q4_0-kld.json, q4_k_m-kld.json, kl.html (perplexity --report),
  /// all.html (report over the four).
  static func make(in folder: String) throws {
    for (name, model) in [("f32", m0 + "/hf"), ("q4_0", m0 + "/gguf/m0.Q4_0.gguf")] {
      let report = name == "f32" ? ["--report", folder + "/eval.html"] : []
      let run = try CLI.run(["eval", model, "--tasks", tasks, "--data", data, "--limit", "30", "--output", folder + "/" + name] + report)
      try #require(run.status == 0, "\(run.stderr)")
    }
    let base = try CLI.run([
      "perplexity", m0 + "/gguf/m0.F16.gguf", "-f", CLI.fixtures + "/corpora/wiki.test.raw.head", "-c", "128", "--chunks", "20",
      "--kl-divergence-base", folder + "/f16.kld", "--report", folder + "/ppl.html",
    ])
    try #require(base.status == 0, "\(base.stderr)")
    for type in ["Q4_0", "Q4_K_M"] {
      let report = type == "Q4_0" ? ["--report", folder + "/kl.html"] : []
      let run = try CLI.run(["perplexity", m0 + "/gguf/m0.\(type).gguf", "--kl-divergence-base", folder + "/f16.kld", "--kl-divergence", "--json"] + report)
      try #require(run.status == 0, "\(run.stderr)")
      try Data(run.stdout.utf8).write(to: URL(fileURLWithPath: folder + "/\(type.lowercased())-kld.json"))
    }
    let all = try CLI.run([
      "report", folder + "/f32/results.json", folder + "/q4_0/results.json", "--results", folder + "/q4_0-kld.json",
      "--results", folder + "/q4_k_m-kld.json", "-o", folder + "/all.html",
    ])
    try #require(all.status == 0 && all.stdout.isEmpty, "\(all.stderr)")
  }

  static func page(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

  static func occurrences(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }
}

@Suite("llamakit report")
struct ReportCommandTests {
  @Test("eval --report, perplexity --report and report write one self-contained page with the metrics, their errors and the charts")
  func pages() throws {
    let folder = try CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try ReportRuns.make(in: folder)
    for name in ["eval", "ppl", "kl", "all"] {
      let html = try ReportRuns.page(folder + "/\(name).html")
      // Nothing to fetch: no scripts, stylesheets, images or frames, and the only URL is SVG's
      // namespace name (an identifier, never loaded); the policy forbids loading anything else.
      for tag in ["<script", "<link", "<img", "<iframe", "<object", "<embed", "url(", "@import", " src=", " href="] {
        #expect(!html.contains(tag), "\(name).html holds \(tag)")
      }
      let urls = ReportRuns.occurrences("http://", in: html) + ReportRuns.occurrences("https://", in: html), namespaces = ReportRuns.occurrences("http://www.w3.org/2000/svg\"", in: html)
      #expect(urls == namespaces && namespaces > 0, "\(name).html: \(urls) URLs, \(namespaces) of them SVG namespaces")
      #expect(html.contains("Content-Security-Policy\" content=\"default-src 'none'"))
      #expect(html.hasSuffix("</body></html>\n"))
    }

    // The eval page: every metric of results.json in the table (value ± stderr as printed) and
    // charted, one bar per task that has it.
    let results = try JSON.parse(contentsOf: folder + "/f32/results.json")
    let eval = try ReportRuns.page(folder + "/eval.html")
    var bars = 0
    for entry in try #require(results["results"]?.objectValue).entries {
      for metric in ["acc", "acc_norm", "perplexity"] {
        guard let value = entry.value["\(metric),none"]?.doubleValue else { continue }
        bars += 1
        let stderr = try #require(entry.value["\(metric)_stderr,none"]?.doubleValue)
        let cell = "<td class=\"n\">\(DecimalText.short(value)) ± \(DecimalText.short(stderr))</td>"
        #expect(eval.contains("<tr><td>\(entry.key)</td><td>\(metric) <span class=\"better\">"), "\(entry.key) \(metric)")
        #expect(eval.contains(cell), "\(entry.key) \(metric): \(cell)")
      }
    }
    #expect(bars == 6 && ReportRuns.occurrences("<rect class=\"bar\"", in: eval) == bars)
    #expect(eval.contains("acc (higher is better)") && eval.contains("perplexity (lower is better)"))

    // The KL page: the per-token distribution (fractions summing to one), top-1 agreement per
    // chunk, and running perplexity.
    let kl = try ReportRuns.page(folder + "/kl.html")
    let run = try JSON.parse(contentsOf: folder + "/q4_0-kld.json")
    let sameTop = try #require(run["same_top"]?.doubleValue)
    #expect(kl.contains("<td class=\"n\">\(DecimalText.fixed(100 * sameTop, 2))% ± "))
    #expect(try #require(run["same_top_per_chunk"]?.arrayValue).count == 20 && run["running_ppl"]?.arrayValue?.count == 20)
    #expect(kl.contains("per-token KL divergence") && kl.contains("top-1 agreement with the base per chunk") && kl.contains("perplexity after each chunk"))
    let histogram = try #require(kl.components(separatedBy: "per-token KL divergence").last?.components(separatedBy: "</svg>").first)
    let fractions = histogram.components(separatedBy: "</title></rect>").dropLast().compactMap { Double($0.components(separatedBy: ": ").last ?? "") }
    #expect(fractions.count > 3 && abs(fractions.reduce(0, +) - 1) < 0.01, "\(fractions)")

    // The combined page: a column per run, a legend entry per run in the eval charts.
    let all = try ReportRuns.page(folder + "/all.html")
    #expect(all.contains("<th>f32</th><th>q4_0</th><th>q4_0-kld</th><th>q4_k_m-kld</th>"))
    #expect(ReportRuns.occurrences("<svg", in: all) >= 8)
  }

  @Test("a rolling perplexity run's page charts each document's token perplexity")
  func rolling() throws {
    let folder = try CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let run = try CLI.run([
      "perplexity", ReportRuns.m0 + "/hf", "-f", CLI.fixtures + "/corpora/wiki.test.raw.head", "--method", "rolling", "--documents", "wikitext",
      "--json", "--report", folder + "/rolling.html",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let object = try CLI.json(run.stdout)
    let values = object["document_ppl"]?.arrayValue ?? []
    let documents = values.compactMap(\.doubleValue)
    // The head of wiki.test.raw holds two articles; the run's token perplexity lies between theirs.
    let ppl = try #require(object["ppl"]?.doubleValue)
    #expect(documents.count == 2 && documents.allSatisfy { $0 > 1 } && ppl >= documents.min()! && ppl <= documents.max()!, "\(documents) \(ppl)")
    let html = try ReportRuns.page(folder + "/rolling.html")
    #expect(html.contains("token perplexity of each document") && html.contains("<td>perplexity</td><td>word_perplexity <span"))
    #expect(!html.contains("perplexity after each chunk"))
  }

  @Test("report refuses files that are not results, and wrong --label counts, in one line")
  func errors() throws {
    let folder = try CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Data("{\"x\": 1}".utf8).write(to: URL(fileURLWithPath: folder + "/x.json"))
    let foreign = try CLI.run(["report", folder + "/x.json", "-o", folder + "/r.html"])
    #expect(foreign.status != 0 && foreign.stderr.contains("x.json: not a results.json") && foreign.stderr.split(separator: "\n").count == 1, "\(foreign.stderr)")
    let labels = try CLI.run(["report", folder + "/x.json", "--label", "a", "--label", "b", "-o", folder + "/r.html"])
    #expect(labels.status != 0 && labels.stderr.contains("--label given 2 times for 1 results files"))
    let missing = try CLI.run(["report", folder + "/none.json", "-o", folder + "/r.html"])
    #expect(missing.status != 0 && missing.stderr.contains("none.json"))
    #expect(!FileManager.default.fileExists(atPath: folder + "/r.html"))
  }
}
