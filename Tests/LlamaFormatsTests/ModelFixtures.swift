import Foundation
import GGUF
import LlamaCore
import LlamaFormats
import LlamaIO
import LlamaKit
import Testing

/// Model fixtures (Tests/Fixtures/models, made by tools/make_model_fixtures.py) and the
/// optional full reference data (LLAMAKIT_REFERENCE_DATA, the project's shared data folder).
enum ModelFixtures {
  static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/models").path
  static let m0 = root + "/m0"

  /// The reference models folder (`…/data/models`) when LLAMAKIT_REFERENCE_DATA is set.
  static let referenceModels: String? = {
    guard let data = ProcessInfo.processInfo.environment["LLAMAKIT_REFERENCE_DATA"], !data.isEmpty else { return nil }
    return data + "/models"
  }()

  /// Shown when a reference test is skipped.
  static let skipNote = "LLAMAKIT_REFERENCE_DATA is not set: the full-reference checks are skipped"

  /// gguf-py's dequantization hashes for every reference GGUF file (path relative to models/).
  static let referenceHashes: [String: [(name: String, type: String, hash: String)]] = {
    guard let json = try? JSON.parse(contentsOf: root + "/reference-dequant.json"),
      let files = json["files"]?.objectValue
    else { return [:] }
    var result: [String: [(String, String, String)]] = [:]
    for entry in files.entries {
      result[entry.key] = (entry.value.arrayValue ?? []).compactMap { item in
        guard let name = item["name"]?.stringValue, let type = item["type"]?.stringValue,
          let hash = item["fnv1a64"]?.stringValue
        else { return nil }
        return (name, type, hash)
      }
    }
    return result
  }()

  /// FNV-1a 64 over little-endian float32 values, as the fixture script computes it.
  static func fnv1a64(_ values: [Float]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for value in values {
      var bits = value.bitPattern.littleEndian
      for _ in 0..<4 {
        h = (h ^ UInt64(bits & 0xFF)) &* 0x100_0000_01B3
        bits >>= 8
      }
    }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }

  /// The M0 Hugging Face weights as canonical f32 tensors (the reference every format is
  /// compared with).
  static func hfTensors(_ folder: String) throws -> [String: [Float]] {
    let reader = try ModelFiles.open(folder)
    var result: [String: [Float]] = [:]
    for info in reader.tensors { result[info.name] = try reader.tensor(info.name).floats() }
    return result
  }

  nonisolated(unsafe) static var cachedM0: [String: [Float]]?
  static func m0Reference() throws -> [String: [Float]] {
    if let cachedM0 { return cachedM0 }
    let tensors = try hfTensors(m0 + "/hf")
    cachedM0 = tensors
    return tensors
  }
}

/// A reference value rounded to the type a checkpoint stores it in (F16 and BF16 round to
/// nearest even; F32 keeps it).
func rounded(_ value: Float, to type: DType) -> Float {
  switch type {
  case .f16: return FloatConversion.float(fromHalf: FloatConversion.half(value))
  case .bf16: return FloatConversion.float(fromBFloat16: FloatConversion.bfloat16(value))
  default: return value
  }
}

/// Checks that every tensor of `reader` equals the reference tensor rounded to the tensor's
/// stored type (bit for bit); returns a failure description per differing tensor.
func compareWithReference(_ reader: any CheckpointReader, _ reference: [String: [Float]]) throws -> [String] {
  var failures: [String] = []
  let names = Set(reader.tensors.map(\.name))
  if names != Set(reference.keys) {
    failures.append("tensor names differ: only here \(names.subtracting(reference.keys).sorted()), missing \(Set(reference.keys).subtracting(names).sorted())")
  }
  for info in reader.tensors {
    guard let expected = reference[info.name] else { continue }
    let values = try reader.tensor(info.name).floats()
    guard values.count == expected.count else {
      failures.append("\(info.name): \(values.count) values, expected \(expected.count)")
      continue
    }
    for i in 0..<values.count where values[i].bitPattern != rounded(expected[i], to: info.dtype).bitPattern {
      failures.append("\(info.name)[\(i)] = \(values[i]), expected \(rounded(expected[i], to: info.dtype))")
      break
    }
  }
  return failures
}
