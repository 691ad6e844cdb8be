import LlamaCore

extension ModelConfig {
  /// Sizes beyond these are refused as corrupt before anything is allocated from them.
  public static let limits = (dimension: 1 << 20, layers: 4096, vocabulary: 1 << 24, heads: 4096)

  /// Checks that the hyperparameters describe a LLaMA model (positive, consistent, within the
  /// limits); `path` names the source in errors.
  public func validated(path: String) throws -> ModelConfig {
    func fail(_ detail: String) -> FormatError { .invalidConfig(path: path, detail: detail) }
    let limits = Self.limits
    for (name, value, limit) in [
      ("vocab_size", vocabSize, limits.vocabulary), ("hidden_size", hiddenSize, limits.dimension),
      ("intermediate_size", intermediateSize, limits.dimension), ("num_hidden_layers", numHiddenLayers, limits.layers),
      ("num_attention_heads", numAttentionHeads, limits.heads), ("num_key_value_heads", numKeyValueHeads, limits.heads),
      ("head_dim", headDim, limits.dimension),
    ] {
      guard value > 0 else { throw fail("\(name) is \(value), must be positive") }
      guard value <= limit else { throw fail("\(name) is \(value), more than \(limit)") }
    }
    guard numAttentionHeads % numKeyValueHeads == 0 else {
      throw fail("num_attention_heads \(numAttentionHeads) is not a multiple of num_key_value_heads \(numKeyValueHeads)")
    }
    guard headDim % 2 == 0 else { throw fail("head_dim \(headDim) is odd (RoPE rotates pairs)") }
    guard ropeTheta.isFinite, ropeTheta > 0 else { throw fail("rope_theta \(ropeTheta) is not positive") }
    guard rmsNormEps.isFinite, rmsNormEps >= 0 else { throw fail("rms_norm_eps \(rmsNormEps) is negative") }
    if let contextLength, contextLength <= 0 || contextLength > 1 << 30 {
      throw fail("context length \(contextLength) is out of range")
    }
    return self
  }
}
