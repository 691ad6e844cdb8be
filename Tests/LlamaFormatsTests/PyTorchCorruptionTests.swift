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
    // A million MARKs: refused as too deep or run to the end, never a crash.
    #expect(run([0x80, 0x02] + [UInt8](repeating: 0x28, count: 1_100_000) + [0x2E]) != nil)
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
    let bytes = checkpoint(pickle)
    for cut in stride(from: 0, to: bytes.count, by: 7) {
      (message, folder) = try open(Array(bytes[0..<cut]))
      #expect(message?.contains("pytorch_model.bin") == true, "cut \(cut): \(message ?? "opened")")
      folder.remove()
    }
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
