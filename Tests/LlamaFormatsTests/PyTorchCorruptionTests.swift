@testable import PyTorch
import LlamaCore
import LlamaFormats
import LlamaKit
import Testing

/// Hostile and broken torch.save checkpoints: pickles are data, never code.
@Suite("PyTorch: hostile and corrupt files")
struct PyTorchCorruptionTests {
  func run(_ pickle: [UInt8]) -> String? {
    errorMessage {
      _ = try pickle.withUnsafeBytes { bytes in
        var reader = PickleReader(bytes, path: "data.pkl")
        return try reader.run()
      }
    }
  }

  @Test("globals outside the allowlist are refused by name", arguments: [
    ("os", "system"), ("builtins", "eval"), ("subprocess", "Popen"), ("posix", "system"), ("torch", "load"),
    ("__builtin__", "exec"), ("torch._utils", "_rebuild_from_type_v2"), ("numpy.core.multiarray", "_reconstruct"),
  ])
  func forbiddenGlobals(module: String, name: String) {
    var p = PickleBuilder()
    p.global(module, name)
    p.string("echo pwned")
    p.op(0x85)
    p.op(0x52)
    p.op(0x2E)
    #expect(run(p.data) == "data.pkl: refused pickle content: global \(module).\(name) (at byte \(2 + 3 + module.utf8.count + name.utf8.count))")
    // STACK_GLOBAL (protocol 4) is checked the same way.
    var q = PickleBuilder()
    q.string(module)
    q.string(name)
    q.op(0x93)
    q.op(0x2E)
    #expect(run(q.data)?.contains("refused pickle content: global \(module).\(name)") == true)
  }

  @Test("code-running opcodes are refused by name", arguments: [
    (UInt8(0x69), "INST"), (0x6F, "OBJ"), (0x81, "NEWOBJ"), (0x92, "NEWOBJ_EX"), (0x82, "EXT1"), (0x83, "EXT2"),
    (0x84, "EXT4"), (0x50, "PERSID"), (0x53, "STRING"), (0x42, "BINBYTES"), (0xFF, "0xFF"),
  ])
  func forbiddenOpcodes(opcode: UInt8, name: String) {
    let message = run([0x80, 0x02, opcode, 0x2E])
    #expect(message?.contains("refused pickle content: opcode \(name)") == true, "\(message ?? "ran")")
  }

  @Test("calls and BUILD of anything but the allowed rebuild functions are refused")
  func forbiddenCalls() {
    var p = PickleBuilder()
    p.global("torch", "FloatStorage")
    p.op(0x29)
    p.op(0x52)
    p.op(0x2E)
    #expect(run(p.data)?.contains("call of torch.FloatStorage") == true)
    var q = PickleBuilder()
    q.op(0x5D)  // a list
    q.op(0x7D)
    q.op(0x62)  // BUILD on a list
    q.op(0x2E)
    #expect(run(q.data)?.contains("BUILD of list with dict") == true)
    var r = PickleBuilder()
    r.global("collections", "OrderedDict")
    r.string("x")
    r.op(0x85)
    r.op(0x52)
    r.op(0x2E)
    #expect(run(r.data)?.contains("OrderedDict called with arguments") == true)
  }

  @Test("malformed pickles: truncation, underflow, missing memo, deep marks")
  func malformed() {
    let valid = PickleBuilder.stateDict([("w", "0", [2, 2])])
    #expect(run(valid) == nil)
    for cut in 0..<valid.count {
      #expect(run(Array(valid[0..<cut])) != nil, "cut \(cut)")
    }
    #expect(run([0x80, 0x02, 0x74, 0x2E])?.contains("no mark") == true)
    #expect(run([0x80, 0x02, 0x68, 0x07, 0x2E])?.contains("memo 7 is empty") == true)
    #expect(run([0x80, 0x02, 0x2E])?.contains("stack underflow") == true)
    #expect(run([0x80, 0x09, 0x2E])?.contains("pickle protocol 9") == true)
    // Past the caps on marks, stack entries and memo entries: refused.
    #expect(run([0x80, 0x02] + [UInt8](repeating: 0x28, count: 70_000) + [0x2E])?.contains("stack too deep") == true)
    #expect(run([0x80, 0x02] + [UInt8](repeating: 0x4E, count: 1_100_000) + [0x2E])?.contains("stack too deep") == true)
    #expect(run([0x80, 0x02, 0x4E] + [UInt8](repeating: 0x94, count: 1_100_000) + [0x2E])?.contains("more than 1048576 memo entries") == true)
  }

