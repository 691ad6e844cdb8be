import Foundation
import Testing

/// The AVX-512 kernels live in one module compiled for x86-64-v4; everything else must run on
/// x86-64-v3 (Zen 3 has no AVX-512). A generic function specialized in both modules could be
/// merged by the linker into its AVX-512 copy, so this checks the linked binary: every function
/// that uses an AVX-512 register or instruction belongs to LlamaKernelsAVX512.
@Suite("instruction sets in the binary")
struct InstructionSetTests {
  static let objdump = ["/usr/bin/objdump", "/bin/objdump"].first { FileManager.default.isExecutableFile(atPath: $0) }

  @Test("AVX-512 instructions appear only in LlamaKernelsAVX512", .enabled(if: objdump != nil, "objdump (binutils) is not installed"))
  func avx512Confined() throws {
    // grep keeps the function headers and the AVX-512 lines (the whole listing is large).
    let pattern = #"%zmm|%[xy]mm(1[6-9]|2[0-9]|3[01])\b|%k[0-7]\b|\{%k|(32x4|64x2|32x8|64x4)\b|vpternlog|vperm[it]2|vpmov[dqw][bdw]|vprol|vpror|>:$"#
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "\"$0\" -d --no-show-raw-insn \"$1\" | grep -E \"$2\"", Self.objdump!, CLI.binary, pattern]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    var function = "", offenders: Set<String> = [], avx512Functions = 0
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
      if line.hasSuffix(">:"), let open = line.firstIndex(of: "<") {
        function = String(line[line.index(after: open)..<line.index(line.endIndex, offsetBy: -2)])
        continue
      }
      if function.contains("18LlamaKernelsAVX512") { avx512Functions += 1 } else { offenders.insert(function) }
    }
    #expect(offenders.isEmpty, "AVX-512 code outside LlamaKernelsAVX512: \(offenders.sorted().prefix(10))")
    #expect(avx512Functions > 0, "no AVX-512 kernels found in \(CLI.binary)")
  }
}
