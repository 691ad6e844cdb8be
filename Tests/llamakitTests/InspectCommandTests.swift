import Foundation
import LlamaIO
import Testing

@Suite("llamakit inspect")
struct InspectCommandTests {
  static let models = CLI.fixtures + "/models/m0"
  static let paths = ["hf", "hf/model.safetensors", "gguf/m0.F16.gguf", "gguf/m0.Q4_K_M.gguf", "pytorch-f16",
                      "pytorch-bf16-sharded", "meta-bf16-2shards", "meta-bf16-2shards/consolidated.00.pth"]

  @Test("--json: the same config from every format", arguments: paths)
  func sameConfig(path: String) throws {
    let result = try CLI.run(["inspect", Self.models + "/" + path, "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let json = try CLI.json(result.stdout)
    let reference = try CLI.json(try CLI.run(["inspect", Self.models + "/hf", "--json"]).stdout)
    var config = try #require(json["config"]?.objectValue)
    let expected = try #require(reference["config"]?.objectValue)
    if path.hasPrefix("meta") {
      #expect(config["context_length"] == .null)
      config["context_length"] = expected["context_length"]
    }
    #expect(config == expected)
    #expect(expected["hidden_size"] == .int(256) && expected["num_key_value_heads"] == .int(2))
    #expect(expected["rms_norm_eps"]?.doubleValue == 1e-5 && expected["rope_theta"]?.doubleValue == 10000)
    let tensors = try #require(json["tensors"]?.arrayValue)
    #expect(tensors.count == 21)
    #expect(json["parameters"] == .int(1_770_752))
    #expect(json["metadata"]?.objectValue != nil)
    #expect(json["tokenizer"]?["vocab_size"] == .int(512))
  }

  @Test("text output with tensors and metadata")
  func text() throws {
    let result = try CLI.run(["inspect", Self.models + "/gguf/m0.Q4_K_M.gguf", "--tensors", "--metadata"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("format           GGUF v3"))
    #expect(result.stdout.contains("Q4_K           13 tensors"))
    #expect(result.stdout.contains("blk.0.attn_q.weight"))
    #expect(result.stdout.contains("tokenizer.ggml.tokens [array[string]] = {\"type\":\"array[string]\",\"count\":512"))
    let hf = try CLI.run(["inspect", Self.models + "/hf", "--tensors"])
    #expect(hf.stdout.contains("model.layers.1.self_attn.k_proj.weight"))
    #expect(hf.stdout.contains("rows un-permuted from the Hugging Face q/k layout"))
  }

  @Test("bad paths give one line and a non-zero exit")
  func errors() throws {
    let folder = try CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Data("not a model".utf8).write(to: URL(fileURLWithPath: folder + "/x.gguf"))
    try Data("GGUF\u{3}".utf8).write(to: URL(fileURLWithPath: folder + "/short.gguf"))
    for (path, expected) in [
      (folder + "/x.gguf", folder + "/x.gguf: not a recognized checkpoint (tried gguf: "),
      (folder + "/short.gguf", folder + "/short.gguf: truncated"),
      (folder + "/missing", folder + "/missing: cannot open: No such file or directory"),
      (folder, folder + ": not a recognized checkpoint"),
    ] {
      let result = try CLI.run(["inspect", path])
      #expect(result.status != 0)
      #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
      #expect(result.stderr.hasPrefix("Error: " + expected), "\(result.stderr)")
    }
  }
}
