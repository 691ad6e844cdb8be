import Foundation
import LlamaInference

/// llama.cpp's chunked perplexity (evaluation.md §3.2), as a test helper until the evaluation
/// harness has its `perplexity` job: chunks of `context` tokens, position 0 replaced by BOS,
/// the second half scored.
func chunkedPerplexity(_ session: InferenceSession, tokens: [Int], context: Int, chunks: Int, bos: Int) throws -> (ppl: Double, scored: Int) {
  let vocab = session.model.config.vocabSize
  var nllSum = 0.0
  var count = 0
  let first = context / 2
  for c in 0..<min(chunks, tokens.count / context) {
    var chunk = Array(tokens[(c * context)..<((c + 1) * context)])
    chunk[0] = bos
    session.reset()
    let logits = try session.evaluate(chunk, logits: .all)
    for position in first..<(context - 1) {
      let row = logProbabilities(logits[(position * vocab)..<((position + 1) * vocab)])
      nllSum -= row[chunk[position + 1]]
      count += 1
    }
  }
  return (Foundation.exp(nllSum / Double(count)), count)
}
