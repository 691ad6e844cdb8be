import Foundation
import LlamaEval
import LlamaIO
import LlamaInference
import LlamaKit
import Testing

/// One lm-eval reference slice: where its files are and what LlamaKit runs for it.
struct LMEvalSlice: Sendable, CustomStringConvertible {
  var model: String
  var folder: String
  var tasks: [String]
  var fewshot: Int
  var maxLength: Int?
  var description: String { "\(model)/\(folder)" }

  static let all: [LMEvalSlice] = ["m0", "m1"].flatMap { model -> [LMEvalSlice] in
    [
      LMEvalSlice(model: model, folder: "arc_easy", tasks: ["arc_easy"], fewshot: 0),
      LMEvalSlice(model: model, folder: "arc_challenge", tasks: ["arc_challenge"], fewshot: 0),
      model == "m0"
        ? LMEvalSlice(model: model, folder: "model_arg_max_length_1024/piqa", tasks: ["piqa"], fewshot: 0, maxLength: 1024)
        : LMEvalSlice(model: model, folder: "piqa", tasks: ["piqa"], fewshot: 0),
      LMEvalSlice(model: model, folder: "winogrande", tasks: ["winogrande"], fewshot: 0),
      LMEvalSlice(model: model, folder: "lambada_openai", tasks: ["lambada_openai"], fewshot: 0),
      LMEvalSlice(model: model, folder: "truthfulqa_mc1", tasks: ["truthfulqa_mc1"], fewshot: 0),
      LMEvalSlice(model: model, folder: "truthfulqa_mc2", tasks: ["truthfulqa_mc2"], fewshot: 0),
      LMEvalSlice(model: model, folder: "mmlu_0shot", tasks: ["mmlu_abstract_algebra", "mmlu_high_school_geography", "mmlu_world_religions"], fewshot: 0),
      LMEvalSlice(model: model, folder: "mmlu_5shot", tasks: ["mmlu_abstract_algebra", "mmlu_high_school_geography", "mmlu_world_religions"], fewshot: 5),
    ]
  }
}

@Suite(
  "tasks against lm-eval 0.4.13", .serialized,
  .enabled(if: EvalFixtures.reference != nil, "LLAMAKIT_REFERENCE_DATA is not set: the lm-eval reference runs are skipped"))
struct LMEvalReferenceTests {
  @Test(
    "the rendered requests are lm-eval's strings; log-likelihoods within 1e-3 (lm-eval's token ids where its tokenization differs from SentencePiece); metrics identical where all requests agree",
    arguments: LMEvalSlice.all)
  func slice(_ slice: LMEvalSlice) throws {
    let data = try #require(EvalFixtures.reference)
    let modelPath = "\(data)/models/\(slice.model)/hf"
    let folder = "\(data)/models/\(slice.model)/reference/lm-eval/\(slice.folder)"
    let tokenizer = try ModelFiles.tokenizer(forModel: modelPath)
    let model = try ModelFiles.model(modelPath)
    let maxLength = slice.maxLength ?? model.config.contextLength ?? 2048
    let encoder = PairEncoder(
      encode: { [1] + tokenizer.encode($0).map(Int.init) }, encodePlain: { tokenizer.encode($0).map(Int.init) }, prefix: 1)
    let session = try InferenceSession(model: model, contextLength: maxLength, threads: 2)
    let evaluator = Evaluator(model: session, encoder: encoder, maxLength: maxLength)
    let scorer = LoglikelihoodScorer(model: session, maxLength: maxLength)
    let results = try JSON.parse(contentsOf: folder + "/results.json")["results"]
    var summary: [String] = []
    for name in slice.tasks {
      let task = try #require(TaskRegistry.resolve(name)?.first)
      let samples = try jsonLines("\(folder)/samples_\(name).jsonl.gz")
      let tokens = Array(try jsonLines("\(folder)/tokens_\(name).jsonl.gz").dropFirst())
      let indices = samples.map { Int($0["doc_id"]?.intValue ?? -1) }
      let run = try evaluator.run(task, data: DataFolder(path: data + "/benchmarks"), fewshot: slice.fewshot, selection: .init(indices: indices))
      #expect(run.samples.count == samples.count)
      var allAgree = true
      var worst = 0.0
      var compared = 0
      for (ours, (theirs, dumped)) in zip(run.samples, zip(samples, tokens)) {
        let doc = ours.documentIndex
        let arguments = theirs["arguments"]?.objectValue?.entries.map(\.value) ?? []
        #expect(arguments.count == ours.requests.count, "doc \(doc)")
        for (request, argument) in zip(ours.requests, arguments) {
          #expect(request.context == argument["arg_0"]?.stringValue && request.continuation == argument["arg_1"]?.stringValue, "doc \(doc): the request differs from lm-eval's")
        }
        let responses = (theirs["resps"]?.arrayValue ?? []).compactMap { Double($0.arrayValue?.first?.arrayValue?.first?.stringValue ?? "") }
        let dumpedRequests = dumped["requests"]?.arrayValue ?? []
        for (i, (result, reference)) in zip(ours.results, responses).enumerated() {
          let entry = dumpedRequests[i]
          var value = result.logLikelihood
          if entry["spm_equal"]?.boolValue != true {
            // Different tokens: score lm-eval's own ids to compare the model alone.
            allAgree = false
            let context = (entry["context"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) }
            let continuation = (entry["continuation"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) }
            value = try scorer.score(context: context, continuations: [continuation])[0].logLikelihood
          }
          worst = max(worst, abs(value - reference))
          compared += 1
          #expect(abs(value - reference) <= max(1e-3, 2e-6 * abs(reference)), "doc \(doc) request \(i): \(value) vs lm-eval \(reference)")
        }
        if allAgree {
          for (metric, value) in ours.metrics where task.metrics.contains(metric) && metric.hasPrefix("acc") && task.name != "truthfulqa_mc2" {
            #expect(value.doubleValue == theirs[metric]?.doubleValue, "doc \(doc): \(metric)")
          }
        }
      }
      let reference = results?[name]
      for metric in run.metrics where allAgree && metric.name.hasPrefix("acc") {
        let expected = try #require(reference?["\(metric.name),none"]?.doubleValue)
        #expect(abs(metric.value - expected) < (task.name == "truthfulqa_mc2" ? 1e-3 : 1e-12), "\(name) \(metric.name): \(metric.value) vs \(expected)")
        if let stderr = reference?["\(metric.name)_stderr,none"]?.doubleValue, let ours = metric.stderr {
          #expect(abs(ours - stderr) < (task.name == "truthfulqa_mc2" ? 1e-3 : 1e-9), "\(name) \(metric.name) stderr")
        }
      }
      if allAgree, let perplexity = run.metrics.first(where: { $0.name == "perplexity" }) {
        // lm-eval's bootstrap with the same resamples (CPython's generator): the same stderr.
        let expected = try #require(reference?["perplexity,none"]?.doubleValue)
        let stderr = try #require(reference?["perplexity_stderr,none"]?.doubleValue)
        #expect(relative(perplexity.value, expected) < 1e-5 && relative(perplexity.stderr ?? 0, stderr) < 1e-5, "\(perplexity) vs \(expected) ± \(stderr)")
      }
      summary.append("\(name): \(compared) requests, worst |Δ loglik| \(worst), metrics \(run.metrics.map { "\($0.name) \($0.value)" })")
    }
    print("\(slice): " + summary.joined(separator: "; "))
  }
}
