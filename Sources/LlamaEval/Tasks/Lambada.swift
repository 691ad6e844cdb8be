import LlamaIO

/// lm-eval's `lambada_openai`: the original `lambada_test.jsonl`; the context is the text
/// without its last space-separated word, the continuation " " + that word; perplexity per
/// document (word) and accuracy (the word greedy).
enum Lambada {
  static let task = EvaluationTask(name: "lambada_openai", kind: .loglikelihood, version: 1.0, metrics: ["perplexity", "acc"]) { data in
    let file = "lambada/lambada_test.jsonl"
    let documents = try data.jsonLines(file, task: "lambada_openai").map { record -> EvaluationTask.Document in
      let text = try record.string("text", in: data.path + "/" + file)
      let words = text.split(separator: " ", omittingEmptySubsequences: false)
      let context = words.dropLast().joined(separator: " ")
      let target = " " + (words.last.map(String.init) ?? "")
      return EvaluationTask.Document(row: .object(JSONObject([("text", .string(text))])), text: context, continuation: target, target: target)
    }
    return (documents, [])
  }
}
