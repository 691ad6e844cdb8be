extension InferenceSession {
  /// Evaluates `prompt` from the start of the context and then generates up to `maxTokens`
  /// tokens, calling `onToken` with each (return false to stop early). Generation also stops
  /// after a token in `stop` (which is emitted) or when the context is full.
  @discardableResult
  public func generate(
    prompt: [Int], maxTokens: Int, sampler: inout Sampler, stop: Set<Int> = [],
    onToken: (Int) throws -> Bool = { _ in true }
  ) throws -> [Int] {
    reset()
    var generated: [Int] = []
    guard maxTokens > 0 else { return generated }
    var logits = try evaluate(prompt)
    while generated.count < maxTokens {
      let token = sampler.sample(logits)
      generated.append(token)
      guard try onToken(token), !stop.contains(token), generated.count < maxTokens, position < contextLength else { break }
      logits = try evaluate([token])
    }
    return generated
  }
}
