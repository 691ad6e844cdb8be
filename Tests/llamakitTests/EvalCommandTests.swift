import Foundation
import LlamaIO
import Testing

@Suite("llamakit eval", .serialized)
struct EvalCommandTests {
  static let m0 = CLI.fixtures + "/models/m0/hf"
  static let data = CLI.fixtures + "/benchmarks"

  func temporaryFolder() throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-eval-\(getpid())-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
  }

  @Test("results.json with lm-eval's keys and metric names, samples lines, the Markdown table")
  func outputs() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let result = try CLI.run(["eval", Self.m0, "--tasks", "arc_easy,winogrande", "--data", Self.data, "--limit", "10", "--output", folder, "--log-samples"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("|arc_easy|1.0|none|0|acc|↑|") && result.stdout.contains("|winogrande|1.0|none|0|acc|↑|"))
    let json = try JSON.parse(contentsOf: folder + "/results.json")
    for key in ["results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config"] {
      #expect(json[key] != nil, "\(key)")
    }
    let arc = try #require(json["results"]?["arc_easy"])
    #expect(arc["sample_len"]?.intValue == 10 && arc["acc,none"]?.doubleValue != nil && arc["acc_norm_stderr,none"]?.doubleValue != nil)
    #expect(json["n-samples"]?["arc_easy"]?["original"]?.intValue == 50 && json["n-samples"]?["arc_easy"]?["effective"]?.intValue == 10)
    let lines = try String(contentsOfFile: folder + "/samples_winogrande.jsonl", encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 10)
    let first = try JSON.parse(String(lines[0]), source: "samples")
    for key in ["doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics", "acc"] { #expect(first[key] != nil, "\(key)") }
    #expect(first["filtered_resps"]?.arrayValue?.first?.arrayValue?.count == 2)
  }

  @Test("--shard 0/2 and 1/2, merged, give the results.json and samples of one run")
  func shards() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let common = ["eval", Self.m0, "--tasks", "arc_easy,lambada_openai", "--data", Self.data, "--limit", "12"]
    #expect(try CLI.run(common + ["--output", folder + "/one", "--log-samples"]).status == 0)
    #expect(try CLI.run(common + ["--output", folder + "/s0", "--shard", "0/2"]).status == 0)
    #expect(try CLI.run(common + ["--output", folder + "/s1", "--shard", "1/2"]).status == 0)
    let merged = try CLI.run(["eval", "merge", folder + "/s0", folder + "/s1", "--output", folder + "/merged"])
    #expect(merged.status == 0, "\(merged.stderr)")
    let one = try JSON.parse(contentsOf: folder + "/one/results.json"), both = try JSON.parse(contentsOf: folder + "/merged/results.json")
    #expect(one["results"] == both["results"] && one["n-samples"] == both["n-samples"] && one["n-shot"] == both["n-shot"])
    for task in ["arc_easy", "lambada_openai"] {
      let a = try String(contentsOfFile: folder + "/one/samples_\(task).jsonl", encoding: .utf8)
      let b = try String(contentsOfFile: folder + "/merged/samples_\(task).jsonl", encoding: .utf8)
      #expect(a == b, "\(task)")
    }
  }

  @Test("--samples picks documents per task, as lm-eval's")
  func samples() throws {
    let result = try CLI.run(["eval", Self.m0, "--tasks", "arc_easy,piqa", "--data", Self.data, "--samples", #"{"arc_easy": [3, 1, 4]}"#])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("|arc_easy|") && !result.stdout.contains("|piqa|"))
  }

  @Test("a malformed data file is a one-line error naming the file and line; nothing is written")
  func malformedData() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try FileManager.default.createDirectory(atPath: folder + "/arc/ARC-Easy", withIntermediateDirectories: true)
    let good = try String(contentsOfFile: Self.data + "/arc/ARC-Easy/ARC-Easy-Test.jsonl", encoding: .utf8).split(separator: "\n")[0]
    try (good + "\n{\"id\": \"broken\", \n").write(toFile: folder + "/arc/ARC-Easy/ARC-Easy-Test.jsonl", atomically: true, encoding: .utf8)
    let result = try CLI.run(["eval", Self.m0, "--tasks", "arc_easy", "--data", folder, "--output", folder + "/out"])
    #expect(result.status != 0)
    #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("ARC-Easy-Test.jsonl:2"), "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: folder + "/out/results.json"))
  }

  @Test("unknown task, missing data, --limit 0, a bad shard, few-shot a task cannot do: one-line errors")
  func errors() throws {
    for (arguments, mentions) in [
      (["eval", Self.m0, "--tasks", "arc_medium", "--data", Self.data], "unknown task arc_medium"),
      (["eval", Self.m0, "--tasks", "arc_easy", "--data", "/nonexistent"], "/nonexistent/arc/ARC-Easy/ARC-Easy-Test.jsonl"),
      (["eval", Self.m0, "--tasks", "mmlu", "--data", Self.data], "mmlu/test/anatomy_test.csv"),
      (["eval", Self.m0, "--tasks", "arc_easy", "--data", Self.data, "--limit", "0"], "--limit"),
      (["eval", Self.m0, "--tasks", "arc_easy", "--data", Self.data, "--shard", "2/2"], "--shard 2/2"),
      (["eval", Self.m0, "--tasks", "arc_easy", "--data", Self.data, "--num-fewshot", "3"], "few-shot"),
      (["eval", Self.m0, "--tasks", "arc_easy", "--data", Self.data, "--samples", #"{"arc_easy": [999]}"#], "document 999"),
    ] {
      let result = try CLI.run(arguments)
      #expect(result.status != 0, "\(arguments)")
      // The error is one line (flag errors are followed by the usage line, as for every command).
      #expect(result.stderr.split(separator: "\n").first?.contains(mentions) == true, "\(result.stderr)")
    }
  }
}
