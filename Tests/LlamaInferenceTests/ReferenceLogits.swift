import Foundation
import LlamaIO

/// A `reference/logits*.json` file: prompts with their token ids, per position the float64
/// log-sum-exp, top-5 and next-token log-probability, and the greedy continuation.
struct ReferenceLogits {
  struct Position {
    let pos: Int
    let top5: [(id: Int, logprob: Double)]
    let next: (id: Int, logprob: Double)?
  }
  struct Step {
    let id: Int
    let margin: Double
  }
  struct Prompt {
    let name: String
    let ids: [Int]
    let positions: [Position]
    let greedy: [Step]
  }
  let prompts: [Prompt]

  init(path: String) throws {
    let json = try JSON.parse(contentsOf: path)
    func int(_ value: JSON?) -> Int { Int(value?.intValue ?? -1) }
    prompts = (json["prompts"]?.arrayValue ?? []).map { prompt in
      Prompt(
        name: prompt["name"]?.stringValue ?? "?",
        ids: (prompt["ids"]?.arrayValue ?? []).map { int($0) },
        positions: (prompt["positions"]?.arrayValue ?? []).map { p in
          Position(
            pos: int(p["pos"]),
            top5: (p["top5"]?.arrayValue ?? []).map { pair in
              (int(pair.arrayValue?[0]), pair.arrayValue?[1].doubleValue ?? .nan)
            },
            next: p["next_id"].map { (int($0), p["next_logprob"]?.doubleValue ?? .nan) })
        },
        greedy: (prompt["greedy_steps"]?.arrayValue ?? []).map { step in
          Step(id: int(step["id"]), margin: step["margin_to_second"]?.doubleValue ?? .nan)
        })
    }
  }
}

/// Log-probabilities of one row of logits (log-sum-exp in double).
func logProbabilities(_ logits: ArraySlice<Float>) -> [Double] {
  let m = Double(logits.max()!)
  let lse = m + Foundation.log(logits.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) })
  return logits.map { Double($0) - lse }
}
