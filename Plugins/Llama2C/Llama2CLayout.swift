/// llama2.c's `.bin` layouts (karpathy/llama2.c `export.py`, `run.c`, `runq.c`; formats.md §6).
/// Weights use Meta's roles and the interleaved q/k layout; run.c hard-codes RMSNorm eps 1e-5
/// and RoPE base 10000.
enum Llama2CLayout {
  /// "ak42" as a little-endian u32 (file bytes 32 34 6B 61), versions 1 and 2.
  static let magic: UInt32 = 0x616B_3432
  static let headerSize = 256
  static let legacyHeaderSize = 28
  static let ropeTheta: Float = 10000
  static let rmsNormEps: Float = 1e-5

  struct Header {
    var version: Int
    var dim: Int
    var hiddenDim: Int
    var layers: Int
    var heads: Int
    var kvHeads: Int
    var vocab: Int
    var sequenceLength: Int
    var sharedClassifier: Bool
    var groupSize: Int
    var headSize: Int { dim / heads }
  }

  /// The tensors of one file in file order: (canonical name, shape, element count) per entry,
  /// grouped as stored. `stacked` entries hold all layers of one role one after the other.
  enum Entry {
    case single(name: String, shape: [Int])
    case stacked(role: String, shape: [Int])  // per-layer shape; canonical name from the role
    case skipped(elements: Int)  // v0 freq_cis tables
  }

  /// v0 order (run.c `memory_map_weights`).
  static func legacyOrder(_ h: Header) -> [Entry] {
    let kv = h.kvHeads * h.headSize
    var entries: [Entry] = [
      .single(name: "token_embd.weight", shape: [h.vocab, h.dim]),
      .stacked(role: "attn_norm.weight", shape: [h.dim]),
      .stacked(role: "attn_q.weight", shape: [h.heads * h.headSize, h.dim]),
      .stacked(role: "attn_k.weight", shape: [kv, h.dim]),
      .stacked(role: "attn_v.weight", shape: [kv, h.dim]),
      .stacked(role: "attn_output.weight", shape: [h.dim, h.heads * h.headSize]),
      .stacked(role: "ffn_norm.weight", shape: [h.dim]),
      .stacked(role: "ffn_gate.weight", shape: [h.hiddenDim, h.dim]),
      .stacked(role: "ffn_down.weight", shape: [h.dim, h.hiddenDim]),
      .stacked(role: "ffn_up.weight", shape: [h.hiddenDim, h.dim]),
      .single(name: "output_norm.weight", shape: [h.dim]),
      .skipped(elements: h.sequenceLength * h.headSize / 2),
      .skipped(elements: h.sequenceLength * h.headSize / 2),
    ]
    if !h.sharedClassifier { entries.append(.single(name: "output.weight", shape: [h.vocab, h.dim])) }
    return entries
  }

  /// v1 order (export.py `version1_export`): norms first, no frequency tables.
  static func version1Order(_ h: Header) -> [Entry] {
    let kv = h.kvHeads * h.headSize
    var entries: [Entry] = [
      .stacked(role: "attn_norm.weight", shape: [h.dim]),
      .stacked(role: "ffn_norm.weight", shape: [h.dim]),
      .single(name: "output_norm.weight", shape: [h.dim]),
      .single(name: "token_embd.weight", shape: [h.vocab, h.dim]),
      .stacked(role: "attn_q.weight", shape: [h.heads * h.headSize, h.dim]),
      .stacked(role: "attn_k.weight", shape: [kv, h.dim]),
      .stacked(role: "attn_v.weight", shape: [kv, h.dim]),
      .stacked(role: "attn_output.weight", shape: [h.dim, h.heads * h.headSize]),
      .stacked(role: "ffn_gate.weight", shape: [h.hiddenDim, h.dim]),
      .stacked(role: "ffn_down.weight", shape: [h.dim, h.hiddenDim]),
      .stacked(role: "ffn_up.weight", shape: [h.hiddenDim, h.dim]),
    ]
    if !h.sharedClassifier { entries.append(.single(name: "output.weight", shape: [h.vocab, h.dim])) }
    return entries
  }

  /// The entries of a file in its version's order.
  static func order(_ h: Header) -> [Entry] {
    // Version 2 (runq.c) keeps version 1's order: the f32 norms, then every matrix (there
    // stored as int8 groups, each layer's separately).
    h.version == 0 ? legacyOrder(h) : version1Order(h)
  }
}
