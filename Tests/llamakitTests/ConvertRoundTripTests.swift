import Foundation
import LlamaIO
import Testing

/// Every writable layout, as `convert` arguments for a destination in `folder`.
struct Layout: Sendable, CustomStringConvertible {
  var name: String
  /// The destination inside a folder.
  var target: String
  var flags: [String]
  var description: String { name }

  static let all = [
    Layout(name: "gguf", target: "model.gguf", flags: []),
    Layout(name: "safetensors", target: "hf", flags: ["--to", "safetensors"]),
    Layout(name: "pytorch", target: "pt", flags: ["--to", "pytorch"]),
    Layout(name: "meta", target: "meta", flags: ["--to", "meta", "--shards", "2"]),
    Layout(name: "llama2c", target: "llama2c/model.bin", flags: []),
  ]

  /// Converts `source` to this layout under `folder`; returns the destination.
  func write(_ source: String, in folder: String, extra: [String] = []) throws -> String {
    let destination = folder + "/" + target
    if target.contains("/") {
      try FileManager.default.createDirectory(atPath: folder + "/" + target.split(separator: "/")[0], withIntermediateDirectories: true)
    }
    let result = try CLI.run(["convert", source, destination] + flags + extra)
    #expect(result.status == 0, "\(name): \(result.stderr)")
    return destination
  }
}

