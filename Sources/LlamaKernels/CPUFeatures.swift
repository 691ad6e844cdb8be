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
  public var avx512cd = false
  public var avx512dq = false
  public var avx512vl = false
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
      features.avx512cd = flags.contains("avx512cd")
      features.avx512dq = flags.contains("avx512dq")
      features.avx512vl = flags.contains("avx512vl")
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

  /// x86-64-v4 (AVX-512 F, BW, CD, DQ, VL) with VNNI: the AVX-512 kernels run.
  public var hasAVX512Kernels: Bool { avx512f && avx512bw && avx512cd && avx512dq && avx512vl && avx512vnni }

  /// The features the kernels use: the CPU's, unless the environment variable
  /// LLAMAKIT_KERNELS=avx2 keeps them to x86-64-v3 (to compare the two paths).
  public static let enabled: CPUFeatures = {
    var features = current
    if let value = getenv("LLAMAKIT_KERNELS"), String(cString: value).lowercased() == "avx2" {
      features.avx512f = false
      features.avx512vnni = false
    }
    return features
  }()

  /// Names of the instruction sets the kernels use on this CPU, for reports.
  public var used: [String] {
    hasAVX512Kernels ? ["AVX2", "FMA", "F16C", "AVX-512", "AVX512-VNNI"] : ["AVX2", "FMA", "F16C"]
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
