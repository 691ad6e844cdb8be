import Foundation
import LlamaIO
import Testing

@Suite("llamakit generate", .serialized)
struct GenerateCommandTests {
  static let m0 = CLI.fixtures + "/models/m0"

  /// The reference's prompt ids and greedy continuation for one prompt.
  func reference(_ name: String) throws -> (ids: [Int64], greedy: [Int64], margins: [Double]) {
    let json = try JSON.parse(contentsOf: Self.m0 + "/reference/logits.json")
    let prompt = try #require(json["prompts"]?.arrayValue?.first { $0["name"]?.stringValue == name })
    let steps = prompt["greedy_steps"]?.arrayValue ?? []
    return (
      (prompt["ids"]?.arrayValue ?? []).compactMap(\.intValue), steps.compactMap { $0["id"]?.intValue },
      steps.compactMap { $0["margin_to_second"]?.doubleValue }
    )
  }

  @Test("--temp 0 --json: BOS + prompt ids and the float64 reference's greedy tokens, from every layout", arguments: ["hf", "hf/model.safetensors", "gguf/m0.F16.gguf", "pytorch-f16"])
  func greedy(layout: String) throws {
    let expected = try reference("capital")
    let result = try CLI.run(["generate", Self.m0 + "/" + layout, "--prompt", "The capital of France is", "-n", "32", "--temp", "0", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let json = try JSON.parse(result.stdout, source: "stdout")
    #expect(json["prompt_ids"]?.arrayValue?.compactMap(\.intValue) == expected.ids)
    let generated = json["generated_ids"]?.arrayValue?.compactMap(\.intValue) ?? []
    // Up to the first near-tie of the reference, where f32 may pick the other token.
    let exact = expected.margins.firstIndex { $0 < 1e-3 } ?? expected.greedy.count
    #expect(Array(generated.prefix(exact)) == Array(expected.greedy.prefix(exact)))
    #expect(json["text"]?.stringValue?.isEmpty == false)
  }

  @Test("streaming prints the decoded continuation; a seed makes sampling repeatable")
  func streamingAndSeed() throws {
    let model = Self.m0 + "/gguf/m0.Q4_K_M.gguf"
    let greedy = try CLI.run(["generate", model, "--prompt", "Once upon a time", "-n", "12", "--temp", "0"])
    let greedyJSON = try CLI.run(["generate", model, "--prompt", "Once upon a time", "-n", "12", "--temp", "0", "--json"])
    #expect(greedy.status == 0)
    let text = try JSON.parse(greedyJSON.stdout, source: "stdout")["text"]?.stringValue
    #expect(greedy.stdout == (text ?? "?") + "\n")
    let arguments = ["generate", model, "--prompt", "Once upon a time", "-n", "20", "--seed", "42", "--json"]
    let first = try CLI.run(arguments), second = try CLI.run(arguments)
    #expect(first.status == 0 && first.stdout == second.stdout)
    let other = try CLI.run(["generate", model, "--prompt", "Once upon a time", "-n", "20", "--seed", "43", "--json"])
    #expect(other.stdout != first.stdout)
  }

  @Test("bad flags and files are one-line errors", arguments: [
    (["--temp", "-1"], "--temp"), (["--top-p", "0"], "--top-p"), (["-n", "-3"], "-n"), (["--threads", "0"], "--threads"),
  ])
  func badFlags(flags: [String], mentions: String) throws {
    let result = try CLI.run(["generate", Self.m0 + "/hf", "--prompt", "x"] + flags)
    #expect(result.status != 0)
    #expect(result.stderr.contains(mentions))
  }

  @Test("a missing model is an error naming it")
  func missingModel() throws {
    let result = try CLI.run(["generate", "/nonexistent/model.gguf", "--prompt", "x"])
    #expect(result.status != 0)
    #expect(result.stderr.contains("/nonexistent/model.gguf"))
    #expect(result.stderr.split(separator: "\n").count == 1)
  }
}
