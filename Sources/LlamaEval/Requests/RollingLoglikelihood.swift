/// lm-eval's `loglikelihood_rolling` (evaluation.md §3.1): a document's tokens scored in
/// disjoint windows of at most `maxLength` predictions (`get_rolling_token_windows` with
/// context_len 1, then `make_disjoint_window`): the first window is the prefix token and the
/// document's first tokens; each later window predicts the next tokens from the `maxLength`
/// tokens before them (only the last, partial window re-reads tokens already predicted). Every
/// token is predicted exactly once; the document's log-likelihood is the sum.
public struct RollingLoglikelihood: Sendable {
  public let maxLength: Int
  public let prefix: Int

  public init(maxLength: Int, prefix: Int) {
    self.maxLength = maxLength
    self.prefix = prefix
  }

  /// One model call: the input tokens, and how many of the last positions are scored (each
  /// predicting the next input token, the last predicting `target`).
  public struct Window: Sendable, Equatable {
    public var input: [Int]
    /// The tokens predicted by the last `targets.count` positions of `input`.
    public var targets: [Int]

    public init(input: [Int], targets: [Int]) {
      self.input = input
      self.targets = targets
    }
  }

  /// The windows of a document, in order.
  public func windows(_ tokens: [Int]) -> [Window] {
    guard !tokens.isEmpty else { return [] }
    var windows: [Window] = []
    let first = min(maxLength, tokens.count)
    windows.append(Window(input: [prefix] + tokens[0..<(first - 1)], targets: Array(tokens[0..<first])))
    var predicted = first
    while predicted < tokens.count {
      let count = min(tokens.count - predicted, maxLength)
      let end = predicted + count
      windows.append(Window(input: Array(tokens[(end - maxLength - 1)..<(end - 1)]), targets: Array(tokens[(end - count)..<end])))
      predicted += count
    }
    return windows
  }

  /// A document's score: the sum of its tokens' log-probabilities, and what the token-level
  /// statistics need.
  public struct Score: Sendable, Equatable {
    public var logLikelihood = 0.0
    public var tokens = 0
    public var nllSquaredSum = 0.0
    public var windows = 0
    public init() {}

    public mutating func add(_ other: Score) {
      logLikelihood += other.logLikelihood
      tokens += other.tokens
      nllSquaredSum += other.nllSquaredSum
      windows += other.windows
    }
  }

  /// The document's log-likelihood: the sum over its windows, each from an empty cache.
  public func logLikelihood(_ tokens: [Int], model: LogitModel) throws -> Double {
    try score(tokens, model: model).logLikelihood
  }

  public func score(_ tokens: [Int], model: LogitModel) throws -> Score {
    var score = Score()
    let vocabulary = model.vocabularySize
    for window in windows(tokens) {
      model.reset()
      let first = window.input.count - window.targets.count
      let logits = try model.logits(appending: window.input, from: first)
      logits.withUnsafeBufferPointer { rows in
        for (i, target) in window.targets.enumerated() {
          let logP = LogSoftmax.logProbability(UnsafeBufferPointer(rebasing: rows[(i * vocabulary)..<((i + 1) * vocabulary)]), of: target)
          score.logLikelihood += logP
          score.nllSquaredSum += logP * logP
        }
      }
      score.tokens += window.targets.count
      score.windows += 1
    }
    return score
  }
}
