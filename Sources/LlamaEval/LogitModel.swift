import LlamaKernels

/// What the evaluation harness needs of a model: logits for tokens appended to a cache. The
/// inference core's session conforms (in LlamaKit), and tests can use a table.
public protocol LogitModel: AnyObject {
  var vocabularySize: Int { get }
  /// The most tokens one sequence may hold.
  var contextLength: Int { get }
  /// Empties the cache: the next tokens start at position 0.
  func reset()
  /// Keeps the first `position` tokens of the cache (at most as many as it holds): the next
  /// tokens continue from there.
  func rewind(to position: Int)
  /// Appends `tokens` at the current position and returns the logits of every position from
  /// `firstOutput` on (row-major, `(tokens.count − firstOutput) × vocabularySize`).
  func logits(appending tokens: [Int], from firstOutput: Int) throws -> [Float]
}

/// Log-probabilities as llama.cpp's `perplexity` computes them: the largest logit subtracted
/// (in f32), the sum of exponentials accumulated in double.
public enum LogSoftmax {
  /// log P(target) for one row of logits.
  public static func logProbability(_ row: UnsafeBufferPointer<Float>, of target: Int) -> Double {
    let (largest, logSum) = VectorOps.logSumExp(row.baseAddress!, row.count)
    return Double(row[target] - largest) - logSum
  }

  /// The index of the largest logit, the first on a tie (as torch's argmax).
  public static func argmax(_ row: UnsafeBufferPointer<Float>) -> Int {
    var best = 0
    for i in 1..<row.count where row[i] > row[best] { best = i }
    return best
  }
}
