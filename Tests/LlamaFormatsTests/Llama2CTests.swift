import LlamaCore
import LlamaFormats
import LlamaKit
import Testing

/// llama2.c files of every version, written here from known values (the real M0 version-0
/// file is checked with the reference data).
@Suite("llama2.c files")
struct Llama2CTests {
  // dim 8, hidden 16, 2 layers, 2 heads, 1 kv head, vocab 4, seq 6 → head size 4.
  static let dims = (dim: 8, hidden: 16, layers: 2, heads: 2, kv: 1, vocab: 4, seq: 6)

  /// Values for one tensor: distinct per tensor so that a misplaced read shows.
  static func values(_ tag: Int, _ count: Int) -> [Float] { (0..<count).map { Float(tag * 1000 + $0) / 64 } }

  /// The file and the expected canonical tensors.
  static func build(version: Int, shared: Bool, groupSize: Int = 8) -> ([UInt8], [String: [Float]]) {
    let d = dims
    let hs = d.dim / d.heads
    var b = Bytes()
    var expected: [String: [Float]] = [:]
    if version == 0 {
      for v in [d.dim, d.hidden, d.layers, d.heads, d.kv, shared ? d.vocab : -d.vocab, d.seq] { b.i32(Int32(v)) }
    } else {
      b.u32(0x616B_3432); b.i32(Int32(version))
      for v in [d.dim, d.hidden, d.layers, d.heads, d.kv, d.vocab, d.seq] { b.i32(Int32(v)) }
      b.u8(shared ? 1 : 0)
      if version == 2 { b.i32(Int32(groupSize)) }
      b.pad(to: 256)
    }
    var tag = 0
    func f32(_ name: String, _ count: Int) {
      tag += 1
      let v = values(tag, count)
      for x in v { b.f32(x) }
      expected[name] = v
    }
    func q8(_ name: String, _ count: Int) {
      tag += 1
      let q = (0..<count).map { Int8(truncatingIfNeeded: ($0 * 7 + tag) % 255 - 127) }
      let scales = (0..<(count / groupSize)).map { Float($0 + tag) / 256 }
      for x in q { b.u8(UInt8(bitPattern: x)) }
      for s in scales { b.f32(s) }
      expected[name] = (0..<count).map { Float(q[$0]) * scales[$0 / groupSize] }
    }
    func stacked(_ role: String, _ count: Int, _ write: (String, Int) -> Void) {
      for layer in 0..<d.layers { write("blk.\(layer).\(role)", count) }
    }
    let q = d.heads * hs * d.dim, kv = d.kv * hs * d.dim
    if version == 0 {
      f32("token_embd.weight", d.vocab * d.dim)
      stacked("attn_norm.weight", d.dim, f32); stacked("attn_q.weight", q, f32); stacked("attn_k.weight", kv, f32)
      stacked("attn_v.weight", kv, f32); stacked("attn_output.weight", q, f32); stacked("ffn_norm.weight", d.dim, f32)
      stacked("ffn_gate.weight", d.hidden * d.dim, f32); stacked("ffn_down.weight", d.hidden * d.dim, f32)
      stacked("ffn_up.weight", d.hidden * d.dim, f32); f32("output_norm.weight", d.dim)
      for _ in 0..<(2 * d.seq * hs / 2) { b.f32(0) }  // freq_cis_real, freq_cis_imag
      if !shared { f32("output.weight", d.vocab * d.dim) }
    } else if version == 1 {
      stacked("attn_norm.weight", d.dim, f32); stacked("ffn_norm.weight", d.dim, f32); f32("output_norm.weight", d.dim)
      f32("token_embd.weight", d.vocab * d.dim)
      stacked("attn_q.weight", q, f32); stacked("attn_k.weight", kv, f32); stacked("attn_v.weight", kv, f32)
      stacked("attn_output.weight", q, f32); stacked("ffn_gate.weight", d.hidden * d.dim, f32)
      stacked("ffn_down.weight", d.hidden * d.dim, f32); stacked("ffn_up.weight", d.hidden * d.dim, f32)
      if !shared { f32("output.weight", d.vocab * d.dim) }
    } else {
      stacked("attn_norm.weight", d.dim, f32); stacked("ffn_norm.weight", d.dim, f32); f32("output_norm.weight", d.dim)
      q8("token_embd.weight", d.vocab * d.dim)
      stacked("attn_q.weight", q, q8); stacked("attn_k.weight", kv, q8); stacked("attn_v.weight", kv, q8)
      stacked("attn_output.weight", q, q8); stacked("ffn_gate.weight", d.hidden * d.dim, q8)
      stacked("ffn_down.weight", d.hidden * d.dim, q8); stacked("ffn_up.weight", d.hidden * d.dim, q8)
      if !shared { q8("output.weight", d.vocab * d.dim) }
    }
    return (b.data, expected)
  }

