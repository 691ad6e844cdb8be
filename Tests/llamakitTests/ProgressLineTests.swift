import Foundation
import Testing

/// The progress line of the long commands: drawn when stderr is a terminal (here the
/// pseudo-terminal of util-linux's `script`), never into a pipe, and not with --quiet.
@Suite("progress line")
struct ProgressLineTests {
  static let m0 = CLI.fixtures + "/models/m0"

  /// (label on the line, arguments; "OUT" is replaced by a file in a fresh folder).
  static let commands: [(String, [String])] = [
    ("convert", ["convert", m0 + "/hf", "OUT/m0.gguf", "--type", "q8_0"]),
    ("perplexity", ["perplexity", m0 + "/gguf/m0.Q4_0.gguf", "-f", CLI.fixtures + "/corpora/wiki.test.raw.head", "-c", "128", "--chunks", "12"]),
    ("eval", ["eval", m0 + "/hf", "--tasks", "arc_easy", "--data", CLI.fixtures + "/benchmarks", "--limit", "20"]),
    ("bench", ["bench", m0 + "/gguf/m0.Q4_0.gguf", "-p", "32", "-n", "8", "-r", "2"]),
  ]

  static func quoted(_ argument: String) -> String { "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'" }

  /// Runs llamakit with its output on a pseudo-terminal; returns what the terminal received.
  static func onTerminal(_ arguments: [String]) throws -> CLI.Result {
    let command = ([CLI.binary] + arguments).map(quoted).joined(separator: " ")
    return try CLI.launch("/usr/bin/script", ["-qfec", command, "/dev/null"], stdin: nil)
  }

  @Test("a terminal gets one redrawn line with done/total, rate and ETA; a pipe and --quiet get none", arguments: 0..<4)
  func line(index: Int) throws {
    let (label, template) = Self.commands[index]
    let folder = try CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    func arguments(_ name: String, _ extra: [String] = []) throws -> [String] {
      try FileManager.default.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: true)
      return template.map { $0.replacingOccurrences(of: "OUT", with: folder + "/" + name) } + extra
    }

    let terminal = try Self.onTerminal(try arguments("tty"))
    #expect(terminal.status == 0, "\(terminal.stdout)")
    let redraws = terminal.stdout.components(separatedBy: "\r\u{1B}[K\(label): ").dropFirst()
    #expect(!redraws.isEmpty, "\(label): no progress line in \(terminal.stdout.debugDescription)")
    let last = redraws.last?.split(separator: "\r\n").first.map(String.init) ?? ""
    // The final state: everything done, a rate, and the remaining time.
    #expect(last.contains("ETA 0 s") && last.contains("/s"), "\(label): \(last)")
    let counts = last.split(separator: " ").first { $0.contains("/") && !$0.hasSuffix("/s") }?.split(separator: "/")
    #expect(counts?.count == 2 && counts?[0] == counts?[1], "\(label): \(last)")

    let piped = try CLI.run(try arguments("pipe"))
    #expect(piped.status == 0, "\(piped.stderr)")
    #expect(!piped.stderr.contains("ETA") && !piped.stderr.contains("\u{1B}") && !piped.stdout.contains("\u{1B}"), "\(label): \(piped.stderr)")

    let quiet = try Self.onTerminal(try arguments("quiet", ["--quiet"]))
    #expect(quiet.status == 0 && !quiet.stdout.contains("ETA") && !quiet.stdout.contains("\u{1B}[K"), "\(label): \(quiet.stdout)")
  }

  @Test("--verbose gives a line per step, on a pipe too; --quiet and --verbose together are refused")
  func verbose() throws {
    let folder = try CLI.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let convert = try CLI.run(["convert", Self.m0 + "/hf", folder + "/m0.gguf", "--type", "q8_0", "--verbose"])
    let lines = convert.stderr.split(separator: "\n")
    #expect(convert.status == 0 && lines.count == 21 && lines.first == "convert: 1/21 output.weight [512, 256] Q8_0 139264 bytes", "\(convert.stderr)")
    let bench = try CLI.run(["bench", Self.m0 + "/gguf/m0.Q4_0.gguf", "-p", "16", "-n", "4", "-r", "2", "-v"])
    #expect(bench.stderr.split(separator: "\n").filter { $0.hasPrefix("bench: ") }.count == 6, "\(bench.stderr)")
    let perplexity = try CLI.run(["perplexity", Self.m0 + "/hf", "-f", CLI.fixtures + "/corpora/wiki.test.raw.head", "-c", "128", "--chunks", "3", "-v"])
    #expect(perplexity.stderr.contains("perplexity: chunk 3/3: running PPL 46.4550"), "\(perplexity.stderr)")
    let both = try CLI.run(["bench", Self.m0 + "/gguf/m0.Q4_0.gguf", "-q", "-v"])
    #expect(both.status != 0 && both.stderr.contains("--quiet and --verbose cannot be combined"))
  }
}
