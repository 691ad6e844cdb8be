#if canImport(Glibc)
  import Glibc
#endif

/// What the CPU offers, read once with `cpuid`. The kernels are compiled for x86-64-v3 (AVX2,
/// FMA, F16C); `check()` turns an older CPU into a clear error instead of an illegal
/// instruction.
public struct CPUFeatures: Sendable, Equatable {
  public var avx2 = false
  public var fma = false
  public var f16c = false
  public var avx512f = false
  public var avx512bw = false
  public var avx512vnni = false
  public var avx512bf16 = false

  /// Read from the "flags" line of /proc/cpuinfo (Linux).
  public static let current: CPUFeatures = {
    var features = CPUFeatures()
    guard let file = fopen("/proc/cpuinfo", "r") else { return features }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 1 << 16)
    while fgets(&line, Int32(line.count), file) != nil {
      let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      guard text.hasPrefix("flags") else { continue }
      let flags = Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
      features.avx2 = flags.contains("avx2")
      features.fma = flags.contains("fma")
      features.f16c = flags.contains("f16c")
      features.avx512f = flags.contains("avx512f")
      features.avx512bw = flags.contains("avx512bw")
      features.avx512vnni = flags.contains("avx512_vnni")
      features.avx512bf16 = flags.contains("avx512_bf16")
      break
    }
    return features
  }()

  /// The features the kernels need that this CPU lacks.
  public var missing: [String] {
    [("AVX2", avx2), ("FMA", fma), ("F16C", f16c)].filter { !$0.1 }.map(\.0)
  }

  /// Names of the instruction sets the kernels use on this CPU, for reports.
  public var used: [String] {
    var names = ["AVX2", "FMA", "F16C"]
    if avx512vnni { names.append("AVX512-VNNI (not used yet)") }
    return names
  }

  /// Throws unless the CPU runs x86-64-v3 code.
  public static func check() throws -> CPUFeatures {
    let features = current
    guard features.missing.isEmpty else { throw KernelError.unsupportedCPU(missing: features.missing) }
    return features
  }
}

public enum KernelError: Error, Sendable, Equatable, CustomStringConvertible {
  case unsupportedCPU(missing: [String])
  case unsupportedType(String)

  public var description: String {
    switch self {
    case .unsupportedCPU(let missing):
      return "this CPU lacks \(missing.joined(separator: ", ")); LlamaKit's kernels need x86-64-v3 (AVX2, FMA, F16C)"
    case .unsupportedType(let type):
      return "weights of type \(type) are not supported by the inference kernels"
    }
  }
}
