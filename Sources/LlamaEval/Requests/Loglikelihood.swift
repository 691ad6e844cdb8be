/// lm-eval's `loglikelihood(context, continuation)` request (evaluation.md §1.1, §1.4).
public struct LoglikelihoodRequest: Sendable, Equatable {
  public var context: String
  public var continuation: String

  public init(context: String, continuation: String) {
    self.context = context
    self.continuation = continuation
  }
}

/// The answer to a request: the summed log-probability of the continuation's tokens and whether
/// each of them was the model's most likely next token.
public struct LoglikelihoodResult: Sendable, Equatable {
  public var logLikelihood: Double
  public var isGreedy: Bool

  public init(logLikelihood: Double, isGreedy: Bool) {
    self.logLikelihood = logLikelihood
    self.isGreedy = isGreedy
  }
}

/// Turns requests into token ids as lm-eval's `TemplateLM._encode_pair` does: trailing
/// whitespace of the context moves to the continuation; the pair is encoded whole and the
/// context alone, and the continuation is what the whole has beyond the context's token count
/// (never the continuation encoded alone, which would gain a spurious "▁"). `encode` is the
/// tokenizer with its special tokens (BOS in front, as lm-eval ≥ 0.4.9.2 lets a Llama tokenizer
/// add it); an empty context becomes the prefix token.
public struct PairEncoder: Sendable {
  public let encode: @Sendable (String) -> [Int]
  /// The tokenizer without special tokens, for an empty context's continuation.
  public let encodePlain: @Sendable (String) -> [Int]
  public let prefix: Int

  public init(encode: @escaping @Sendable (String) -> [Int], encodePlain: @escaping @Sendable (String) -> [Int], prefix: Int) {
    self.encode = encode
    self.encodePlain = encodePlain
    self.prefix = prefix
  }

  public func encode(_ request: LoglikelihoodRequest) -> (context: [Int], continuation: [Int]) {
    var context = Array(request.context.unicodeScalars)
    var continuation = Array(request.continuation.unicodeScalars)
    var moved = 0
    while moved < context.count && context[context.count - 1 - moved].isPythonWhitespace { moved += 1 }
    if moved > 0 {
      continuation = Array(context[(context.count - moved)...]) + continuation
      context.removeLast(moved)
    }
    let contextText = String(String.UnicodeScalarView(context)), continuationText = String(String.UnicodeScalarView(continuation))
    if contextText.isEmpty {
      let tokens = encodePlain(continuationText)
      if let first = tokens.first, first == prefix { return ([first], Array(tokens.dropFirst())) }
      return ([prefix], tokens)
    }
    let whole = encode(contextText + continuationText)
    let contextTokens = encode(contextText)
    return (contextTokens, Array(whole[min(contextTokens.count, whole.count)...]))
  }
}

/// Scores encoded requests with a model as lm-eval's `_loglikelihood_tokens` does: the model
/// reads `(context + continuation)[-(maxLength + 1):][:-1]` (cut from the left when too long)
/// and the continuation's tokens are scored at the last positions. Requests that share their
/// context tokens are scored together: the context is evaluated once and each continuation
/// continues from it (the cache is rewound between them), which gives the same logits.
public struct LoglikelihoodScorer {
  public let model: LogitModel
  public let maxLength: Int

  public enum Failure: Error, CustomStringConvertible {
    case emptyContinuation(String)
    case continuationTooLong(tokens: Int, maxLength: Int)

    public var description: String {
      switch self {
      case .emptyContinuation(let context): return "a request has an empty continuation (context \"\(context.prefix(60))…\")"
      case .continuationTooLong(let tokens, let maxLength):
        return "a continuation has \(tokens) tokens, more than the model's \(maxLength) (lm-eval refuses it too)"
      }
    }
  }

  public init(model: LogitModel, maxLength: Int) {
    self.model = model
    self.maxLength = maxLength
  }

  /// Whether the pair must be cut from the left to fit.
  public func isTruncated(context: [Int], continuation: [Int]) -> Bool {
    context.count + continuation.count > maxLength + 1
  }

  /// Scores continuations that follow the same context tokens.
  public func score(context: [Int], continuations: [[Int]]) throws -> [LoglikelihoodResult] {
    for continuation in continuations where continuation.count > maxLength {
      throw Failure.continuationTooLong(tokens: continuation.count, maxLength: maxLength)
    }
    var results = [LoglikelihoodResult?](repeating: nil, count: continuations.count)
    let vocabulary = model.vocabularySize
    // Pairs that fit share the evaluated context.
    let fitting = continuations.indices.filter { !isTruncated(context: context, continuation: continuations[$0]) && !continuations[$0].isEmpty }
    if !fitting.isEmpty && !context.isEmpty {
      model.reset()
      let last = try model.logits(appending: context, from: context.count - 1)
      for index in fitting {
        let continuation = continuations[index]
        var rows = last
        if continuation.count > 1 {
          model.rewind(to: context.count)
          rows += try model.logits(appending: Array(continuation.dropLast()), from: 0)
        }
        results[index] = Self.sum(rows, targets: continuation, vocabulary: vocabulary)
      }
    }
    for index in continuations.indices where results[index] == nil {
      let continuation = continuations[index]
      guard !continuation.isEmpty else { throw Failure.emptyContinuation("") }
      let whole = context + continuation
      let input = Array(whole.suffix(maxLength + 1).dropLast())
      model.reset()
      let rows = try model.logits(appending: input, from: input.count - continuation.count)
      results[index] = Self.sum(rows, targets: continuation, vocabulary: vocabulary)
    }
    return results.map { $0! }
  }

  /// The continuation's log-probability from its rows of logits, and whether every token was
  /// the argmax.
  static func sum(_ rows: [Float], targets: [Int], vocabulary: Int) -> LoglikelihoodResult {
    var total = 0.0
    var greedy = true
    rows.withUnsafeBufferPointer { all in
      for (i, target) in targets.enumerated() {
        let row = UnsafeBufferPointer(rebasing: all[(i * vocabulary)..<((i + 1) * vocabulary)])
        total += LogSoftmax.logProbability(row, of: target)
        if greedy && LogSoftmax.argmax(row) != target { greedy = false }
      }
    }
    return LoglikelihoodResult(logLikelihood: total, isGreedy: greedy)
  }
}
