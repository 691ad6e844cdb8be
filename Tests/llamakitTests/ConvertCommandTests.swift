import Foundation
import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaKit
import Testing

@Suite("llamakit convert", .serialized)
struct ConvertCommandTests {
  static let m0 = CLI.fixtures + "/models/m0"

  func temporaryFolder() throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-convert-\(getpid())-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
  }

  /// Every tensor's stored bytes, by canonical name.
  func tensorBytes(_ path: String) throws -> [String: (DType, [UInt8])] {
    let reader = try ModelFiles.open(path)
    var result: [String: (DType, [UInt8])] = [:]
    for info in reader.tensors {
      let tensor = try reader.tensor(info.name)
      result[info.name] = (tensor.dtype, tensor.withContiguousBytes { Array($0) })
    }
    return result
  }

  /// The same tensor names, and every tensor with the reference's type and bytes.
  func expectSameTensors(_ ours: [String: (DType, [UInt8])], _ theirs: [String: (DType, [UInt8])]) {
    #expect(Set(ours.keys) == Set(theirs.keys))
    for (name, (type, bytes)) in theirs {
      #expect(ours[name]?.0 == type && ours[name]?.1 == bytes, "\(name)")
    }
  }

  func identical(_ a: String, _ b: String) throws -> Bool {
    let result = try CLI.run(["diff", a, b, "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    return try JSON.parse(result.stdout, source: "stdout")["identical"]?.boolValue == true
  }

  @Test("f32 safetensors → GGUF F16 has llama.cpp's F16 tensors bit for bit; → GGUF keeping types equals the source")
  func floatTypes() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let f16 = folder + "/m0.F16.gguf"
    let result = try CLI.run(["convert", Self.m0 + "/hf", f16, "--type", "f16"])
    #expect(result.status == 0, "\(result.stderr)")
    // Matrices F16, norms F32, as convert_hf_to_gguf.py --outtype f16 wrote the fixture.
    let ours = try tensorBytes(f16), theirs = try tensorBytes(Self.m0 + "/gguf/m0.F16.gguf")
    #expect(ours.count == 21)
    expectSameTensors(ours, theirs)

    for (source, name) in [(Self.m0 + "/hf", "f32.gguf"), (Self.m0 + "/pytorch-bf16-sharded", "bf16.gguf"), (Self.m0 + "/meta-bf16-2shards", "meta.gguf")] {
      let out = folder + "/" + name
      let kept = try CLI.run(["convert", source, out])
      #expect(kept.status == 0, "\(kept.stderr)")
      #expect(try identical(source, out), "\(source)")
      // Matrices keep their type; vectors (norms) are F32, as llama.cpp's kernels expect.
      let sourceTypes = try tensorBytes(source).mapValues(\.0)
      for (tensor, (type, _)) in try tensorBytes(out) {
        #expect(type == (tensor.hasSuffix("norm.weight") ? .f32 : sourceTypes[tensor]), "\(tensor)")
      }
      let generated = try CLI.run(["generate", out, "--prompt", "The capital of France is", "-n", "4", "--temp", "0", "--json"])
      #expect(generated.status == 0, "\(generated.stderr)")
    }
  }

  @Test("quantized GGUF → GGUF keeps every block byte; f32 → Q8_0 has llama-quantize's bytes")
  func quantized() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let copy = folder + "/copy.gguf"
    #expect(try CLI.run(["convert", Self.m0 + "/gguf/m0.Q4_K_M.gguf", copy]).status == 0)
    let source = try tensorBytes(Self.m0 + "/gguf/m0.Q4_K_M.gguf"), copied = try tensorBytes(copy)
    #expect(source.count == copied.count)
    for (name, (type, bytes)) in source { #expect(copied[name]?.0 == type && copied[name]?.1 == bytes, "\(name)") }

    let q8 = folder + "/m0.Q8_0.gguf"
    let result = try CLI.run(["convert", Self.m0 + "/hf", q8, "--type", "q8_0"])
    #expect(result.status == 0, "\(result.stderr)")
    let ours = try tensorBytes(q8), theirs = try tensorBytes(Self.m0 + "/gguf/m0.Q8_0.gguf")
    expectSameTensors(ours, theirs)
  }

  @Test("f32 → Q4_0 (matrices Q4_0, the output Q6_K, as llama-quantize chooses) has llama-quantize's bytes")
  func q4_0() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let q4 = folder + "/m0.Q4_0.gguf"
    let result = try CLI.run(["convert", Self.m0 + "/hf", q4, "--type", "q4_0"])
    #expect(result.status == 0, "\(result.stderr)")
    let ours = try tensorBytes(q4), theirs = try tensorBytes(Self.m0 + "/gguf/m0.Q4_0.gguf")
    #expect(theirs["output.weight"]?.0 == .q6_K)
    expectSameTensors(ours, theirs)
  }

  @Test("f32 → Q4_K_M (Q4_K, Q6_K where llama-quantize puts more bits) has llama-quantize's bytes")
  func q4_K_M() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let out = folder + "/m0.Q4_K_M.gguf"
    let result = try CLI.run(["convert", Self.m0 + "/hf", out, "--type", "q4_k_m"])
    #expect(result.status == 0, "\(result.stderr)")
    let ours = try tensorBytes(out), theirs = try tensorBytes(Self.m0 + "/gguf/m0.Q4_K_M.gguf")
    #expect(theirs.values.contains { $0.0 == .q4_K } && theirs.values.contains { $0.0 == .q6_K })
    expectSameTensors(ours, theirs)
  }

  @Test("the Q6_K reference quantizer gives llama-quantize's bytes for every Q6_K tensor of the Q4_K_M fixture")
  func q6_KQuantizer() throws {
    let hf = try ModelFiles.open(Self.m0 + "/hf")
    let theirs = try tensorBytes(Self.m0 + "/gguf/m0.Q4_K_M.gguf").filter { $0.value.0 == .q6_K }
    #expect(theirs.count >= 3)
    let encode = try #require(Quantization.encoder(for: .q6_K))
    for (name, (_, bytes)) in theirs {
      let floats = try hf.tensor(name).floats()
      var ours = [UInt8](repeating: 0, count: bytes.count)
      floats.withUnsafeBufferPointer { f in ours.withUnsafeMutableBytes { encode(f.baseAddress!, floats.count, $0.baseAddress!) } }
      #expect(ours == bytes, "\(name)")
    }
  }

  @Test("→ safetensors: M0's f32 folder is rewritten byte for byte; GGUF and Meta sources give a Hugging Face folder with the same tensors, sharded on request")
  func safetensors() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // The q/k rows go back to Hugging Face's layout: the file equals the one transformers wrote.
    let hf = folder + "/hf"
    let result = try CLI.run(["convert", Self.m0 + "/hf", hf, "--to", "safetensors"])
    #expect(result.status == 0, "\(result.stderr)")
    let ours = try Data(contentsOf: URL(fileURLWithPath: hf + "/model.safetensors"))
    let theirs = try Data(contentsOf: URL(fileURLWithPath: Self.m0 + "/hf/model.safetensors"))
    let sameBytes = ours == theirs  // a Bool: a failing #expect on 7 MB of Data would diff them for minutes
    #expect(sameBytes)
    #expect(FileManager.default.fileExists(atPath: hf + "/tokenizer.model"))
    let config = try JSON.parse(contentsOf: hf + "/config.json")
    #expect(config["model_type"]?.stringValue == "llama" && config["torch_dtype"]?.stringValue == "float32")
    #expect(config["num_key_value_heads"]?.intValue == 2 && config["vocab_size"]?.intValue == 512)

    // pytorch f16 → sharded safetensors → GGUF: the same values all the way.
    let sharded = folder + "/sharded"
    let shardResult = try CLI.run(["convert", Self.m0 + "/pytorch-f16", sharded, "--to", "safetensors", "--max-shard-size", "1MB"])
    #expect(shardResult.status == 0, "\(shardResult.stderr)")
    let index = try JSON.parse(contentsOf: sharded + "/model.safetensors.index.json")
    let weightMap = try #require(index["weight_map"]?.objectValue)
    #expect(weightMap.count == 21)
    #expect(Set(weightMap.entries.map { $0.value.stringValue ?? "" }).count > 1)
    #expect(try identical(sharded, Self.m0 + "/pytorch-f16"))
    let gguf = folder + "/back.gguf"
    #expect(try CLI.run(["convert", sharded, gguf]).status == 0)
    #expect(try identical(gguf, Self.m0 + "/pytorch-f16"))

    // Meta bf16 (two model-parallel shards) → safetensors equals the Hugging Face bf16 checkpoint.
    let meta = folder + "/meta"
    #expect(try CLI.run(["convert", Self.m0 + "/meta-bf16-2shards", meta, "--to", "safetensors"]).status == 0)
    #expect(try identical(meta, Self.m0 + "/pytorch-bf16-sharded"))
    let generated = try CLI.run(["generate", meta, "--prompt", "The capital of France is", "-n", "4", "--temp", "0"])
    #expect(generated.status == 0, "\(generated.stderr)")

    // A GGUF source carries its vocabulary: the folder gets a tokenizer.model written from it,
    // which encodes as the original; and the folder converts back to the same GGUF values.
    let fromGGUF = folder + "/from-gguf"
    #expect(try CLI.run(["convert", Self.m0 + "/gguf/m0.F16.gguf", fromGGUF, "--to", "safetensors"]).status == 0)
    let text = "The capital of France is 1234 Paris.  Hello\n world"
    let original = try CLI.run(["tokenize", Self.m0 + "/hf/tokenizer.model", text, "--ids"])
    let written = try CLI.run(["tokenize", fromGGUF + "/tokenizer.model", text, "--ids"])
    #expect(written.status == 0 && written.stdout == original.stdout)
    let roundTrip = folder + "/round-trip.gguf"
    #expect(try CLI.run(["convert", fromGGUF, roundTrip]).status == 0)
    #expect(try identical(roundTrip, Self.m0 + "/gguf/m0.F16.gguf"))

    // Existing model files are kept without --force; quantized types are not safetensors types.
    let again = try CLI.run(["convert", Self.m0 + "/hf", hf, "--to", "safetensors"])
    #expect(again.status != 0 && again.stderr.contains("model.safetensors"))
    let quantized = try CLI.run(["convert", Self.m0 + "/hf", folder + "/q", "--to", "safetensors", "--type", "q8_0"])
    #expect(quantized.status != 0 && quantized.stderr.contains("--type q8_0"))
    let badSize = try CLI.run(["convert", Self.m0 + "/hf", folder + "/q", "--to", "safetensors", "--max-shard-size", "lots"])
    #expect(badSize.status != 0 && badSize.stderr.contains("--max-shard-size"))
  }

  @Test("an existing output is kept without --force; bad targets and types are one-line errors")
  func errors() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let out = folder + "/exists.gguf"
    try Data("keep me".utf8).write(to: URL(fileURLWithPath: out))
    let refused = try CLI.run(["convert", Self.m0 + "/hf", out])
    #expect(refused.status != 0 && refused.stderr.contains(out))
    #expect(try String(contentsOfFile: out, encoding: .utf8) == "keep me")
    #expect(try CLI.run(["convert", Self.m0 + "/hf", out, "--force"]).status == 0)

    for (arguments, mentions) in [
      (["convert", Self.m0 + "/hf", folder + "/x.dat"], "target format"),
      (["convert", Self.m0 + "/hf", folder + "/x", "--to", "onnx"], "--to onnx"),
      (["convert", Self.m0 + "/hf", folder + "/x", "--to", "meta", "--shards", "3"], "3 shards"),
      (["convert", Self.m0 + "/hf", folder + "/x", "--to", "meta", "--type", "q4_0"], "--type q4_0"),
      (["convert", Self.m0 + "/hf", folder + "/x.gguf", "--shards", "2"], "--shards"),
      (["convert", Self.m0 + "/hf", folder + "/x.bin", "--type", "f16"], "--type f16"),
      (["convert", Self.m0 + "/hf", folder + "/x.gguf", "--type", "q3_z"], "--type q3_z"),
      (["convert", "/nonexistent/model", folder + "/x.gguf"], "/nonexistent/model"),
    ] {
      let result = try CLI.run(arguments)
      #expect(result.status != 0, "\(arguments)")
      #expect(result.stderr.contains(mentions), "\(result.stderr)")
      #expect(!FileManager.default.fileExists(atPath: folder + "/x.gguf"))
    }
  }
}

