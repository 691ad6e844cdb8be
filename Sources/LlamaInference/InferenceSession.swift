import LlamaCore
import LlamaKernels

#if canImport(Glibc)
  import Glibc
#endif

/// One sequence being evaluated: the KV cache, the scratch buffers and the worker threads.
/// `evaluate` runs tokens at the next positions and returns logits; prompt tokens go through
/// as batches (matrix–matrix), generated tokens one at a time (matrix–vector).
public final class InferenceSession {
  public let model: LlamaModel
  /// Positions the KV cache holds.
  public let contextLength: Int
  /// Tokens per forward batch (longer inputs are split).
  public let batchSize: Int
  public let threadCount: Int
  /// Use the scalar reference kernels (for tests: the same forward pass with the twins).
  public let referenceKernels: Bool
  /// Tokens evaluated so far (the next position).
  public private(set) var position = 0

  let pool: WorkerPool
  let buffers: SessionBuffers

  /// Which logits `evaluate` returns.
  public enum Logits: Sendable, Equatable {
    /// The last token's: what generation samples from.
    case last
    /// Every token's, row after row: what scoring needs.
    case all
    /// The tokens' from index `k` of the input on (the output projection is skipped for the
    /// others): perplexity scores only the second half of a chunk.
    case from(Int)
  }

  public init(model: LlamaModel, contextLength: Int, batchSize: Int = 512, threads: Int? = nil, referenceKernels: Bool = false) throws {
    guard contextLength > 0 else { throw ModelError.invalidInput("context length must be positive, not \(contextLength)") }
    guard batchSize > 0 else { throw ModelError.invalidInput("batch size must be positive, not \(batchSize)") }
    self.model = model
    self.contextLength = contextLength
    self.batchSize = min(batchSize, contextLength)
    threadCount = max(1, threads ?? InferenceSession.defaultThreadCount)
    self.referenceKernels = referenceKernels
    pool = WorkerPool(threads: threadCount)
    buffers = SessionBuffers(config: model.config, contextLength: contextLength, batchSize: self.batchSize, threads: threadCount)
  }

  /// The number of online CPUs.
  public static var defaultThreadCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

  /// Forgets the sequence (the cache is overwritten from position 0).
  public func reset() { position = 0 }

  /// Goes back to `position` (at most the current one): the cache keeps the first `position`
  /// tokens and the next ones overwrite the rest, so several continuations can share one
  /// evaluated prefix.
  public func rewind(to position: Int) {
    precondition(position >= 0 && position <= self.position, "rewind to \(position) from \(self.position)")
    self.position = position
  }

  /// Runs `tokens` at positions `position…`; returns the logits of the last token or of every
  /// token (`vocabSize` floats per token).
  public func evaluate(_ tokens: [Int], logits: Logits = .last) throws -> [Float] {
    let vocab = model.config.vocabSize
    guard !tokens.isEmpty else { throw ModelError.invalidInput("no tokens to evaluate") }
    if let bad = tokens.first(where: { $0 < 0 || $0 >= vocab }) {
      throw ModelError.invalidInput("token id \(bad) is outside the vocabulary (0..<\(vocab))")
    }
    guard position + tokens.count <= contextLength else {
      throw ModelError.invalidInput(
        "the context holds \(contextLength) tokens; \(position) are used and \(tokens.count) more do not fit")
    }
    // The first input index whose logits are returned.
    let firstOutput: Int
    switch logits {
    case .last: firstOutput = tokens.count - 1
    case .all: firstOutput = 0
    case .from(let k):
      guard k >= 0 && k < tokens.count else { throw ModelError.invalidInput("logits from token \(k) of \(tokens.count)") }
      firstOutput = k
    }
    var result = [Float]()
    result.reserveCapacity((tokens.count - firstOutput) * vocab)
    var start = 0
    while start < tokens.count {
      let chunk = Array(tokens[start..<min(tokens.count, start + batchSize)])
      let end = start + chunk.count
      let wanted: Range<Int>? = firstOutput < end ? max(0, firstOutput - start)..<chunk.count : nil
      try forward(chunk, logitRows: wanted)
      if let wanted {
        result.append(contentsOf: UnsafeBufferPointer(start: buffers.logits, count: wanted.count * vocab))
      }
      position += chunk.count
      start += chunk.count
    }
    return result
  }
}