  @Test("pickles nested past the depth limit, self-containing or refilled containers, huge lengths and numbers")
  func hostileStructure() {
    let n = 200_000
    // 200,000 nested lists, tuples and dicts: refused at depth 64, never a recursion crash.
    for (first, open, close) in [([UInt8(0x5D)], [UInt8(0x5D)], [UInt8(0x61)]), ([0x29], [], [0x85]), ([0x7D], [0x4B, 0x01, 0x7D], [0x73])] {
      var bytes: [UInt8] = [0x80, 0x02] + first
      for _ in 0..<(n - 1) { bytes += open }
      for _ in 0..<(n - 1) { bytes += close }
      bytes.append(0x2E)
      let error = failure { _ = try bytes.withUnsafeBytes { var r = PickleReader($0, path: "data.pkl"); return try r.run() } }
      #expect(error?.kind == "FormatError.malformed" && error?.message.contains("values nested more than 64 deep") == true, "\(error?.message ?? "ran")")
    }
    // 63 levels are fine.
    #expect(run([0x80, 0x02] + [UInt8](repeating: 0x5D, count: 63) + [UInt8](repeating: 0x61, count: 62) + [0x2E]) == nil)
    // A list appended to itself; a list filled after it went into a tuple (through the memo).
    #expect(run([0x80, 0x02, 0x5D, 0x94, 0x68, 0x00, 0x61, 0x2E])?.contains("refused pickle content: APPEND to a container already inside another value") == true)
    #expect(run([0x80, 0x02, 0x5D, 0x94, 0x85, 0x68, 0x00, 0x5D, 0x61, 0x2E])?.contains("refused pickle content: APPEND to a container already inside another value") == true)
    // Lengths near 2^32 and 2^64, and integers past 64 bits.
    for (bytes, expected) in [
      ([0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0xFF, 0x61], "truncated: 4294967295 bytes needed"),
      ([0x80, 0x02, 0x58, 0x00, 0x00, 0x00, 0x00, 0x2E], ""),
      ([0x80, 0x02, 0x8D] + [UInt8](repeating: 0xFF, count: 8) + [0x2E], "string length 18446744073709551615 exceeds the pickle"),
      ([0x80, 0x02, 0x8D, 0, 0, 0, 0, 1, 0, 0, 0, 0x2E], "string length 4294967296 exceeds the pickle"),
      ([0x80, 0x02, 0x8A, 0xFF] + [UInt8](repeating: 1, count: 255) + [0x2E], "integer of 255 bytes is too large"),
      ([0x80, 0x02, 0x8C, 0x02, 0xC3, 0x28, 0x2E], "string is not valid UTF-8"),
      ([0x80, 0x02, 0x6A, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E], "memo 4294967295 is empty"),
    ] as [([UInt8], String)] {
      let error = failure { _ = try bytes.withUnsafeBytes { var r = PickleReader($0, path: "data.pkl"); return try r.run() } }
      if expected.isEmpty {
        #expect(error == nil, "\(error?.message ?? "")")
      } else {
        #expect(error?.kind == "FormatError.malformed" && error?.message.contains(expected) == true, "\(error?.message ?? "ran")")
      }
    }
  }

