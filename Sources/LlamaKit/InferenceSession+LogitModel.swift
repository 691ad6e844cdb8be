import LlamaEval
import LlamaInference

/// The inference core's session as the evaluation harness's model.
extension InferenceSession: LogitModel {
  public var vocabularySize: Int { model.config.vocabSize }

  public func logits(appending tokens: [Int], from firstOutput: Int) throws -> [Float] {
    try evaluate(tokens, logits: .from(firstOutput))
  }
}
