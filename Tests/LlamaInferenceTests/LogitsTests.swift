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

/// One checkpoint and the float64 reference of its stored weights.
struct LogitsCase: CustomTestStringConvertible, Sendable {
  let path: String
  let reference: String
  let tolerance: Double
  var testDescription: String { path }

  /// Every float fixture of M0: f32 safetensors, the F16 GGUF, float16 and bfloat16 PyTorch
  /// files and the bfloat16 2-shard Meta checkpoint.
  static let fixtures = [
    LogitsCase(path: "hf", reference: "logits.json", tolerance: 1e-4),
    LogitsCase(path: "gguf/m0.F16.gguf", reference: "logits.gguf-F16.json", tolerance: 2e-3),
    LogitsCase(path: "pytorch-f16", reference: "logits.hf-f16.json", tolerance: 2e-3),
    LogitsCase(path: "pytorch-bf16-sharded", reference: "logits.hf-bf16.json", tolerance: 2e-3),
    LogitsCase(path: "meta-bf16-2shards", reference: "logits.hf-bf16.json", tolerance: 2e-3),
  ]
}

func openSession(_ path: String, context: Int = 256, threads: Int = 2, reference: Bool = false) throws -> InferenceSession {
  let reader = try ModelFiles.open(path)
  let model = try LlamaModel(config: reader.config, tensors: reader)
  return try InferenceSession(model: model, contextLength: context, threads: threads, referenceKernels: reference)
}

// Serialized: each case runs two spinning worker threads; cases side by side on two cores
// would mostly wait for each other.
@Suite("logits against the float64 references", .serialized)
struct LogitsTests {
  @Test("M0 float fixtures: next-token log-probabilities, top-5 and greedy tokens", arguments: LogitsCase.fixtures)
  func m0(_ item: LogitsCase) throws {
    let reference = try ReferenceLogits(path: Fixtures.m0 + "/reference/" + item.reference)
    let result = try LogitsComparison.run(try openSession(Fixtures.m0 + "/" + item.path), reference, tolerance: item.tolerance)
    #expect(result.failures.isEmpty, "\(result.failures.prefix(5))")
    print("m0 \(item.path): worst |Δ logprob| \(result.worstLogprob) (tolerance \(item.tolerance))")
  }

  @Test("the scalar reference kernels give the same model, one thread")
  func scalarTwins() throws {
    let reference = try ReferenceLogits(path: Fixtures.m0 + "/reference/logits.json")
    let session = try openSession(Fixtures.m0 + "/hf", threads: 1, reference: true)
    let result = try LogitsComparison.run(session, reference, tolerance: 1e-4)
    #expect(result.failures.isEmpty, "\(result.failures.prefix(5))")
  }

  /// The kernels agree to about 1e-5 relative (kernel tests); through a model, such differences
  /// occasionally move an activation across a rounding boundary of the 8-bit activation
  /// quantization, one step of which shows in the logits, so the bound here is that step's size.
  @Test("Q4_0 and Q4_K_M GGUF: SIMD and scalar kernels give the same logits and argmax", arguments: ["Q4_0", "Q4_K_M"])
  func quantizedTwins(type: String) throws {
    let path = Fixtures.m0 + "/gguf/m0.\(type).gguf"
    let ids = [1, 383, 423, 384, 290, 400, 383, 426, 392, 274, 385, 401]
    let simd = try openSession(path).evaluate(ids, logits: .all)
    let scalar = try openSession(path, threads: 1, reference: true).evaluate(ids, logits: .all)
    let worst = zip(simd, scalar).map { abs($0 - $1) }.max()!
    #expect(worst <= 0.05, "largest logit difference \(worst)")
    for t in 0..<ids.count {
      let row = (512 * t)..<(512 * (t + 1))
      #expect(simd[row].indices.max { simd[$0] < simd[$1] } == scalar[row].indices.max { scalar[$0] < scalar[$1] })
    }
  }
}
