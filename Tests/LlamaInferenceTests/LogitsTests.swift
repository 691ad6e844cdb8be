import Foundation
import LlamaCore
import LlamaInference
import LlamaKit
import Testing

/// Fixture paths.
enum Fixtures {
  static let models: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/models").path
  static let m0 = models + "/m0"
}

/// The differences of one model's logits from a float64 reference.
struct LogitsComparison {
  var worstLogprob = 0.0
  var failures: [String] = []

  /// Compares every prompt: next-token log-probabilities within `tolerance`, top-5 ids (two
  /// ids may trade places when their reference log-probabilities are within 2·tolerance), and
  /// the greedy continuation up to the first step whose margin is below 1e-3.
  static func run(_ session: InferenceSession, _ reference: ReferenceLogits, tolerance: Double) throws -> LogitsComparison {
    var result = LogitsComparison()
    let vocab = session.model.config.vocabSize
    for prompt in reference.prompts {
      session.reset()
      let logits = try session.evaluate(prompt.ids, logits: .all)
      for position in prompt.positions {
        let row = logProbabilities(logits[(position.pos * vocab)..<((position.pos + 1) * vocab)])
        if let next = position.next {
          let difference = abs(row[next.id] - next.logprob)
          result.worstLogprob = max(result.worstLogprob, difference)
          if difference > tolerance {
            result.failures.append("\(prompt.name) pos \(position.pos): logprob \(row[next.id]) vs \(next.logprob)")
          }
        }
        let ours = row.indices.sorted { row[$0] > row[$1] }.prefix(5)
        for (rank, (id, logprob)) in position.top5.enumerated() where Array(ours)[rank] != id {
          let other = Array(ours)[rank]
          let otherReference = position.top5.first { $0.id == other }?.logprob ?? -.infinity
          if abs(otherReference - logprob) > 2 * tolerance {
            result.failures.append("\(prompt.name) pos \(position.pos): top-5 rank \(rank) is \(other), reference \(id)")
          }
        }
      }
      // Greedy continuation.
      session.reset()
      var last = try session.evaluate(prompt.ids)
      for step in prompt.greedy {
        let next = last.indices.max { last[$0] < last[$1] }!
        if step.margin < 1e-3 { break }
        if next != step.id {
          result.failures.append("\(prompt.name): greedy token \(next), reference \(step.id)")
          break
        }
        last = try session.evaluate([next])
      }
    }
    return result
  }
}

@Suite("logits against the float64 references")
struct LogitsTests {
  func session(_ path: String, reference: Bool = false) throws -> InferenceSession {
    let reader = try ModelFiles.open(path)
    let model = try LlamaModel(config: reader.config, tensors: reader)
    return try InferenceSession(model: model, contextLength: 256, threads: 2, referenceKernels: reference)
  }

  @Test("M0 float32 safetensors: |Δ logprob| ≤ 1e-4, top-5 and greedy equal")
  func m0Float32() throws {
    let reference = try ReferenceLogits(path: Fixtures.m0 + "/reference/logits.json")
    let result = try LogitsComparison.run(try session(Fixtures.m0 + "/hf"), reference, tolerance: 1e-4)
    #expect(result.failures.isEmpty, "\(result.failures.prefix(5))")
    print("m0 hf f32: worst |Δ logprob| \(result.worstLogprob)")
  }

  @Test("M0 F16 GGUF: |Δ logprob| ≤ 2e-3 against the float64 pass of its own weights")
  func m0F16() throws {
    let reference = try ReferenceLogits(path: Fixtures.m0 + "/reference/logits.gguf-F16.json")
    let result = try LogitsComparison.run(try session(Fixtures.m0 + "/gguf/m0.F16.gguf"), reference, tolerance: 2e-3)
    #expect(result.failures.isEmpty, "\(result.failures.prefix(5))")
    print("m0 F16 gguf: worst |Δ logprob| \(result.worstLogprob)")
  }
}
