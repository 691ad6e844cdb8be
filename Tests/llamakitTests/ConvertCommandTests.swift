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
    #expect(ours.count == 21 && Set(ours.keys) == Set(theirs.keys))
    for (name, (type, bytes)) in theirs {
      #expect(ours[name]?.0 == type && ours[name]?.1 == bytes, "\(name)")
    }

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
    #expect(Set(ours.keys) == Set(theirs.keys))
    for (name, (type, bytes)) in theirs {
      #expect(ours[name]?.0 == type && ours[name]?.1 == bytes, "\(name)")
    }
  }

  @Test("the Q4_0 reference quantizer gives llama-quantize's bytes for every Q4_0 tensor of the fixture")
  func q4_0Quantizer() throws {
    let hf = try ModelFiles.open(Self.m0 + "/hf")
    let theirs = try tensorBytes(Self.m0 + "/gguf/m0.Q4_0.gguf").filter { $0.value.0 == .q4_0 }
    #expect(theirs.count >= 15)
    let encode = try #require(Quantization.encoder(for: .q4_0))
    for (name, (_, bytes)) in theirs {
      let floats = try hf.tensor(name).floats()
      var ours = [UInt8](repeating: 0, count: bytes.count)
      floats.withUnsafeBufferPointer { f in ours.withUnsafeMutableBytes { encode(f.baseAddress!, floats.count, $0.baseAddress!) } }
      #expect(ours == bytes, "\(name)")
    }
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
      (["convert", Self.m0 + "/hf", folder + "/x.bin"], "target format"),
      (["convert", Self.m0 + "/hf", folder + "/x", "--to", "safetensors"], "--to safetensors"),
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