  @Test("storage sizes, offsets, shapes and strides near 2^32 and 2^64, duplicate names, unknown storage types")
  func hostileTensors() throws {
    let big = UInt64(1) << 32, max = UInt64.max
    for (count, offset, shape, stride, expected) in [
      (max, 0, [2, 2], [2, 1], "refused pickle content: persistent id tuple"),
      (4, max, [2, 2], [2, 1], "_rebuild_tensor_v2 with unexpected arguments"),
      (4, big, [2, 2], [2, 1], "view reaches element 4294967299 of a storage of 4"),
      (4, 0, [big, big], [big, 1], "shape [4294967296, 4294967296] is too large"),
      (4, 0, [max, 1], [1, 1], "shape [-1, 1] is too large"),
      (4, 0, [1 << 62, 4], [4, 1], "shape [4611686018427387904, 4] is too large"),
      (4, 0, [2, 2], [1 << 62, 1], "view reaches element 4611686018427387905 of a storage of 4"),
      (big, 0, [2, 2], [2, 1], "storage 0 has 16 bytes, its pickle says 4294967296 × F32"),
      (0, 0, [2, 2], [2, 1], "storage 0 has 16 bytes, its pickle says 0 × F32"),
      (4, 0, [0, 2], [2, 1], ""),
      (4, 0, [1 << 20, 1 << 20], [0, 0], "view has 1099511627776 elements, more than its storage's 4"),
      (4, 0, [2, 2], [0, 1], ""),
    ] as [(UInt64, UInt64, [UInt64], [UInt64], String)] {
      var (message, folder) = try open(checkpoint(PickleBuilder.tensor("model.norm.weight", count: count, offset: offset, shape: shape, stride: stride)))
      defer { folder.remove() }
      if message == nil {
        message = errorMessage { _ = try ModelFiles.open(folder.path).tensor("output_norm.weight").floats() }
      }
      if expected.isEmpty {
        #expect(message == nil, "\(message ?? "")")
      } else {
        #expect(message?.contains(expected) == true, "\(count) \(offset) \(shape) \(stride): \(message ?? "read")")
      }
    }
    // The same name twice in the state dict; a storage class torch does not have.
    var (message, folder) = try open(checkpoint(PickleBuilder.stateDict([("model.norm.weight", "0", [2, 2]), ("model.norm.weight", "0", [2, 2])])))
    #expect(message?.contains("state dict names model.norm.weight twice") == true, "\(message ?? "opened")")
    folder.remove()
    var p = PickleBuilder.stateDict([("model.norm.weight", "0", [2, 2])])
    p = patch(p, "FloatStorage", with: Array("QuintStorage".utf8))
    (message, folder) = try open(checkpoint(p))
    #expect(message?.contains("refused pickle content: global torch.QuintStorage") == true, "\(message ?? "opened")")
    folder.remove()
  }

