/// Canonical tensor names are GGUF's (`token_embd.weight`, `blk.N.attn_q.weight`, …): every
/// reader maps its own names to these, every writer maps back (formats.md §0).
public enum CanonicalName {
  public static let tokenEmbedding = "token_embd.weight"
  public static let outputNorm = "output_norm.weight"
  public static let output = "output.weight"

  /// The per-layer tensors, by their GGUF suffix.
  public enum Layer: String, CaseIterable, Sendable {
    case attentionNorm = "attn_norm.weight"
    case attentionQ = "attn_q.weight"
    case attentionK = "attn_k.weight"
    case attentionV = "attn_v.weight"
    case attentionOutput = "attn_output.weight"
    case ffnNorm = "ffn_norm.weight"
    case ffnGate = "ffn_gate.weight"
    case ffnDown = "ffn_down.weight"
    case ffnUp = "ffn_up.weight"
  }

  public static func layer(_ index: Int, _ tensor: Layer) -> String { "blk.\(index).\(tensor.rawValue)" }

  /// The layer index and tensor of a canonical per-layer name.
  public static func parseLayer(_ name: String) -> (Int, Layer)? {
    guard name.hasPrefix("blk.") else { return nil }
    let rest = name.dropFirst(4)
    guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]), index >= 0,
      let tensor = Layer(rawValue: String(rest[rest.index(after: dot)...]))
    else { return nil }
    return (index, tensor)
  }

  /// The canonical names a LLaMA model of `layers` layers has, in file order.
  public static func all(layers: Int, tied: Bool) -> [String] {
    var names = [tokenEmbedding]
    for i in 0..<layers { names += Layer.allCases.map { layer(i, $0) } }
    names.append(outputNorm)
    if !tied { names.append(output) }
    return names
  }
}
