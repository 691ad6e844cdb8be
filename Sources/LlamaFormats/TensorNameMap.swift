import LlamaCore

/// One external naming scheme: its name for each canonical tensor (formats.md §0). External
/// names stay verbatim here, in one table per scheme.
public struct TensorNameMap: Sendable {
  public let scheme: String
  /// Canonical → external for the tensors outside the layers.
  let global: [String: String]
  /// Layer tensors are named `layerPrefix + N + "." + suffix`.
  let layerPrefix: String
  let layer: [CanonicalName.Layer: String]
  private let globalReverse: [String: String]
  private let layerReverse: [String: CanonicalName.Layer]
  /// Names this scheme may contain that a LLaMA model does not use (skipped, not errors).
  let ignoredNames: Set<String>
  let ignoredSuffixes: [String]

  init(
    scheme: String, global: [String: String], layerPrefix: String, layer: [CanonicalName.Layer: String],
    ignoredNames: Set<String> = [], ignoredSuffixes: [String] = []
  ) {
    self.scheme = scheme
    self.global = global
    self.layerPrefix = layerPrefix
    self.layer = layer
    globalReverse = Dictionary(uniqueKeysWithValues: global.map { ($1, $0) })
    layerReverse = Dictionary(uniqueKeysWithValues: layer.map { ($1, $0) })
    self.ignoredNames = ignoredNames
    self.ignoredSuffixes = ignoredSuffixes
  }

  public func external(_ canonical: String) -> String? {
    if let name = global[canonical] { return name }
    guard let (index, tensor) = CanonicalName.parseLayer(canonical), let suffix = layer[tensor] else {
      return nil
    }
    return "\(layerPrefix)\(index).\(suffix)"
  }

  /// The canonical name of an external name, or nil when the scheme has no such tensor.
  public func canonical(_ external: String) -> String? {
    if let name = globalReverse[external] { return name }
    guard external.hasPrefix(layerPrefix) else { return nil }
    let rest = external.dropFirst(layerPrefix.count)
    guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]), index >= 0,
      String(index) == rest[..<dot],
      let tensor = layerReverse[String(rest[rest.index(after: dot)...])]
    else { return nil }
    return CanonicalName.layer(index, tensor)
  }

  /// Tensors the scheme may hold that a LLaMA model does not use (rotary tables).
  public func isIgnored(_ external: String) -> Bool {
    ignoredNames.contains(external) || ignoredSuffixes.contains(where: { external.hasSuffix($0) })
  }

  /// Hugging Face `LlamaForCausalLM`.
  public static let huggingFace = TensorNameMap(
    scheme: "Hugging Face",
    global: [
      CanonicalName.tokenEmbedding: "model.embed_tokens.weight",
      CanonicalName.outputNorm: "model.norm.weight",
      CanonicalName.output: "lm_head.weight",
    ],
    layerPrefix: "model.layers.",
    layer: [
      .attentionNorm: "input_layernorm.weight", .attentionQ: "self_attn.q_proj.weight",
      .attentionK: "self_attn.k_proj.weight", .attentionV: "self_attn.v_proj.weight",
      .attentionOutput: "self_attn.o_proj.weight", .ffnNorm: "post_attention_layernorm.weight",
      .ffnGate: "mlp.gate_proj.weight", .ffnDown: "mlp.down_proj.weight", .ffnUp: "mlp.up_proj.weight",
    ],
    ignoredSuffixes: ["rotary_emb.inv_freq"])

  /// Meta's consolidated checkpoints (llama2.c uses the same roles).
  public static let meta = TensorNameMap(
    scheme: "Meta",
    global: [
      CanonicalName.tokenEmbedding: "tok_embeddings.weight",
      CanonicalName.outputNorm: "norm.weight",
      CanonicalName.output: "output.weight",
    ],
    layerPrefix: "layers.",
    layer: [
      .attentionNorm: "attention_norm.weight", .attentionQ: "attention.wq.weight",
      .attentionK: "attention.wk.weight", .attentionV: "attention.wv.weight",
      .attentionOutput: "attention.wo.weight", .ffnNorm: "ffn_norm.weight",
      .ffnGate: "feed_forward.w1.weight", .ffnDown: "feed_forward.w2.weight", .ffnUp: "feed_forward.w3.weight",
    ],
    ignoredNames: ["rope.freqs"])
}
