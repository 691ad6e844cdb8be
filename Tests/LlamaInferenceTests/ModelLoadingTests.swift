import LlamaCore
import LlamaInference
import LlamaKit
import Testing

/// A checkpoint with one tensor removed or replaced.
final class AlteredSource: TensorSource {
  let base: any TensorSource
  let missing: String?
  let replacement: Tensor?
  init(_ base: any TensorSource, missing: String? = nil, replacement: Tensor? = nil) {
    self.base = base
    self.missing = missing
    self.replacement = replacement
  }
  var sourceName: String { "altered.gguf" }
  func contains(_ name: String) -> Bool { name != missing && base.contains(name) }
  func tensor(_ name: String) throws -> Tensor {
    if name == missing { throw ModelError.missingTensor(source: sourceName, name: name) }
    if let replacement, replacement.name == name { return replacement }
    return try base.tensor(name)
  }
}

@Suite("model loading")
struct ModelLoadingTests {
  static let bytes = OwnedBytes([UInt8](repeating: 0, count: 256 * 256 * 4))

  func tensor(_ name: String, _ shape: [Int], _ type: DType = .f32) -> Tensor {
    Tensor(name: name, shape: shape, dtype: type, storage: .contiguous(Self.bytes.buffer, owner: Self.bytes))
  }

  func loadError(_ source: AlteredSource, config: ModelConfig) -> String? {
    do {
      _ = try LlamaModel(config: config, tensors: source)
      return nil
    } catch {
      return "\(error)"
    }
  }

  @Test("a missing or misshapen tensor is a one-line error naming it")
  func badTensors() throws {
    let reader = try ModelFiles.open(Fixtures.m0 + "/gguf/m0.F16.gguf")
    let config = reader.config
    let cases: [(AlteredSource, String)] = [
      (AlteredSource(reader, missing: "blk.1.ffn_up.weight"), "blk.1.ffn_up.weight"),
      (AlteredSource(reader, missing: "output_norm.weight"), "output_norm.weight"),
      (AlteredSource(reader, replacement: tensor("blk.0.attn_k.weight", [256, 256])), "blk.0.attn_k.weight has shape [256, 256], expected [64, 256]"),
      (AlteredSource(reader, replacement: tensor("blk.0.attn_norm.weight", [255])), "blk.0.attn_norm.weight has shape [255], expected [256]"),
      (AlteredSource(reader, replacement: tensor("token_embd.weight", [512, 128])), "token_embd.weight"),
      (AlteredSource(reader, replacement: tensor("blk.0.ffn_down.weight", [256, 768], .i32)), "blk.0.ffn_down.weight has type I32"),
    ]
    for (source, expected) in cases {
      let message = try #require(loadError(source, config: config))
      #expect(message.contains(expected), "\(message)")
      #expect(message.contains("altered.gguf"))
      #expect(!message.contains("\n"))
    }
    // A configuration the tensors do not fit is caught the same way.
    var wider = config
    wider.intermediateSize = 1024
    let message = try #require(loadError(AlteredSource(reader), config: wider))
    #expect(message.contains("blk.0.ffn_gate.weight has shape [768, 256], expected [1024, 256]"), "\(message)")
  }

  @Test("a missing output.weight falls back to the token embedding (tied), as llama.cpp does")
  func tiedOutput() throws {
    let reader = try ModelFiles.open(Fixtures.m0 + "/hf")
    var config = reader.config
    config.tieWordEmbeddings = true
    let model = try LlamaModel(config: config, tensors: AlteredSource(reader, missing: "output.weight"))
    let session = try InferenceSession(model: model, contextLength: 8, threads: 1)
    let logits = try session.evaluate([1, 383])
    #expect(logits.count == 512 && logits.allSatisfy(\.isFinite))
  }

  @Test("tokens outside the vocabulary and a full context are errors")
  func badInput() throws {
    let session = try openSession(Fixtures.m0 + "/hf", context: 4, threads: 1)
    #expect(throws: ModelError.self) { try session.evaluate([1, 512]) }
    #expect(throws: ModelError.self) { try session.evaluate([]) }
    _ = try session.evaluate([1, 2, 3])
    #expect(throws: ModelError.self) { try session.evaluate([4, 5]) }
    #expect(session.position == 3)
  }
}
