import LlamaCore
import LlamaFormats
import LlamaKit
import Testing

@Suite("safetensors: corrupt files")
struct SafetensorsCorruptionTests {
  static let config = """
    {"model_type": "llama", "vocab_size": 4, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
     "num_attention_heads": 2, "num_key_value_heads": 1, "rms_norm_eps": 1e-5, "max_position_embeddings": 64}
    """

  /// A safetensors file with the given header text and data size.
  func file(_ header: String, dataBytes: Int) -> [UInt8] {
    var b = Bytes()
    b.u64(UInt64(header.utf8.count))
    b.data += header.utf8
    b.data += [UInt8](repeating: 0, count: dataBytes)
    return b.data
  }

  let valid = #"{"model.embed_tokens.weight": {"dtype": "F32", "shape": [4, 8], "data_offsets": [0, 128]}, "model.norm.weight": {"dtype": "F16", "shape": [8], "data_offsets": [128, 144]}}"#

  func open(_ bytes: [UInt8], config: String? = config) throws -> String? {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    _ = try folder.write("model.safetensors", bytes)
    if let config { _ = try folder.write("config.json", config) }
    return errorMessage { _ = try ModelFiles.open(folder.path) }
  }

  @Test("a valid file reads")
  func validFile() throws {
    #expect(try open(file(valid, dataBytes: 144)) == nil)
  }

  @Test("header and data layout errors", arguments: [
    (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, 9, "tensor data covers 8 bytes but the buffer has 9"),
    (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, 12, "hole before tensor a"),
    (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, 12, "overlaps the previous tensor"),
    (#"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, 8, "data_offsets span 8 bytes but shape [3] of F32 needs 12"),
    (#"{"a": {"dtype": "Q9", "shape": [2], "data_offsets": [0, 8]}}"#, 8, "unknown dtype Q9"),
    (#"{"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}"#, 8, "not a non-negative integer"),
    (#"{"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 8]}}"#, 8, "too large"),
    (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}"#, 8, "data_offsets must be [begin, end]"),
    (#"{"a": {"dtype": "F32", "shape": [2]}}"#, 8, "data_offsets must be [begin, end]"),
    (#"{"a": 1}"#, 0, "entry is not an object"),
    (#"{"__metadata__": {"format": 1}}"#, 0, "__metadata__[format] is not a string"),
    (#"[1, 2]"#, 0, "header does not start with a JSON object"),
    (#"{"a": "#, 0, "header: invalid JSON"),
  ])
  func layout(header: String, dataBytes: Int, expected: String) throws {
    let message = try open(file(header, dataBytes: dataBytes))
    #expect(message?.contains(expected) == true, "\(message ?? "opened")")
    #expect(message?.contains("model.safetensors: ") == true)
  }

  @Test("header sizes beyond the file or the limit; truncation")
  func sizes() throws {
    for size in [UInt64.max, UInt64(1) << 32, 100_000_001, 300] {
      var b = Bytes()
      b.u64(size)
      b.data += Array("{}".utf8)
      let message = try open(b.data)
      #expect(message?.contains("header size \(size)") == true, "\(message ?? "opened")")
    }
    let bytes = file(valid, dataBytes: 144)
    for cut in [0, 4, 7, 8, 20, bytes.count - 145, bytes.count - 1] {
      let message = try open(Array(bytes[0..<cut]))
      #expect(message?.contains("model.safetensors: ") == true, "cut \(cut): \(message ?? "opened")")
    }
  }

  @Test("config.json missing or wrong")
  func config() throws {
    #expect(try open(file(valid, dataBytes: 144), config: nil)?.contains("config.json is missing beside the weights") == true)
    #expect(try open(file(valid, dataBytes: 144), config: "{")?.contains("config.json: invalid JSON") == true)
    #expect(try open(file(valid, dataBytes: 144), config: #"{"model_type": "gpt2"}"#)?.contains("model_type gpt2") == true)
    #expect(try open(file(valid, dataBytes: 144), config: #"{"model_type": "llama", "vocab_size": 4}"#)?.contains("hidden_size is missing") == true)
  }

  @Test("shard index: path traversal, absolute paths, missing shards")
  func index() throws {
    for (map, expected) in [
      (#"{"weight_map": {"a": "../evil.safetensors"}}"#, "is not a plain file name"),
      (#"{"weight_map": {"a": "/etc/passwd"}}"#, "is not a plain file name"),
      (#"{"weight_map": {"a": "sub/x.safetensors"}}"#, "is not a plain file name"),
      (#"{"weight_map": {"a": "missing.safetensors"}}"#, "does not exist"),
      (#"{"weight_map": {}}"#, "weight_map is empty"),
      (#"{"weight": 1}"#, "weight_map is missing"),
    ] {
      let folder = try TemporaryFolder()
      defer { folder.remove() }
      _ = try folder.write("model.safetensors.index.json", map)
      _ = try folder.write("config.json", Self.config)
      let message = errorMessage { _ = try ModelFiles.open(folder.path) }
      #expect(message?.contains(expected) == true, "\(message ?? "opened")")
    }
  }

  @Test("deeply nested JSON (header, shard index, config.json, tokenizer.json) is refused at json-c's depth limit, without recursion trouble")
  func deepJSON() throws {
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    let header = #"{"a": "# + deep + "}"
    var message = try open(file(header, dataBytes: 0))
    #expect(message?.contains("model.safetensors") == true && message?.contains("JSON") == true, "\(message ?? "opened")")
    message = try open(file(#"{"__metadata__": {}}"#, dataBytes: 0), config: deep)
    #expect(message?.contains("config.json") == true, "\(message ?? "opened")")
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    _ = try folder.write("model.safetensors.index.json", #"{"weight_map": "# + deep + "}")
    _ = try folder.write("config.json", Self.config)
    message = errorMessage { _ = try ModelFiles.open(folder.path) }
    #expect(message?.contains("model.safetensors.index.json") == true, "\(message ?? "opened")")
    let tokenizer = try folder.write("tokenizer.json", #"{"model": "# + deep + "}")
    message = errorMessage { _ = try ModelFiles.tokenizer(tokenizer) }
    #expect(message?.contains("tokenizer.json") == true, "\(message ?? "loaded")")
  }
}