  @Test("zip records: counts, sizes and offsets at 0, past the file, near 2^32; overlapping, duplicate, absolute and non-UTF-8 members")
  func hostileZip() throws {
    let pickle = PickleBuilder.stateDict([("model.norm.weight", "0", [2, 2])])
    let valid = checkpoint(pickle)
    let eocd = valid.count - 22
    let centrals = valid.offsets(ofSignature: 0x0201_4B50)
    let size = UInt32(valid.count)
    func check(_ change: (inout [UInt8]) -> Void, _ expected: String, line: Int = #line) throws {
      var bytes = valid
      change(&bytes)
      let (message, folder) = try open(bytes)
      defer { folder.remove() }
      var error = message
      if error == nil { error = errorMessage { _ = try ModelFiles.open(folder.path).tensor("output_norm.weight").floats() } }
      #expect(error?.contains("pytorch_model.bin") == true && error?.contains(expected) == true, "line \(line): \(error ?? "read")")
    }
    try check({ $0.set16(eocd + 10, 0); $0.set16(eocd + 8, 0) }, "zip holds no torch archive folder")
    try check({ $0.set16(eocd + 10, 0xFFFF); $0.set16(eocd + 8, 0xFFFF) }, "ZIP64 locator missing")
    try check({ $0.set32(eocd + 16, size + 1) }, "runs past the end of the file")
    try check({ $0.set32(eocd + 16, 0xFFFF_FFFE) }, "runs past the end of the file")
    try check({ $0.set32(eocd + 12, 0xFFFF_FFFE) }, "runs past the end of the file")
    try check({ $0.set32(eocd + 12, 0) }, "cannot fit")
    try check({ $0.set32(centrals[0] + 20, 0xFFFF_FFFE) }, "has sizes or an offset outside the file")
    try check({ $0.set32(centrals[0] + 20, size + 1) }, "has sizes or an offset outside the file")
    try check({ $0.set32(centrals[2] + 24, 0xFFFF_FFFE) }, "stored member with two different sizes")
    try check({ $0.set32(centrals[0] + 20, 0); $0.set32(centrals[0] + 24, 0) }, "pickle: truncated")
    try check({ $0.set32(centrals[1] + 42, size + 1) }, "has sizes or an offset outside the file")
    try check({ $0.set32(centrals[1] + 42, 0xFFFF_FFFE) }, "has sizes or an offset outside the file")
    try check({ $0.set32(centrals[1] + 42, 0) }, "overlap")
    try check({ $0.set32(centrals[1] + 42, 40) }, "overlap")
    try check({ $0.set16(centrals[1] + 28, 0xFFFF) }, "truncated")
    try check({ $0.set16(centrals[1] + 28, 0) }, "bad central header")
    try check({ $0.set16(centrals[0] + 10, 99) }, "compression method 99 is not supported")
    // Duplicate, absolute and non-UTF-8 member names (same lengths, so the records stay intact).
    try check({ $0 = StoredZip.build([("archive/data.pkl", pickle), ("archive/data/0", [UInt8](repeating: 0, count: 16)), ("archive/data/0", [UInt8](repeating: 0, count: 16)), ("archive/version", Array("3\n".utf8))]) }, "zip member archive/data/0 appears twice")
    try check({ $0 = StoredZip.build([("/archive/data.pkl", pickle), ("/archive/data/0", [UInt8](repeating: 0, count: 16)), ("/archive/version", Array("3\n".utf8))]) }, "leaves the archive folder")
    try check({ $0 = patch(patch($0, "archive/byteorder", with: [0xFF] + Array("rchive/byteorder".utf8)), "archive/byteorder", with: [0xFF] + Array("rchive/byteorder".utf8)) }, "not valid UTF-8")
    // Truncated at every byte.
    for cut in 0..<valid.count {
      let (message, folder) = try open(Array(valid[0..<cut]))
      #expect(message?.contains("pytorch_model.bin: ") == true, "cut \(cut): \(message ?? "opened")")
      folder.remove()
    }
  }

  /// A torch.save-style zip with a state dict of one 2×2 float tensor.
  func checkpoint(_ pickle: [UInt8], storage: [UInt8]? = nil, version: Bool = true, name: String = "archive") -> [UInt8] {
    var b = Bytes()
    for v in [Float(1), 2, 3, 4] { b.f32(v) }
    var members: [(String, [UInt8])] = [("\(name)/data.pkl", pickle), ("\(name)/byteorder", Array("little".utf8))]
    members.append(("\(name)/data/0", storage ?? b.data))
    if version { members.append(("\(name)/version", Array("3\n".utf8))) }
    return StoredZip.build(members)
  }

  func open(_ zip: [UInt8]) throws -> (message: String?, folder: TemporaryFolder) {
    let folder = try TemporaryFolder()
    _ = try folder.write("pytorch_model.bin", zip)
    _ = try folder.write("config.json", SafetensorsCorruptionTests.config)
    return (errorMessage { _ = try ModelFiles.open(folder.path) }, folder)
  }

