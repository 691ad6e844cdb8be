/// llama.cpp's perplexity (`llama-perplexity`, evaluation.md §3.2): the token stream cut into
/// chunks of `n_ctx`, each evaluated from an empty cache with its first token replaced by BOS,
/// and only the second half scored (positions n_ctx/2 … n_ctx−2 predict the next token), so every
/// scored token has at least n_ctx/2 tokens of context.
public struct ChunkedPerplexity: Sendable {
  public let contextLength: Int
  /// Chunks evaluated: all whole chunks, or fewer when asked.
  public let chunkCount: Int
  public let bos: Int?

  /// The running result, updated after every chunk.
  public struct Result: Sendable, Equatable {
    public var chunks = 0
    public var scoredTokens = 0
    public var nllSum = 0.0
    public var nllSquaredSum = 0.0
    /// exp(mean NLL) after each chunk, as llama-perplexity prints `[k]value`.
    public var running: [Double] = []

    public var meanNLL: Double { scoredTokens > 0 ? nllSum / Double(scoredTokens) : .nan }
    public var perplexity: Double { exp(meanNLL) }
    /// llama-perplexity's ±: PPL · sqrt(var(NLL) / (n − 1)) (the delta method).
    public var standardError: Double {
      guard scoredTokens > 1 else { return .nan }
      let mean = meanNLL
      let variance = nllSquaredSum / Double(scoredTokens) - mean * mean
      guard variance > 0 else { return .nan }
      return perplexity * (variance / Double(scoredTokens - 1)).squareRoot()
    }
  }

  public enum Failure: Error, CustomStringConvertible {
    case tooFewTokens(have: Int, need: Int, contextLength: Int)
    case contextTooSmall(Int)

    public var description: String {
      switch self {
      case .tooFewTokens(let have, let need, let n):
        return "the text has \(have) tokens; perplexity at --ctx \(n) needs at least \(need) (2 × n_ctx, as llama-perplexity)"
      case .contextTooSmall(let n): return "--ctx \(n) is too small: at least 4 tokens are needed"
      }
    }
  }

  /// `chunks` nil: every whole chunk. `bos` nil: the first token of a chunk is not replaced.
  public init(tokenCount: Int, contextLength: Int, chunks: Int? = nil, bos: Int?) throws {
    guard contextLength >= 4 else { throw Failure.contextTooSmall(contextLength) }
    guard tokenCount >= 2 * contextLength else {
      throw Failure.tooFewTokens(have: tokenCount, need: 2 * contextLength, contextLength: contextLength)
    }
    self.contextLength = contextLength
    chunkCount = min(tokenCount / contextLength, chunks ?? .max)
    self.bos = bos
  }

  /// Tokens scored per chunk: n_ctx − 1 − n_ctx/2.
  public var tokensPerChunk: Int { contextLength - 1 - contextLength / 2 }

  /// Evaluates the chunks; `row` sees every scored row of logits with the token it predicts
  /// (for the KL-divergence runs); `progress` is called after each chunk with the result so far.
  public func run(
    _ model: LogitModel, tokens: [Int], row observe: ((UnsafeBufferPointer<Float>, Int) throws -> Void)? = nil,
    progress: (Result) throws -> Void = { _ in }
  ) throws -> Result {
    var result = Result()
    let first = contextLength / 2
    let vocabulary = model.vocabularySize
    for c in 0..<chunkCount {
      var chunk = Array(tokens[(c * contextLength)..<((c + 1) * contextLength)])
      if let bos { chunk[0] = bos }
      model.reset()
      // Logits of positions first … n_ctx−2 (the last position predicts nothing scored).
      let logits = try model.logits(appending: chunk, from: first)
      try logits.withUnsafeBufferPointer { rows in
        for position in first..<(contextLength - 1) {
          let row = UnsafeBufferPointer(rebasing: rows[((position - first) * vocabulary)..<((position - first + 1) * vocabulary)])
          try observe?(row, chunk[position + 1])
          let nll = -LogSoftmax.logProbability(row, of: chunk[position + 1])
          result.nllSum += nll
          result.nllSquaredSum += nll * nll
          result.scoredTokens += 1
        }
      }
      result.chunks += 1
      result.running.append(result.perplexity)
      try progress(result)
    }
    return result
  }
}

#if canImport(Glibc)
  import Glibc
#endif
