import Foundation
import Testing

@Suite("llamakit demo")
struct DemoCommandTests {
  @Test("runs every job on the bundled model found above the binary, says what each does, and cleans up")
  func demo() throws {
    let before = Set((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix("llamakit-demo-") }
    let run = try CLI.run(["demo"])
    #expect(run.status == 0, "\(run.stderr)")
    let headers = run.stdout.split(separator: "\n").filter { $0.hasPrefix("== ") }
    #expect(headers.map { $0.split(separator: ":").first.map(String.init) ?? "" } == [
      "== 1/7 Tokenizer", "== 2/7 Inspect", "== 3/7 Convert", "== 4/7 Compare", "== 5/7 Perplexity", "== 6/7 Evaluate", "== 7/7 Generate",
    ])
    // Each job's own output: pieces, the configuration, the per-tensor comparison, the running
    // perplexity, lm-eval's table, the continuation.
    for text in ["▁ L l am a K it ▁to k en i z es", "hidden size      256", "F32/Q4_K", "[12]", "Final estimate: PPL = ", "|arc_easy|1.0|none|0|acc|", "|winogrande|", "Done."] {
      #expect(run.stdout.contains(text), "\(text)")
    }
    // Every step's command line is printed and runs alone.
    #expect(run.stdout.split(separator: "\n").filter { $0.hasPrefix("$ llamakit ") }.count == 7)
    let after = Set((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix("llamakit-demo-") }
    #expect(after.subtracting(before).isEmpty, "left \(after.subtracting(before))")
  }

  @Test("--output keeps the converted model and the report; a folder without the data is one error line")
  func output() throws {
    let folder = try CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let run = try CLI.run(["demo", "--output", folder + "/kept"])
    #expect(run.status == 0, "\(run.stderr)")
    for name in ["m0.Q4_K_M.gguf", "report.html"] { #expect(FileManager.default.fileExists(atPath: folder + "/kept/" + name), "\(name)") }
    let missing = try CLI.run(["demo", "--data", folder])
    #expect(missing.status != 0 && missing.stderr.contains(folder + "/models/m0/hf/model.safetensors: cannot open: no such file") && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
  }
}