extension ConvertCommandTests {
  /// Starts `llamakit convert`, waits until it has begun writing (its temporary file is in
  /// `folder`), sends `signal`, and returns the exit status and whether it was still running.
  func interrupt(_ arguments: [String], in folder: String, with signal: Int32) throws -> (status: Int32, interrupted: Bool) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CLI.binary)
    process.arguments = arguments
    process.standardError = FileHandle.nullDevice
    try process.run()
    var writing = false
    for _ in 0..<4000 where !writing && process.isRunning {
      writing = (try FileManager.default.contentsOfDirectory(atPath: folder)).contains { $0.contains(".llamakit-") }
      if !writing { usleep(500) }
    }
    let interrupted = writing && process.isRunning
    if interrupted { kill(process.processIdentifier, signal) }
    process.waitUntilExit()
    return (process.terminationStatus, interrupted)
  }

  @Test("a conversion killed while writing leaves no file at DST; SIGTERM and SIGINT also remove its temporary file")
  func interrupted() throws {
    for signal in [SIGKILL, SIGTERM, SIGINT] {
      let folder = try temporaryFolder()
      defer { try? FileManager.default.removeItem(atPath: folder) }
      let out = folder + "/model.Q4_K_M.gguf"
      var result = (status: Int32(0), interrupted: false)
      // A fast machine may finish before the signal: try a few times.
      for _ in 0..<5 where !result.interrupted {
        try? FileManager.default.removeItem(atPath: out)
        result = try interrupt(["convert", Self.m0 + "/hf", out, "--type", "q4_k_m", "--force"], in: folder, with: signal)
      }
      #expect(result.interrupted, "signal \(signal): the conversion always finished first")
      guard result.interrupted else { continue }
      #expect(result.status != 0)
      #expect(!FileManager.default.fileExists(atPath: out), "signal \(signal)")
      let left = try FileManager.default.contentsOfDirectory(atPath: folder)
      if signal != SIGKILL { #expect(left.isEmpty, "signal \(signal) left \(left)") }
    }
  }

  @Test("a write error (the file size limit, as a full disk would) is a one-line error naming the file, and leaves nothing")
  func writeError() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    for (target, flags) in [
      ("model.gguf", [String]()), ("hf", ["--to", "safetensors", "--max-shard-size", "600KB"]), ("pt", ["--to", "pytorch"]),
      ("meta", ["--to", "meta", "--shards", "2"]), ("model.bin", []),
    ] {
      let out = folder + "/" + target
      // Writes past 550 KB (1100 blocks of 512 bytes in Debian's sh, dash) fail with EFBIG
      // (SIGXFSZ ignored), as they would on a full disk. The sharded folder gets its first
      // shards (lm_head, the embedding: 512 KB each) before a 768 KB one fails.
      let command = ([CLI.binary, "convert", Self.m0 + "/hf", out] + flags).map { "'\($0)'" }.joined(separator: " ")
      let result = try CLI.runShell("ulimit -f 1100; trap '' XFSZ; exec \(command)")
      #expect(result.status != 0, "\(target)")
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1 && result.stderr.contains("File too large") && result.stderr.contains(folder), "\(target): \(result.stderr)")
      // Nothing: no target file, no temporary file, no folder the conversion created.
      let left = try FileManager.default.contentsOfDirectory(atPath: folder)
      #expect(left.isEmpty, "\(target) left \(left)")
    }
  }
}

