import Foundation
import LlamaIO
import Testing

/// Runs the built `llamakit` binary (the one `swift build` put beside the test bundle).
enum CLI {
  static let fixtures: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures").path
  static let tokenizers = fixtures + "/tokenizers"
  static let llama2 = tokenizers + "/llama2/tokenizer.model"

  static let binary: String = {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return executable.deletingLastPathComponent().appendingPathComponent("llamakit").path
  }()

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
    var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
  }

  /// Runs `script` with /bin/sh (for resource limits and signal dispositions around llamakit).
  static func runShell(_ script: String) throws -> Result {
    try launch("/bin/sh", ["-c", script], stdin: nil)
  }

  static func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
    guard FileManager.default.isExecutableFile(atPath: binary) else {
      throw CLIError(description: "\(binary) is missing: build it first (swift build, or make test)")
    }
    return try launch(binary, arguments, stdin: stdin)
  }

  static func launch(_ executable: String, _ arguments: [String], stdin: String?) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    let input = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = input
    try process.run()
    // Read both pipes concurrently so that a large output cannot block the child.
    nonisolated(unsafe) var errorData = Data()
    let reader = Thread { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while reader.isExecuting || !reader.isFinished { usleep(1000) }
    return Result(
      status: process.terminationStatus,
      stdout: String(decoding: outputData, as: UTF8.self),
      stderr: String(decoding: errorData, as: UTF8.self))
  }

  struct CLIError: Error, CustomStringConvertible { var description: String }

  /// A new empty folder, removed by the caller.
  static func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "llamakit-cli-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  static func json(_ text: String) throws -> JSON {
    try JSON.parse(text, source: "stdout")
  }
}

extension JSON {
  var ids: [Int64] { (arrayValue ?? []).compactMap(\.intValue) }
  var strings: [String] { (arrayValue ?? []).compactMap(\.stringValue) }
}
