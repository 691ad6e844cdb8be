import LlamaCore
import LlamaFormats

/// Which type each tensor gets, for `synth` and `convert --type`: one type for every matrix, or
/// one of llama-quantize's mixes for a LLaMA model without an importance matrix (its
/// `llama_tensor_get_type`: output.weight Q6_K; Q4_K_M/Q5_K_M give attn_v and ffn_down of the
/// first and last eighth of the layers, and of every third layer between, Q6_K; Q3_K_M and Q2_K
/// their own attn_v, attn_output and ffn_down choices; IQ4_NL gives attn_v Q5_K when four or more
/// query heads share a key/value head).
public struct WeightTypePlan: Sendable, Equatable {
  public let name: String
  let base: DType
  let moreBits: DType?
  let output: DType
  /// llama_ftype, for `general.file_type`.
  let fileType: Int64

  public static let all: [WeightTypePlan] = [
    WeightTypePlan(name: "f32", base: .f32, moreBits: nil, output: .f32, fileType: 0),
    WeightTypePlan(name: "f16", base: .f16, moreBits: nil, output: .f16, fileType: 1),
    WeightTypePlan(name: "bf16", base: .bf16, moreBits: nil, output: .bf16, fileType: 32),
    WeightTypePlan(name: "q8_0", base: .q8_0, moreBits: nil, output: .q8_0, fileType: 7),
    WeightTypePlan(name: "q4_0", base: .q4_0, moreBits: nil, output: .q6_K, fileType: 2),
    WeightTypePlan(name: "q4_1", base: .q4_1, moreBits: nil, output: .q6_K, fileType: 3),
    WeightTypePlan(name: "q5_0", base: .q5_0, moreBits: nil, output: .q6_K, fileType: 8),
    WeightTypePlan(name: "q5_1", base: .q5_1, moreBits: nil, output: .q6_K, fileType: 9),
    WeightTypePlan(name: "iq4_nl", base: .iq4_nl, moreBits: nil, output: .q6_K, fileType: 25),
    WeightTypePlan(name: "q2_k", base: .q2_K, moreBits: nil, output: .q6_K, fileType: 10),
    WeightTypePlan(name: "q3_k_m", base: .q3_K, moreBits: .q4_K, output: .q6_K, fileType: 12),
    WeightTypePlan(name: "q4_k_m", base: .q4_K, moreBits: .q6_K, output: .q6_K, fileType: 15),
    WeightTypePlan(name: "q5_k_m", base: .q5_K, moreBits: .q6_K, output: .q6_K, fileType: 17),
    WeightTypePlan(name: "q6_k", base: .q6_K, moreBits: nil, output: .q6_K, fileType: 18),
  ]

  public static func named(_ name: String) -> WeightTypePlan? { all.first { $0.name == name.lowercased() } }

  /// The type of canonical tensor `name` in a model of configuration `config`.
  func type(of name: String, config: ModelConfig) -> DType {
    if name == CanonicalName.output { return output }
    if name == CanonicalName.tokenEmbedding { return base }
    guard let (layer, tensor) = CanonicalName.parseLayer(name) else { return .f32 }
    let layers = config.numHiddenLayers
    switch (self.name, tensor) {
    case (_, .attentionNorm), (_, .ffnNorm): return .f32
    case ("iq4_nl", .attentionV): return config.numAttentionHeads / config.numKeyValueHeads >= 4 ? .q5_K : .iq4_nl
    case ("q2_k", .attentionV): return config.numAttentionHeads / config.numKeyValueHeads >= 4 ? .q4_K : .q3_K
    case ("q2_k", .ffnDown), ("q2_k", .attentionOutput): return .q3_K
    case ("q3_k_m", .attentionV): return layer < 2 ? .q5_K : .q4_K
    case ("q3_k_m", .ffnDown): return layer < layers / 16 ? .q5_K : .q4_K
    case ("q3_k_m", .attentionOutput): return .q4_K
    case (_, .attentionV), (_, .ffnDown):
      if let moreBits, Self.usesMoreBits(layer, of: layers) { return moreBits }
      return base
    default: return base
    }
  }

  /// llama.cpp's `use_more_bits`.
  static func usesMoreBits(_ layer: Int, of layers: Int) -> Bool {
    layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2
  }
}
