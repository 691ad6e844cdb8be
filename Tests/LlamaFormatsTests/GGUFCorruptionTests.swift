import GGUF
import LlamaCore
import LlamaFormats
import LlamaKit
import Testing

/// Malformed GGUF files built in code: each gives one error naming the file, never a crash, a
/// hang or an allocation sized from a hostile count.
@Suite("GGUF: corrupt files")
struct GGUFCorruptionTests {
  func open(_ bytes: [UInt8], in folder: TemporaryFolder, name: String = "model.gguf") -> String? {
    let message = errorMessage { _ = try GGUFReader(path: try folder.write(name, bytes)) }
    return message
  }

  @Test("the tiny model reads")
  func valid() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    let path = try folder.write("model.gguf", GGUFBuilder.tinyModel().build().bytes)
    let reader = try ModelFiles.open(path)
    #expect(reader.config.hiddenSize == 8 && reader.config.numKeyValueHeads == 1 && reader.config.tieWordEmbeddings)
    #expect(try reader.tensor("token_embd.weight").shape == [4, 8])
    #expect(try reader.tensor("token_embd.weight").floats()[9] == 9.0 / 8)
    // Version 2 has the same layout.
    var v2 = GGUFBuilder.tinyModel()
    v2.version = 2
    v2.metadata += [
      ("general.name", .string("tiny")), ("x.u64", .u64(1 << 40)), ("x.i32", .i32(-5)), ("x.bool", .bool(1)),
      ("x.strings", .stringArray(["a", "b"])), ("x.floats", .f32Array([0.5])), ("x.ints", .i32Array([1, -1])),
    ]
    let v2Reader = try ModelFiles.open(try folder.write("v2.gguf", v2.build().bytes))
    #expect(v2Reader.formatDescription == "GGUF v2")
    let metadata = Dictionary(uniqueKeysWithValues: v2Reader.metadata.map { ($0.key, $0.value) })
    #expect(metadata["x.u64"] == .integer(1 << 40, type: "u64") && metadata["x.i32"] == .integer(-5, type: "i32"))
    #expect(metadata["x.bool"] == .bool(true) && metadata["general.name"] == .string("tiny"))
    #expect(metadata["x.strings"] == .array([.string("a"), .string("b")], elementType: "string"))
    #expect(metadata["x.floats"] == .array([.float(0.5, type: "f32")], elementType: "f32"))
    #expect(metadata["x.ints"] == .array([.integer(1, type: "i32"), .integer(-1, type: "i32")], elementType: "i32"))
  }

  @Test("truncated at every byte of the header, metadata and tensor infos")
  func truncated() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    let (bytes, _, dataStart) = GGUFBuilder.tinyModel().build()
    for cut in 0..<dataStart {
      let path = try folder.write("model.gguf", Array(bytes[0..<cut]))
      let error = failure { _ = try GGUFReader(path: path) }
      // Short reads in the header, metadata and tensor infos; a cut in the padding before the
      // data leaves the tensors running past the end.
      #expect(error?.kind == "FormatError.malformed"
        && ["truncated at byte", "larger than the file can hold", "past the end of the file"].contains { error?.message.contains($0) == true },
        "cut \(cut): \(error?.kind ?? "") \(error?.message ?? "opened")")
      #expect(error?.message.hasPrefix(path + ": ") == true)
    }
    // Cut inside the data: the last tensor's bytes run past the end.
    let message = open(Array(bytes[0..<(bytes.count - 8)]), in: folder)
    #expect(message?.contains("runs past the end of the file") == true, "\(message ?? "opened")")
  }

  @Test("bad magic, versions, byte order")
  func headers() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    var b = GGUFBuilder.tinyModel()
    b.magic = Array("GGUX".utf8)
    #expect(open(b.build().bytes, in: folder)?.contains("bad magic") == true)
    for (version, text) in [(UInt32(1), "GGUF version 1"), (4, "GGUF version 4"), (0x0300_0000, "big-endian")] {
      b = GGUFBuilder.tinyModel()
      b.version = version
      #expect(open(b.build().bytes, in: folder)?.contains(text) == true, "\(version)")
    }
  }

  @Test("counts and lengths near 2^32, 2^64 and the file size")
  func hostileCounts() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    let size = UInt64(GGUFBuilder.tinyModel().build().bytes.count)
    for count in [UInt64(1) << 32, (UInt64(1) << 32) - 1, UInt64.max, UInt64(Int64.max), size + 1, size] {
      var b = GGUFBuilder.tinyModel()
      b.tensorCount = count
      var message = open(b.build().bytes, in: folder)
      #expect(message?.contains("model.gguf: tensor count \(count) is larger than the file can hold") == true, "tensor count \(count): \(message ?? "opened")")
      b = GGUFBuilder.tinyModel()
      b.kvCount = count
      message = open(b.build().bytes, in: folder)
      #expect(message?.contains("model.gguf: metadata count \(count) is larger than the file can hold") == true, "kv count \(count): \(message ?? "opened")")
    }
    // A count one too large reads the next section as a record; counts of 0 leave out what
    // the model needs; a dimension of 0 is allowed by GGUF, refused as the wrong shape.
    func model(_ change: (inout GGUFBuilder) -> Void) throws -> (kind: String, message: String)? {
      var b = GGUFBuilder.tinyModel()
      change(&b)
      let path = try folder.write("model.gguf", b.build().bytes)
      return failure { _ = try ModelFiles.model(path) }
    }
    for (change, kind, expected) in [
      ({ (b: inout GGUFBuilder) in b.tensorCount = 3 }, "FormatError.malformed", "model.gguf: "),
      ({ (b: inout GGUFBuilder) in b.tensorCount = 0 }, "FormatError.invalidConfig", "vocab_size is 0, must be positive"),
      ({ (b: inout GGUFBuilder) in b.kvCount = 0 }, "FormatError.malformed", "tensor general.architecture has 8 dimensions"),
      ({ (b: inout GGUFBuilder) in b.tensors[0].ne = [8, 0]; b.tensors[0].data = [] }, "FormatError.invalidConfig", "vocab_size is 0, must be positive"),
      ({ (b: inout GGUFBuilder) in b.metadata[3].1 = .u32(0) }, "FormatError.invalidConfig", "num_hidden_layers is 0, must be positive"),
      ({ (b: inout GGUFBuilder) in b.metadata[1].1 = .u32(0) }, "FormatError.invalidConfig", "context length 0 is out of range"),
      ({ (b: inout GGUFBuilder) in b.metadata[5].1 = .u32(0) }, "FormatError.invalidConfig", "num_attention_heads is 0, must be positive"),
      ({ (b: inout GGUFBuilder) in b.metadata[3].1 = .u32(.max) }, "FormatError.invalidConfig", "num_hidden_layers is 4294967295, more than 4096"),
      ({ (b: inout GGUFBuilder) in b.metadata[2].1 = .u64(1 << 63) }, "FormatError.invalidConfig", "llama.embedding_length is 9223372036854775808, out of range"),
      ({ (b: inout GGUFBuilder) in b.metadata[2].1 = .u64(1 << 32) }, "FormatError.invalidConfig", "hidden_size is 4294967296, more than"),
      ({ (b: inout GGUFBuilder) in b.metadata[4].1 = .i32(-1) }, "FormatError.invalidConfig", "intermediate_size is -1, must be positive"),
    ] as [((inout GGUFBuilder) -> Void, String, String)] {
      let error = try model(change)
      #expect(error?.kind == kind && error?.message.contains(expected) == true, "\(error?.kind ?? "") \(error?.message ?? "opened")")
    }
    for length in [UInt64.max, UInt64(1) << 32, size] {
      var b = GGUFBuilder.tinyModel()
      var raw = Bytes()
      raw.u64(length)
      b.metadata.append(("general.name", .raw(8, raw.data)))
      #expect(open(b.build().bytes, in: folder)?.contains("runs past the end of the file") == true, "string length \(length)")
      b = GGUFBuilder.tinyModel()
      var array = Bytes()
      array.u32(8)
      array.u64(length)
      b.metadata.append(("tokenizer.ggml.tokens", .raw(9, array.data)))
      #expect(open(b.build().bytes, in: folder)?.contains("more than the file can hold") == true, "array count \(length)")
    }
  }

  @Test("names that are not UTF-8 (a metadata key, a tensor, a string value)")
  func nonUTF8Names() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    let bytes = GGUFBuilder.tinyModel().build().bytes
    // The first "llama" is general.architecture's value.
    for (text, what) in [("llama.block_count", "metadata key"), ("output_norm.weight", "tensor name"), ("llama", "general.architecture")] {
      let path = try folder.write("model.gguf", patch(bytes, text, with: [0xC0] + Array(text.utf8.dropFirst())))
      let error = failure { _ = try GGUFReader(path: path) }
      #expect(error?.kind == "FormatError.malformed" && error?.message.contains("not valid UTF-8") == true && error?.message.contains(what) == true,
        "\(text): \(error?.kind ?? "") \(error?.message ?? "opened")")
    }
  }

  @Test("counts the file could hold but past the caps (keys, tensors, array values) are refused before anything is read")
  func caps() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    func check(_ change: (inout GGUFBuilder) -> Void, _ expected: String) throws {
      var b = GGUFBuilder.tinyModel()
      change(&b)
      let path = try folder.write("model.gguf", b.build().bytes)
      // Extend the file sparsely, so that the counts fit its size.
      try FileHandle(forWritingTo: URL(fileURLWithPath: path)).truncate(atOffset: 40 << 20)
      let error = failure { _ = try GGUFReader(path: path) }
      #expect(error?.kind == "FormatError.malformed" && error?.message.contains(expected) == true, "\(error?.message ?? "opened")")
    }
    try check({ $0.kvCount = 65537 }, "metadata count 65537 is more than the limit of 65536")
    try check({ $0.tensorCount = (1 << 20) + 1 }, "tensor count 1048577 is more than the limit of 1048576")
    var raw = Bytes()
    raw.u32(0)  // u8 elements
    raw.u64((1 << 23) + 1)
    try check({ $0.metadata.append(("x.bytes", .raw(9, raw.data))) }, "metadata arrays hold more than 8388608 values (x.bytes has 8388609)")
  }

  @Test("bad metadata values", arguments: [
    ("general.x", GGUFBuilder.Value.raw(13, []), "unknown value type 13"),
    ("general.x", .raw(9, [9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]), "array of arrays"),
    ("general.x", .bool(2), "bool with value 2"),
    ("", .u32(1), "empty metadata key"),
    ("general.architecture", .string("llama"), "duplicate metadata key general.architecture"),
    ("general.alignment", .u64(32), "general.alignment must be a u32"),
    ("general.alignment", .u32(24), "general.alignment 24 is not a power of two"),
    ("general.alignment", .u32(0), "general.alignment 0 is not a power of two"),
  ])
  func badMetadata(key: String, value: GGUFBuilder.Value, expected: String) throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    var b = GGUFBuilder.tinyModel()
    b.metadata.append((key, value))
    let message = open(b.build().bytes, in: folder)
    #expect(message?.contains(expected) == true, "\(message ?? "opened")")
  }

  @Test("bad tensor infos")
  func badTensors() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    func check(_ change: (inout GGUFBuilder) -> Void, _ expected: String) {
      var b = GGUFBuilder.tinyModel()
      change(&b)
      let message = open(b.build().bytes, in: folder)
      #expect(message?.contains(expected) == true, "expected \(expected): \(message ?? "opened")")
    }
    check({ $0.tensors[1].name = "token_embd.weight" }, "duplicate tensor token_embd.weight")
    check({ $0.tensors[0].name = String(repeating: "x", count: 64) }, "longer than 63 bytes")
    check({ $0.tensors[0].ne = [] }, "has 0 dimensions")
    check({ $0.tensors[0].ne = [1, 1, 1, 1, 1] }, "has 5 dimensions")
    check({ $0.tensors[0].ne = [UInt64.max, 1] }, "negative dimension")
    check({ $0.tensors[0].ne = [1 << 32, 1 << 32, 1 << 32] }, "more elements than fit in 64 bits")
    check({ $0.tensors[0].type = 2; $0.tensors[0].ne = [8, 4] }, "not a multiple of the Q4_0 block size 32")
    check({ $0.tensors[0].offset = 4 }, "is not a multiple of the alignment 32")
    check({ $0.tensors[1].offset = 1 << 40 }, "runs past the end of the file")
    check({ $0.tensors[1].offset = 0 }, "overlap")
    check({ $0.tensors[1].offset = UInt64.max - 31 }, "model.gguf: ")
    check({ $0.metadata.removeFirst() }, "general.architecture is missing")
    check({ $0.metadata[0].1 = .string("gpt2") }, "architecture gpt2 (only llama is supported)")
    check({ $0.metadata[2].1 = .u32(0) }, "hidden_size is 0")
    check({ $0.metadata[6].1 = .u32(3) }, "not a multiple of num_key_value_heads")
  }

  @Test("unknown tensor types are listed, and refused when read")
  func unknownType() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    var b = GGUFBuilder.tinyModel()
    b.tensors.append(.init(name: "extra.weight", ne: [32], type: 77, offset: 1 << 20, data: []))
    let path = try folder.write("model.gguf", b.build().bytes)
    let reader = try ModelFiles.open(path)
    let info = try #require(reader.tensors.first { $0.name == "extra.weight" })
    #expect(info.dtype.name == "type 77")
    #expect(errorMessage { _ = try reader.tensor("extra.weight") } == "\(path): tensor extra.weight has type type 77, which cannot be read as values")
    // An unsupported but known type: listed, refused when its values are needed.
    b = GGUFBuilder.tinyModel()
    b.tensors.append(.init(name: "iq2.weight", ne: [256], type: 16, offset: nil, data: [UInt8](repeating: 0, count: 66)))
    let reader2 = try ModelFiles.open(try folder.write("iq2.gguf", b.build().bytes))
    #expect(errorMessage { _ = try reader2.tensor("iq2.weight").floats() } == "tensor type IQ2_XXS is not supported for reading values")
  }

  @Test("5 GiB of tensor data in a sparse file: inspected, and the tensor beyond it read")
  func sparseLargeFile() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    var b = GGUFBuilder.tinyModel()
    // A 5 GiB I8 tensor (zeros: a hole in the file), then a 4-value tensor after it.
    let far: UInt64 = 5 << 30
    let end = UInt64(GGUFBuilder.tinyModel().build().bytes.count - GGUFBuilder.tinyModel().build().dataStart)
    b.tensors.append(.init(name: "big.weight", ne: [far - end], type: 24, offset: end, data: []))
    b.tensors.append(.init(name: "far.weight", ne: [4], type: 0, offset: far, data: []))
    let (bytes, _, dataStart) = b.build()
    let path = try folder.write("big.gguf", bytes)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.seek(toOffset: UInt64(dataStart) + far)
    var values = Bytes()
    for v in [Float(1.5), -2, 3.25, 4] { values.f32(v) }
    try handle.write(contentsOf: values.data)
    try handle.close()
    let reader = try ModelFiles.open(path)
    let info = try #require(reader.tensors.first { $0.name == "far.weight" })
    #expect(info.offset == dataStart + Int(far))
    #expect(reader.tensors.first { $0.name == "big.weight" }?.byteCount == Int(far - end))
    #expect(try reader.tensor("far.weight").floats() == [1.5, -2, 3.25, 4])
    try InspectCLI.check(path, tensor: "far.weight", offset: dataStart + Int(far), bytes: 16)
  }
}

import Foundation
