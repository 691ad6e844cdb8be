import Foundation
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

  /// The error message of opening a folder holding `bytes` as model.safetensors (and `config`).
  func open(_ bytes: [UInt8], config: String? = config) throws -> String? {
    try openFailure(bytes, config: config)?.message
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

  @Test("truncated at every byte of the header and at every tensor boundary")
  func truncated() throws {
    let bytes = file(valid, dataBytes: 144)
    let headerEnd = bytes.count - 144
    for cut in Array(0...headerEnd) + [headerEnd + 1, headerEnd + 127, headerEnd + 128, headerEnd + 129, bytes.count - 1] {
      let error = try openFailure(Array(bytes[0..<cut]))
      #expect(error?.kind == "FormatError.malformed" && error?.message.contains("model.safetensors: ") == true
        && ["shorter than", "header size", "invalid JSON", "buffer has", "truncated"].contains { error?.message.contains($0) == true },
        "cut \(cut): \(error?.kind ?? "") \(error?.message ?? "opened")")
    }
  }

  /// The same, with the kind of error.
  func openFailure(_ bytes: [UInt8], config: String? = config) throws -> (kind: String, message: String)? {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    _ = try folder.write("model.safetensors", bytes)
    if let config { _ = try folder.write("config.json", config) }
    return failure { _ = try ModelFiles.open(folder.path) }
  }

  @Test("sizes and offsets at 0, near 2^32 and 2^64; duplicate and non-UTF-8 names")
  func hostileFields() throws {
    let big = UInt64(1) << 32, max = UInt64.max
    for (header, dataBytes, expected) in [
      (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, \#(max)]}}"#, 8, "data_offsets"),
      (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [\#(max - 7), \#(max)]}}"#, 8, "data_offsets"),
      (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [\#(big), \#(big + 8)]}}"#, 8, "hole before tensor a"),
      (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, \#(big)]}}"#, 8, "data_offsets span"),
      (#"{"a": {"dtype": "F32", "shape": [\#(big), \#(big)], "data_offsets": [0, 8]}}"#, 8, "is too large"),
      (#"{"a": {"dtype": "F32", "shape": [\#(max)], "data_offsets": [0, 8]}}"#, 8, "shape"),
      (#"{"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 8]}}"#, 8, "data_offsets span 8 bytes but shape [0] of F32 needs 0"),
      (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}"#, 16, "hole before tensor a"),
    ] {
      let error = try openFailure(file(header, dataBytes: dataBytes))
      #expect(error?.kind == "FormatError.malformed" && error?.message.contains(expected) == true, "\(header): \(error?.kind ?? "") \(error?.message ?? "opened")")
    }
    // Header size 0, and a header that is not UTF-8.
    var zero = Bytes()
    zero.u64(0)
    var error = try openFailure(zero.data + [1, 2, 3])
    #expect(error?.kind == "FormatError.malformed" && error?.message.contains("header does not start with a JSON object") == true, "\(error?.kind ?? "") \(error?.message ?? "opened")")
    error = try openFailure(patch(file(valid, dataBytes: 144), "embed_tokens", with: [0xFF] + Array("mbed_tokens".utf8)))
    #expect(error?.kind == "FormatError.malformed" && error?.message.contains("invalid utf-8 string") == true, "\(error?.kind ?? "") \(error?.message ?? "opened")")
    // A zero-size tensor is allowed (as in the Rust library).
    #expect(try openFailure(file(#"{"a": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, dataBytes: 8), config: nil)?.message.contains("config.json is missing") == true)
  }

  @Test("5 GiB of tensor data in a sparse file: inspected, and the tensor beyond it read")
  func sparseLargeFile() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    let big = 5 << 30
    let header = #"{"model.layers.0.mlp.up_proj.weight": {"dtype": "U8", "shape": [\#(big)], "data_offsets": [0, \#(big)]}, "model.norm.weight": {"dtype": "F32", "shape": [4], "data_offsets": [\#(big), \#(big + 16)]}}"#
    var b = Bytes()
    b.u64(UInt64(header.utf8.count))
    b.data += header.utf8
    let path = try folder.write("model.safetensors", b.data)
    _ = try folder.write("config.json", Self.config)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.seek(toOffset: UInt64(b.data.count + big))
    var values = Bytes()
    for v in [Float(1.5), -2, 3.25, 4] { values.f32(v) }
    try handle.write(contentsOf: values.data)
    try handle.close()
    let reader = try ModelFiles.open(folder.path)
    #expect(reader.tensors.first { $0.name == "blk.0.ffn_up.weight" }?.byteCount == big)
    #expect(reader.tensors.first { $0.name == "output_norm.weight" }?.offset == b.data.count + big)
    #expect(try reader.tensor("output_norm.weight").floats() == [1.5, -2, 3.25, 4])
    try InspectCLI.check(folder.path, tensor: "output_norm.weight", offset: b.data.count + big, bytes: 16)
  }

  @Test("tensors at unaligned offsets read correctly")
  func unaligned() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    // A 3-byte header padding leaves the data (and an F32 tensor after one I8 byte) unaligned.
    let header = #"{"model.norm.weight": {"dtype": "I8", "shape": [1], "data_offsets": [0, 1]}, "model.embed_tokens.weight": {"dtype": "F32", "shape": [4, 8], "data_offsets": [1, 129]}}"# + "   "
    var b = Bytes()
    b.u64(UInt64(header.utf8.count))
    b.data += header.utf8
    b.data.append(7)
    for v in 0..<32 { b.f32(Float(v) - 0.5) }
    _ = try folder.write("model.safetensors", b.data)
    _ = try folder.write("config.json", Self.config)
    let reader = try ModelFiles.open(folder.path)
    #expect(try reader.tensor("token_embd.weight").floats() == (0..<32).map { Float($0) - 0.5 })
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

  @Test("shard index: names that disagree with the shards, duplicates, non-string and non-UTF-8 entries")
  func indexContents() throws {
    let shard = #"{"model.embed_tokens.weight": {"dtype": "F32", "shape": [4, 8], "data_offsets": [0, 128]}}"#
    let norm = #"{"model.norm.weight": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}"#
    let both = #"{"model.norm.weight": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}, "model.embed_tokens.weight": {"dtype": "F32", "shape": [4, 8], "data_offsets": [32, 160]}}"#
    for (map, second, expected) in [
      // The index names a tensor the shard does not hold.
      (#"{"weight_map": {"model.embed_tokens.weight": "a.safetensors", "model.norm.weight": "a.safetensors"}}"#, norm, "model.norm.weight"),
      // A tensor in two shards.
      (#"{"weight_map": {"model.embed_tokens.weight": "a.safetensors", "model.norm.weight": "b.safetensors"}}"#, both, "model.embed_tokens.weight"),
      (#"{"weight_map": {"model.embed_tokens.weight": 7}}"#, norm, "not a string"),
      (#"{"weight_map": {"model.embed_tokens.weight": "a.safetensors", "model.norm.weight": "\#u{FFFF}b.safetensors"}}"#, norm, "does not exist"),
    ] {
      let folder = try TemporaryFolder()
      defer { folder.remove() }
      _ = try folder.write("model.safetensors.index.json", map)
      _ = try folder.write("config.json", Self.config)
      _ = try folder.write("a.safetensors", file(shard, dataBytes: 128))
      _ = try folder.write("b.safetensors", file(second, dataBytes: second == both ? 160 : 32))
      let error = failure { _ = try ModelFiles.open(folder.path) }
      #expect(error?.kind == "FormatError.malformed" && error?.message.contains(expected) == true, "\(map): \(error?.kind ?? "") \(error?.message ?? "opened")")
    }
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    _ = try folder.write("model.safetensors.index.json", Array(#"{"weight_map": {"a": "\#u{FF}.safetensors"}}"#.utf8.map { $0 == 0xC3 ? 0xFF : $0 }))
    _ = try folder.write("config.json", Self.config)
    let error = failure { _ = try ModelFiles.open(folder.path) }
    #expect(error?.kind == "IOError.invalidJSON" && error?.message.contains("invalid utf-8 string") == true, "\(error?.kind ?? "") \(error?.message ?? "opened")")
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
