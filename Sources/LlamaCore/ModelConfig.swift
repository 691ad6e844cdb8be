/// The hyperparameters of a LLaMA-family model, whatever file they came from (HF config.json,
/// GGUF `llama.*` keys, Meta params.json, a llama2.c header). Floats are `Float` because GGUF
/// stores them as f32: 1e-5 from a config.json and 1e-5 from a GGUF file then compare equal.
public struct ModelConfig: Sendable, Equatable {
  public var architecture = "llama"
  public var vocabSize: Int
  public var hiddenSize: Int
  public var intermediateSize: Int
  public var numHiddenLayers: Int
  public var numAttentionHeads: Int
  public var numKeyValueHeads: Int
  /// Per-head size (hidden_size / heads unless the file says otherwise).
  public var headDim: Int
  public var ropeTheta: Float
  public var rmsNormEps: Float
  /// The trained context length; nil when the format does not store it (Meta params.json).
  public var contextLength: Int?
  /// The output projection is the token embedding (no separate `output.weight`).
  public var tieWordEmbeddings: Bool

  public init(
    vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
    numAttentionHeads: Int, numKeyValueHeads: Int, headDim: Int? = nil, ropeTheta: Float = 10000,
    rmsNormEps: Float = 1e-5, contextLength: Int?, tieWordEmbeddings: Bool
  ) {
    self.vocabSize = vocabSize
    self.hiddenSize = hiddenSize
    self.intermediateSize = intermediateSize
    self.numHiddenLayers = numHiddenLayers
    self.numAttentionHeads = numAttentionHeads
    self.numKeyValueHeads = numKeyValueHeads
    self.headDim = headDim ?? (numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0)
    self.ropeTheta = ropeTheta
    self.rmsNormEps = rmsNormEps
    self.contextLength = contextLength
    self.tieWordEmbeddings = tieWordEmbeddings
  }

  /// Number of parameters implied by the shapes (embedding, per-layer attention, FFN and
  /// norms, final norm, output unless tied).
  public var parameterCount: Int {
    let attention = hiddenSize * numAttentionHeads * headDim * 2 + hiddenSize * numKeyValueHeads * headDim * 2
    let ffn = 3 * hiddenSize * intermediateSize
    let layer = attention + ffn + 2 * hiddenSize
    return vocabSize * hiddenSize * (tieWordEmbeddings ? 1 : 2) + numHiddenLayers * layer + hiddenSize
  }
}