/// The reference data's models (LLAMAKIT_REFERENCE_DATA), when set.
enum ConvertReferenceData {
  static let models: String? = ProcessInfo.processInfo.environment["LLAMAKIT_REFERENCE_DATA"].flatMap {
    $0.isEmpty ? nil : $0 + "/models"
  }
}

@Suite(
  "llamakit convert against every llama-quantize file of the reference data", .serialized,
  .enabled(if: ConvertReferenceData.models != nil, "LLAMAKIT_REFERENCE_DATA is not set: the full-reference checks are skipped"))
struct ConvertReferenceTests {
  @Test(
    "M0 → every llama-quantize type of the reference data and M1 → Q8_0 (rows of 344 fall back to F16): every tensor as llama-quantize wrote it",
    arguments: [
      ("m0", "q8_0", "Q8_0"), ("m0", "q4_0", "Q4_0"), ("m0", "q4_1", "Q4_1"), ("m0", "q5_0", "Q5_0"), ("m0", "q4_k_m", "Q4_K_M"),
      ("m0", "q5_k_m", "Q5_K_M"), ("m0", "q6_k", "Q6_K"), ("m0", "q3_k_m", "Q3_K_M"), ("m0", "q2_k", "Q2_K"),
      ("m0", "iq4_nl", "IQ4_NL"), ("m1", "q8_0", "Q8_0"),
    ])
  func quantized(model: String, type: String, file: String) throws {
    let models = try #require(ConvertReferenceData.models)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-convert-ref-\(getpid())-\(model)-\(type)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let out = folder + "/\(model).\(file).gguf"
    let result = try CLI.run(["convert", "\(models)/\(model)/hf", out, "--type", type])
    #expect(result.status == 0, "\(result.stderr)")
    let ours = try ModelFiles.open(out), theirs = try ModelFiles.open("\(models)/\(model)/gguf/\(model).\(file).gguf")
    #expect(ours.tensors.map(\.name).sorted() == theirs.tensors.map(\.name).sorted())
    for info in theirs.tensors {
      let a = try ours.tensor(info.name), b = try theirs.tensor(info.name)
      #expect(a.dtype == b.dtype, "\(info.name)")
      #expect(a.withContiguousBytes { Array($0) } == b.withContiguousBytes { Array($0) }, "\(info.name)")
    }
  }
}