enum RoundTrip {
  static func identical(_ a: String, _ b: String) throws -> Bool {
    let result = try CLI.run(["diff", a, b, "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    return try JSON.parse(result.stdout, source: "stdout")["identical"]?.boolValue == true
  }

  static func temporaryFolder(_ label: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llamakit-\(label)-\(getpid())-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
  }

  /// `source` → every layout X → every layout Y: each result holds the source's tensors
  /// exactly; then Y → safetensors (in `backType`, if given) is checked by `back`.
  static func check(_ source: String, backType: String?, back: (String) throws -> Void) throws {
    let root = try temporaryFolder("round-trip")
    defer { try? FileManager.default.removeItem(atPath: root) }
    for first in Layout.all {
      let firstFolder = root + "/" + first.name
      try FileManager.default.createDirectory(atPath: firstFolder, withIntermediateDirectories: true)
      let x = try first.write(source, in: firstFolder)
      #expect(try identical(source, x), "source → \(first)")
      for second in Layout.all where second.name != first.name {
        let secondFolder = firstFolder + "/" + second.name
        try FileManager.default.createDirectory(atPath: secondFolder, withIntermediateDirectories: true)
        let y = try second.write(x, in: secondFolder)
        #expect(try identical(source, y), "source → \(first) → \(second)")
        let home = try Layout.all[1].write(y, in: secondFolder + "/back", extra: backType.map { ["--type", $0] } ?? [])
        #expect(try identical(source, home), "source → \(first) → \(second) → safetensors")
        try back(home)
      }
    }
  }
}

@Suite("llamakit convert round trips", .serialized)
struct ConvertRoundTripTests {
  static let m0 = CLI.fixtures + "/models/m0"

  @Test("M0 (f32) through every pair of layouts and back: identical tensors, and the final model.safetensors is transformers' file byte for byte")
  func m0RoundTrips() throws {
    let original = try Data(contentsOf: URL(fileURLWithPath: Self.m0 + "/hf/model.safetensors"))
    try RoundTrip.check(Self.m0 + "/hf", backType: nil) { home throws in
      let written = try Data(contentsOf: URL(fileURLWithPath: home + "/model.safetensors"))
      let sameBytes = written == original  // a Bool: a failing #expect on Data would diff megabytes
      #expect(sameBytes, "\(home)")
    }
  }

  @Test("a Meta 2-shard bf16 checkpoint written by LlamaKit holds the fixture's shards: each of our shards completes the fixture's other one")
  func metaShards() throws {
    let folder = try RoundTrip.temporaryFolder("meta")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let fixture = Self.m0 + "/meta-bf16-2shards"
    let ours = folder + "/meta"
    let result = try CLI.run(["convert", Self.m0 + "/pytorch-bf16-sharded", ours, "--to", "meta", "--shards", "2"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try RoundTrip.identical(ours, fixture))
    let params = try JSON.parse(contentsOf: ours + "/params.json")
    let expected = try JSON.parse(contentsOf: fixture + "/params.json")
    for key in ["dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "multiple_of"] {
      #expect(params[key]?.intValue == expected[key]?.intValue, "\(key)")
    }
    // Mixed folders: our shard r with the fixture's other shard merge to the fixture's model
    // only if our shard r equals the fixture's shard r.
    for rank in 0..<2 {
      let mixed = folder + "/mixed\(rank)"
      try FileManager.default.createDirectory(atPath: mixed, withIntermediateDirectories: true)
      for name in ["params.json", "tokenizer.model", "consolidated.0\(1 - rank).pth"] {
        try FileManager.default.copyItem(atPath: fixture + "/" + name, toPath: mixed + "/" + name)
      }
      try FileManager.default.copyItem(atPath: ours + "/consolidated.0\(rank).pth", toPath: mixed + "/consolidated.0\(rank).pth")
      #expect(try RoundTrip.identical(mixed, fixture), "shard \(rank)")
    }
  }

  @Test("llama2.c version 2 holds int8 groups of 64 as export.py quantizes them; tokenizer.bin encodes as the original")
  func llama2cQuantized() throws {
    let folder = try RoundTrip.temporaryFolder("llama2c")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let out = folder + "/model.bin"
    let result = try CLI.run(["convert", Self.m0 + "/hf", out, "--type", "q8_0"])
    #expect(result.status == 0, "\(result.stderr)")
    let inspect = try CLI.run(["inspect", out, "--json"])
    #expect(inspect.stdout.contains("llama2.c version 2"), "\(inspect.stdout.prefix(400))")
    let diff = try CLI.run(["diff", Self.m0 + "/hf", out, "--json"])
    let report = try JSON.parse(diff.stdout, source: "stdout")
    let tensors = try #require(report["tensors"]?.arrayValue)
    #expect(tensors.count == 21)
    for tensor in tensors {
      let name = tensor["name"]?.stringValue ?? ""
      let error = tensor["max_abs_error"]?.doubleValue ?? 1
      // Norms stay f32; a matrix value is off by at most half a step, max|w|/254.
      #expect(name.hasSuffix("norm.weight") ? error == 0 : error > 0 && error < 0.002, "\(name): \(error)")
      #expect((tensor["cosine"]?.doubleValue ?? 0) > 0.9999, "\(name)")
    }
    let text = "The capital of France is 1234 Paris.  Hello\n world"
    let original = try CLI.run(["tokenize", Self.m0 + "/hf/tokenizer.model", text, "--ids"])
    let written = try CLI.run(["tokenize", folder + "/tokenizer.bin", text, "--ids"])
    #expect(written.status == 0 && written.stdout == original.stdout)
  }
}

@Suite(
  "llamakit convert round trips of the reference data's M1", .serialized,
  .enabled(if: ConvertReferenceData.models != nil, "LLAMAKIT_REFERENCE_DATA is not set: the M1 round trips are skipped"))
struct ConvertRoundTripReferenceTests {
  @Test("M1 (f16, 2 shards) through every pair of layouts and back to f16 safetensors: identical tensors")
  func m1RoundTrips() throws {
    let models = try #require(ConvertReferenceData.models)
    try RoundTrip.check(models + "/m1/hf", backType: "f16") { _ in }
  }

  @Test("a Meta 2-shard M1 written by LlamaKit equals the reference's Meta checkpoint, shard by shard")
  func m1Meta() throws {
    let models = try #require(ConvertReferenceData.models)
    let folder = try RoundTrip.temporaryFolder("m1-meta")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let fixture = models + "/m1/meta"
    let ours = folder + "/meta"
    let result = try CLI.run(["convert", models + "/m1/hf", ours, "--to", "meta", "--shards", "2"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try RoundTrip.identical(ours, fixture))
    for rank in 0..<2 {
      let mixed = folder + "/mixed\(rank)"
      try FileManager.default.createDirectory(atPath: mixed, withIntermediateDirectories: true)
      try FileManager.default.copyItem(atPath: fixture + "/params.json", toPath: mixed + "/params.json")
      try FileManager.default.copyItem(atPath: fixture + "/consolidated.0\(1 - rank).pth", toPath: mixed + "/consolidated.0\(1 - rank).pth")
      try FileManager.default.copyItem(atPath: ours + "/consolidated.0\(rank).pth", toPath: mixed + "/consolidated.0\(rank).pth")
      #expect(try RoundTrip.identical(mixed, fixture), "shard \(rank)")
    }
  }
}