  @Test("versions 0, 1 and 2, shared and separate classifier", arguments: [
    (0, true), (0, false), (1, true), (1, false), (2, true), (2, false),
  ])
  func versions(version: Int, shared: Bool) throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    let (bytes, expected) = Self.build(version: version, shared: shared)
    let path = try folder.write("model.bin", bytes)
    let reader = try ModelFiles.open(folder.path)
    #expect(reader.format == "llama2c")
    #expect(reader.files == [path])
    let c = reader.config
    #expect(c.hiddenSize == 8 && c.intermediateSize == 16 && c.numHiddenLayers == 2 && c.numAttentionHeads == 2)
    #expect(c.numKeyValueHeads == 1 && c.vocabSize == 4 && c.contextLength == 6 && c.tieWordEmbeddings == shared)
    #expect(c.ropeTheta == 10000 && c.rmsNormEps == 1e-5)
    #expect(Set(reader.tensors.map(\.name)) == Set(expected.keys))
    for (name, values) in expected {
      #expect(try reader.tensor(name).floats() == values, "\(name)")
    }
    #expect(try reader.vocabulary() == nil)
  }

  @Test("truncated, oversized and inconsistent files")
  func corrupt() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    for version in [0, 1, 2] {
      let (bytes, _) = Self.build(version: version, shared: false)
      for cut in [bytes.count - 1, bytes.count - 100, 300, 255, 29, 3] where cut < bytes.count {
        let path = try folder.write("model.bin", Array(bytes[0..<cut]))
        let message = errorMessage { _ = try Llama2CReader(path: path) }
        #expect(message?.contains("model.bin") == true, "v\(version) cut \(cut): \(message ?? "opened")")
        // The registry does not take a version-0 file whose size disagrees with its header.
        #expect(errorMessage { _ = try ModelFiles.open(path) } != nil)
      }
      let path = try folder.write("model.bin", bytes + [0, 0, 0, 0])
      #expect(errorMessage { _ = try Llama2CReader(path: path) } != nil)
    }
    var huge = Bytes()
    for v: Int32 in [1 << 30, 16, 2, 2, 1, 4, 6] { huge.i32(v) }
    let path = try folder.write("huge.bin", huge.data)
    #expect(errorMessage { _ = try Llama2CReader(path: path) }?.contains("dim is 1073741824") == true)
    var v3 = Bytes()
    v3.u32(0x616B_3432); v3.i32(3)
    v3.pad(to: 256)
    let future = try folder.write("v3.bin", v3.data)
    #expect(errorMessage { _ = try Llama2CReader(path: future) }?.contains("llama2.c version 3") == true)
  }

  @Test("every header field at 0, -1, 2^31 - 1 and -2^31; group size and shared flag out of range")
  func hostileHeaders() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    let names = ["dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"]
    for version in [0, 1, 2] {
      let (bytes, _) = Self.build(version: version, shared: false)
      let start = version == 0 ? 0 : 8
      var fields: [(offset: Int, name: String)] = names.enumerated().map { (start + 4 * $0.offset, $0.element) }
      if version > 0 { fields.append((36, "shared_classifier")) }
      if version == 2 { fields.append((37, "group_size")) }
      for (offset, name) in fields {
        for value in [Int32(0), -1, .max, .min] {
          var patched = bytes
          if name == "shared_classifier" {
            patched[offset] = UInt8(truncatingIfNeeded: value == 0 ? 2 : value)
          } else {
            patched.set32(offset, UInt32(bitPattern: value))
          }
          let path = try folder.write("model.bin", patched)
          let error = failure { _ = try Llama2CReader(path: path).tensor("token_embd.weight").floats() }
          // Only the flag's low byte is the flag: -2^31 there is a valid 0.
          if error == nil {
            #expect(name == "shared_classifier" && value == .min, "v\(version) \(name) = \(value) opened")
            continue
          }
          #expect(error?.kind == "FormatError.malformed" && error?.message.hasPrefix(path + ": ") == true,
            "v\(version) \(name) = \(value): \(error?.kind ?? "") \(error?.message ?? "read")")
          #expect(["must be 1 to", "do not divide", "needs", "not positive", "expected 0 or 1", "group_size", "runs past", "bytes"].contains { error?.message.contains($0) == true },
            "v\(version) \(name) = \(value): \(error?.message ?? "read")")
        }
      }
    }
  }
}

import Llama2C