  @Test("zip containers: valid, hostile, truncated")
  func zips() throws {
    let pickle = PickleBuilder.stateDict([("model.norm.weight", "0", [2, 2])])
    var (message, folder) = try open(checkpoint(pickle))
    #expect(message == nil, "\(message ?? "")")
    // The tensor is a view of the stored zip member.
    let valid = try ModelFiles.open(folder.path).tensor("output_norm.weight")
    #expect(valid.contiguousBytes != nil)
    #expect(try valid.floats() == [1, 2, 3, 4])
    folder.remove()
    (message, folder) = try open(checkpoint(pickle, name: "../evil"))
    #expect(message?.contains("leaves the archive folder") == true, "\(message ?? "opened")")
    folder.remove()
    (message, folder) = try open(checkpoint(pickle, version: false))
    #expect(message?.contains("no archive/version record") == true, "\(message ?? "opened")")
    folder.remove()
    (message, folder) = try open(checkpoint(pickle, storage: [1, 2, 3]))
    #expect(message == nil)  // the storage is checked when the tensor is read
    let reader = try ModelFiles.open(folder.path)
    #expect(errorMessage { _ = try reader.tensor("output_norm.weight") }?.contains("storage 0 has 3 bytes, its pickle says 4 × F32") == true)
    folder.remove()
    var evil = PickleBuilder()
    evil.global("os", "system")
    (message, folder) = try open(checkpoint(evil.data))
    #expect(message?.contains("refused pickle content: global os.system") == true, "\(message ?? "opened")")
    folder.remove()
  }

