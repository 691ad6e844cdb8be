import Foundation
import LlamaIO
import LlamaKit
import Testing

@Suite("llamakit diff", .serialized)
struct DiffCommandTests {
  static let m0 = CLI.fixtures + "/models/m0"

  func diff(_ a: String, _ b: String) throws -> JSON {
    let result = try CLI.run(["diff", a, b, "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    return try JSON.parse(result.stdout, source: "stdout")
  }

  func tensors(_ json: JSON) -> [String: JSON] {
    Dictionary(uniqueKeysWithValues: (json["tensors"]?.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "?", $0) })
  }

  @Test("a checkpoint against itself, and HF f16 pytorch against the F16 GGUF: the same f16 matrices bit for bit")
  func identical() throws {
    let same = try diff(Self.m0 + "/hf", Self.m0 + "/hf/model.safetensors")
    #expect(same["identical"]?.boolValue == true)
    #expect(same["tensors"]?.arrayValue?.count == 21)
    for (_, t) in tensors(same) {
      #expect(t["max_abs_error"]?.doubleValue == 0 && t["cosine"]?.doubleValue == 1)
    }

    // pytorch-f16 keeps the norms in f16, the GGUF (convert_hf_to_gguf) in f32; every matrix
    // went through the same f32 → f16 rounding (the q/k rows un-permuted on both sides).
    let crossFormat = try diff(Self.m0 + "/pytorch-f16", Self.m0 + "/gguf/m0.F16.gguf")
    #expect(crossFormat["identical"]?.boolValue == false)
    for (name, t) in tensors(crossFormat) {
      let isNorm = name.hasSuffix("norm.weight")
      #expect(t["identical"]?.boolValue == !isNorm, "\(name)")
      #expect(t["type_a"]?.stringValue == "F16" && t["type_b"]?.stringValue == (isNorm ? "F32" : "F16"), "\(name)")
    }
  }

  @Test("f32 against its f16 and Q4_0 conversions: errors within the type's rounding, cosine near 1")
  func lossy() throws {
    let f16 = tensors(try diff(Self.m0 + "/hf", Self.m0 + "/gguf/m0.F16.gguf"))
    #expect(f16.count == 21)
    for (name, t) in f16 {
      let error = t["max_abs_error"]?.doubleValue ?? .infinity
      // |w| < 1 in M0: f16 rounding is at most 2^-12 relative, so below 2.5e-4 absolute.
      #expect(error < 2.5e-4, "\(name)")
      #expect((t["cosine"]?.doubleValue ?? 0) > 0.999_999, "\(name)")
      #expect((t["rms_error"]?.doubleValue ?? .infinity) <= error)
    }
    let q4 = tensors(try diff(Self.m0 + "/hf", Self.m0 + "/gguf/m0.Q4_0.gguf"))
    let matrix = try #require(q4["blk.0.ffn_up.weight"])
    #expect(matrix["type_b"]?.stringValue == "Q4_0" && matrix["identical"]?.boolValue == false)
    let cosine = matrix["cosine"]?.doubleValue ?? 0
    #expect(cosine > 0.99 && cosine < 1)
  }

  @Test("tensors on one side only and shapes that differ are reported; the exit status is still 0")
  func structural() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-diff-\(getpid())").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // M0's shape with a third layer and a narrower FFN: blk.2.* only in b, FFN shapes differ.
    let tiny = folder + "/tiny-3-layers.gguf"
    var shape = try #require(ModelShape.named("tiny"))
    shape.config.numHiddenLayers = 3
    shape.config.intermediateSize = 512
    try SyntheticModel.write(shape: shape, types: try #require(WeightTypePlan.named("f32")), seed: 1, to: tiny)
    let json = try diff(Self.m0 + "/hf", tiny)
    #expect(json["identical"]?.boolValue == false)
    let onlyA = json["only_in_a"]?.arrayValue?.compactMap(\.stringValue) ?? []
    let onlyB = json["only_in_b"]?.arrayValue?.compactMap(\.stringValue) ?? []
    let shared = tensors(json)
    // Every tensor is accounted for exactly once, and tensors of different shapes have no errors.
    #expect(!shared.isEmpty)
    #expect(Set(onlyA).isDisjoint(with: shared.keys) && Set(onlyB).isDisjoint(with: shared.keys))
    for (name, t) in shared where t["shape_a"] != t["shape_b"] {
      #expect(t["max_abs_error"]?.isNull == true && t["cosine"]?.isNull == true, "\(name)")
    }
    #expect(onlyA.isEmpty)
    #expect(Set(onlyB) == Set(["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"].map { "blk.2.\($0).weight" }))
    let ffn = shared.filter { $0.value["shape_a"] != $0.value["shape_b"] }.keys.sorted()
    #expect(ffn == ["blk.0.ffn_down.weight", "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.1.ffn_down.weight", "blk.1.ffn_gate.weight", "blk.1.ffn_up.weight"])

    let text = try CLI.run(["diff", Self.m0 + "/hf", tiny])
    #expect(text.status == 0 && text.stdout.contains("different:"))
  }

  @Test("a missing or unreadable checkpoint is a one-line error and a non-zero exit")
  func errors() throws {
    let missing = try CLI.run(["diff", Self.m0 + "/hf", "/nonexistent/model.gguf"])
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("/nonexistent/model.gguf"))
    #expect(missing.stderr.split(separator: "\n").count == 1)
  }
}
