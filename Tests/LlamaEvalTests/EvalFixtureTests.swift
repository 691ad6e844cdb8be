import Foundation
import LlamaEval
import LlamaIO
import LlamaInference
import LlamaKit
import Testing

@Suite("tasks on the bundled benchmark slices, against lm-eval's samples for M0", .serialized)
struct EvalFixtureTests {
  static let data = DataFolder(path: EvalFixtures.root + "/benchmarks")
  static let expectations = EvalFixtures.m0 + "/reference/lm-eval"

  @Test("HellaSwag from its original jsonl: lm-eval's query (activity label, ctx_a, capitalized ctx_b, markup removed) and endings")
  func hellaswag() throws {
    let task = try #require(TaskRegistry.resolve("hellaswag")?.first)
    let (documents, _) = try task.documents(Self.data)
    #expect(documents.map(\.text) == [
      "Roof shingle removal: A man is sitting on a roof. He",
      "Home and Garden: How to clean a fridge. Empty the fridge. Remove all food throw away anything expired.",
      "Ice fishing: \u{C9}cole kids drill a hole in the ice.",
    ])
    #expect(documents[1].choices == [" Wipe the shelves with warm,  soapy water.", "Put the milk back first. Then the eggs.", "Sell the fridge.", " Leave it open for a week."])
    #expect(documents.map(\.gold) == [3, 0, 2])
    let requests = task.requests(documents[0], fewshot: [])
    #expect(requests.count == 4 && requests[3] == LoglikelihoodRequest(context: "Roof shingle removal: A man is sitting on a roof. He", continuation: " starts pulling up roofing on a roof."))
    // The row keeps the original fields and gains lm-eval's query, choices and gold.
    #expect(documents[0].row.objectValue?.keys.suffix(3) == ["query", "choices", "gold"])
  }

  @Test(
    "requests are lm-eval's strings, log-likelihoods within 1e-3, per-document metrics identical",
    arguments: [
      ("arc_easy", 0, 256), ("arc_challenge", 0, 256), ("piqa", 0, 1024), ("winogrande", 0, 256), ("lambada_openai", 0, 256),
      ("truthfulqa_mc1", 0, 256), ("truthfulqa_mc2", 0, 256), ("mmlu_world_religions", 0, 256), ("mmlu_abstract_algebra", 5, 256),
    ])
  func slice(task name: String, fewshot: Int, maxLength: Int) throws {
    let task = try #require(TaskRegistry.resolve(name)?.first)
    let expected = try jsonLines("\(Self.expectations)/samples_\(name).\(fewshot)shot.jsonl")
    let tokenizer = try ModelFiles.tokenizer(forModel: EvalFixtures.m0 + "/hf")
    let model = try ModelFiles.model(EvalFixtures.m0 + "/hf")
    let encoder = PairEncoder(encode: { [1] + tokenizer.encode($0).map(Int.init) }, encodePlain: { tokenizer.encode($0).map(Int.init) }, prefix: 1)
    let session = try InferenceSession(model: model, contextLength: maxLength, threads: 2)
    let evaluator = Evaluator(model: session, encoder: encoder, maxLength: maxLength)
    let indices = expected.map { Int($0["doc_id"]?.intValue ?? -1) }
    let run = try evaluator.run(task, data: Self.data, fewshot: fewshot, selection: .init(indices: indices))
    for (ours, theirs) in zip(run.samples, expected) {
      let arguments = theirs["arguments"]?.objectValue?.entries.map(\.value) ?? []
      #expect(arguments.count == ours.requests.count)
      for (request, argument) in zip(ours.requests, arguments) {
        #expect(request.context == argument["arg_0"]?.stringValue && request.continuation == argument["arg_1"]?.stringValue, "doc \(ours.documentIndex)")
      }
      let lls = (theirs["resps"]?.arrayValue ?? []).compactMap { Double($0.arrayValue?.first?.arrayValue?.first?.stringValue ?? "") }
      for (result, ll) in zip(ours.results, lls) {
        #expect(abs(result.logLikelihood - ll) <= max(1e-3, 2e-6 * abs(ll)), "doc \(ours.documentIndex): \(result.logLikelihood) vs \(ll)")
      }
      for (metric, value) in ours.metrics where metric.hasPrefix("acc") {
        let reference = try #require(theirs[metric]?.doubleValue)
        #expect(abs((value.doubleValue ?? -1) - reference) < (name == "truthfulqa_mc2" ? 1e-4 : 1e-12), "doc \(ours.documentIndex) \(metric)")
      }
    }
    #expect(run.samples.count == expected.count)
  }

  @Test("hellaswag_llamacpp: each ending's mean log-probability over the tokens after the prefix all four share, as llama-perplexity --hellaswag")
  func hellaswagLlamaCpp() throws {
    let task = try #require(TaskRegistry.resolve("hellaswag_llamacpp")?.first)
    let tokenizer = try ModelFiles.tokenizer(forModel: EvalFixtures.m0 + "/hf")
    let session = try InferenceSession(model: try ModelFiles.model(EvalFixtures.m0 + "/hf"), contextLength: 256, threads: 2)
    let encode: @Sendable (String) -> [Int] = { [1] + tokenizer.encode($0).map(Int.init) }
    let evaluator = Evaluator(model: session, encoder: PairEncoder(encode: encode, encodePlain: { tokenizer.encode($0).map(Int.init) }, prefix: 1), maxLength: 256)
    let run = try evaluator.run(task, data: Self.data, fewshot: 0, selection: .init(limit: 5))
    #expect(run.samples.count == 5)
    for sample in run.samples {
      // Independently: every full sequence evaluated from scratch, the rows after the common prefix averaged.
      let sequences = sample.document.choices.map { encode(sample.document.text + " " + $0) }
      var common = 0
      while sequences.allSatisfy({ $0.count > common && $0[common] == sequences[0][common] }) { common += 1 }
      for (sequence, result) in zip(sequences, sample.results) {
        session.reset()
        let logits = try session.evaluate(sequence, logits: .all)
        var sum = 0.0
        logits.withUnsafeBufferPointer { rows in
          for j in common..<sequence.count {
            sum += LogSoftmax.logProbability(UnsafeBufferPointer(rebasing: rows[((j - 1) * 512)..<(j * 512)]), of: sequence[j])
          }
        }
        #expect(abs(result.logLikelihood - sum / Double(sequence.count - common)) < 1e-4, "doc \(sample.documentIndex)")
      }
      let best = sample.results.indices.reduce(0) { sample.results[$1].logLikelihood > sample.results[$0].logLikelihood ? $1 : $0 }
      #expect(sample.metrics.first { $0.0 == "acc" }?.1.doubleValue == (best == sample.document.gold ? 1 : 0))
    }
  }

  @Test("PythonRandom draws CPython's random.Random(seed).random() sequence")
  func pythonRandom() {
    #expect(Statistics.bootstrapPerplexityStderr([1], iterations: 10) == nil)
    // random.Random(0): 0.8444218515250481, 0.7579544029403025; random.Random(7): 0.32383276483316237
    let values = Statistics.pythonRandomForTests(seed: 0, count: 2) + Statistics.pythonRandomForTests(seed: 7, count: 1)
    #expect(values == [0.8444218515250481, 0.7579544029403025, 0.32383276483316237])
  }
}