  @Test("compressed members: inflated within their declared size; zip bombs (declared past the limit, or inflating past the declared size) refused")
  func zipBombs() throws {
    let pickle = PickleBuilder.stateDict([("model.norm.weight", "0", [2, 2])])
    var b = Bytes()
    for v in [Float(1), 2, 3, 4] { b.f32(v) }
    func zip(_ pickleMember: StoredZip.Member) -> [UInt8] {
      StoredZip.build(members: [
        pickleMember, .init(name: "archive/byteorder", data: Array("little".utf8)), .init(name: "archive/data/0", data: b.data),
        .init(name: "archive/version", data: Array("3\n".utf8)),
      ])
    }
    // A deflated data.pkl of the right size is inflated by libarchive and read.
    var (message, folder) = try open(zip(.init(name: "archive/data.pkl", data: pickle, deflated: true)))
    #expect(message == nil, "\(message ?? "")")
    #expect(try ModelFiles.open(folder.path).tensor("output_norm.weight").floats() == [1, 2, 3, 4])
    folder.remove()
    // Declared 3 GiB: refused before anything is inflated.
    (message, folder) = try open(zip(.init(name: "archive/data.pkl", data: pickle, deflated: true, declaredSize: 0xC000_0000)))
    #expect(message?.contains("declares 3221225472 bytes, more than") == true, "\(message ?? "opened")")
    folder.remove()
    // Declares 10 bytes but inflates to more: refused (libarchive checks the size while
    // inflating; our read limit is the declared size).
    (message, folder) = try open(zip(.init(name: "archive/data.pkl", data: pickle, deflated: true, declaredSize: 10)))
    #expect(
      message?.contains("pytorch_model.bin: cannot read archive: ZIP uncompressed data is wrong size (read 157, expected 10)") == true
        || message?.contains("pytorch_model.bin: archive member is too large (") == true, "\(message ?? "opened")")
    folder.remove()
  }

  @Test("Meta params.json: not an object, values at 0, negative, near 2^32 and 2^64, not integers, overflowing FFN rules, deep, not UTF-8")
  func metaParams() throws {
    let pth = checkpoint(PickleBuilder.stateDict([("norm.weight", "0", [2, 2])]))
    let base = #""n_layers": 1, "n_heads": 2, "n_kv_heads": 1, "vocab_size": 4, "norm_eps": 1e-5"#
    for (params, kind, expected) in [
      // Valid parameters: the shard's tensor is then checked against them.
      (#"{"dim": 8, \#(base)}"#, "FormatError.shapeMismatch", "consolidated.00.pth: tensor norm.weight has shape [2, 2], expected [8]"),
      (#"[8]"#, "FormatError.malformed", "params.json is not an object"),
      (#"{"dim": 8, "#, "IOError.invalidJSON", "params.json: invalid JSON"),
      (#"{"dim": 0, \#(base)}"#, "FormatError.invalidConfig", "dim is 0, must be 1 to 1048576"),
      (#"{"dim": -8, \#(base)}"#, "FormatError.invalidConfig", "dim is -8, must be 1 to 1048576"),
      (#"{"dim": 4294967296, \#(base)}"#, "FormatError.invalidConfig", "dim is 4294967296, must be 1 to 1048576"),
      (#"{"dim": 18446744073709551616, \#(base)}"#, "FormatError.invalidConfig", "must be 1 to 1048576"),
      (#"{"dim": 8.5, \#(base)}"#, "FormatError.invalidConfig", "dim is missing or not an integer"),
      (#"{"dim": "8", \#(base)}"#, "FormatError.invalidConfig", "dim is missing or not an integer"),
      (#"{"dim": 8, "n_layers": 4294967296, "n_heads": 2, "vocab_size": 4}"#, "FormatError.invalidConfig", "num_hidden_layers is 4294967296, more than 4096"),
      (#"{"dim": 8, "n_layers": 1, "n_heads": 0, "vocab_size": 4}"#, "FormatError.invalidConfig", "num_attention_heads is 0, must be positive"),
      (#"{"dim": 8, "n_layers": 1, "n_heads": 2, "n_kv_heads": 3, "vocab_size": 4}"#, "FormatError.invalidConfig", "not a multiple of num_key_value_heads"),
      (#"{"dim": 8, "n_layers": 1, "n_heads": 2, "vocab_size": 1099511627776}"#, "FormatError.invalidConfig", "vocab_size is 1099511627776, more than"),
      (#"{"dim": 8, \#(base), "ffn_dim_multiplier": 1e300}"#, "FormatError.invalidConfig", "ffn_dim_multiplier 1e+300 makes a feed-forward width"),
      (#"{"dim": 8, \#(base), "ffn_dim_multiplier": -1}"#, "FormatError.invalidConfig", "ffn_dim_multiplier -1.0 makes a feed-forward width"),
      (#"{"dim": 8, \#(base), "multiple_of": 4611686018427387904}"#, "FormatError.invalidConfig", "multiple_of is 4611686018427387904"),
      (#"{"dim": "# + String(repeating: "[", count: 100_000), "IOError.invalidJSON", "params.json: invalid JSON"),
      (#"{"dim": 8, "n_layers": 1, "n_heads": 2, "\#u{FF}": 1}"#, "IOError.invalidJSON", "invalid utf-8 string"),
    ] {
      let folder = try TemporaryFolder()
      defer { folder.remove() }
      _ = try folder.write("params.json", params.contains("\u{FF}") ? Array(params.utf8).map { $0 == 0xC3 ? 0xFF : $0 } : Array(params.utf8))
      _ = try folder.write("consolidated.00.pth", pth)
      let error = failure { _ = try ModelFiles.open(folder.path) }
      #expect(error?.kind == kind && error?.message.contains(expected) == true, "\(params.prefix(80)): \(error?.kind ?? "") \(error?.message ?? "opened")")
    }
  }

  @Test("Meta checkpoints: missing shards, mismatched shards")
  func meta() throws {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    let params = #"{"dim": 8, "n_layers": 1, "n_heads": 2, "n_kv_heads": 1, "vocab_size": 4, "norm_eps": 1e-5}"#
    _ = try folder.write("params.json", params)
    let pickle = PickleBuilder.stateDict([("norm.weight", "0", [2, 2])])
    _ = try folder.write("consolidated.00.pth", checkpoint(pickle))
    _ = try folder.write("consolidated.02.pth", checkpoint(pickle))
    let message = errorMessage { _ = try ModelFiles.open(folder.path) }
    #expect(message?.contains("model-parallel shard consolidated.01.pth is missing") == true, "\(message ?? "opened")")
  }
}
