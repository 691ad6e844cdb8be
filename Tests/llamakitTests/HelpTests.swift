import Foundation
import LlamaIO
import Testing

/// Every subcommand's --help has examples, and the examples use only options that command has
/// (read from the argument definitions through `--experimental-dump-help`).
@Suite("llamakit --help")
struct HelpTests {
  struct Command {
    var path: [String]
    var discussion: String
    /// "--name" and "-n" spellings of its options and flags.
    var options: Set<String>
  }

  static func commands() throws -> [Command] {
    let dump = try CLI.run(["--experimental-dump-help"])
    try #require(dump.status == 0, "\(dump.stderr)")
    let root = try #require(try CLI.json(dump.stdout)["command"])
    var result: [Command] = []
    func walk(_ command: JSON, _ path: [String]) {
      var options: Set<String> = []
      for argument in command["arguments"]?.arrayValue ?? [] {
        for name in argument["names"]?.arrayValue ?? [] {
          guard let text = name["name"]?.stringValue else { continue }
          options.insert((name["kind"]?.stringValue == "short" ? "-" : "--") + text)
        }
      }
      result.append(Command(path: path, discussion: command["discussion"]?.stringValue ?? "", options: options))
      for sub in command["subcommands"]?.arrayValue ?? [] where sub["commandName"]?.stringValue != "help" {
        walk(sub, path + [sub["commandName"]?.stringValue ?? "?"])
      }
    }
    walk(root, [])
    return result
  }

  @Test("every command's --help shows examples; every example names a real command and only its options")
  func examples() throws {
    let commands = try Self.commands()
    #expect(commands.count >= 16, "\(commands.map(\.path))")
    var checked = 0
    let byPath = Dictionary(commands.map { ($0.path.joined(separator: " "), $0) }, uniquingKeysWith: { a, _ in a })
    for command in commands {
      let help = try CLI.run(command.path + ["--help"])
      #expect(help.status == 0 && help.stdout.contains("Examples:"), "llamakit \(command.path.joined(separator: " ")) --help has no examples")
      let examples = command.discussion.components(separatedBy: "Examples:").last!.split(separator: "\n")
        .map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("llamakit ") }
      #expect(!examples.isEmpty, "\(command.path)")
      for example in examples {
        // Words before any comment; the longest known command path it starts with.
        let words = example.components(separatedBy: "   #").first!.split(separator: " ").map(String.init).dropFirst()
        var path: [String] = []
        while let next = words.dropFirst(path.count).first, byPath[(path + [next]).joined(separator: " ")] != nil { path.append(next) }
        // `llamakit eval MODEL …` is `eval run`, its default subcommand.
        if path == ["eval"] { path = ["eval", "run"] }
        let target = try #require(byPath[path.joined(separator: " ")], "\(example)")
        checked += 1
        #expect(!path.isEmpty, "\(example): no such command")
        for word in words.dropFirst(path.count) where word.hasPrefix("-") && word != "-" && Double(word) == nil {
          let name = String(word.split(separator: "=").first!)
          #expect(target.options.contains(name) || name == "--help", "\(example): \(name) is not an option of llamakit \(path.joined(separator: " "))")
        }
      }
    }
    #expect(checked >= 40, "only \(checked) examples found")
  }

  @Test("shell completion scripts come from the argument definitions: subcommands and option values")
  func completions() throws {
    let bash = try CLI.run(["--generate-completion-script", "bash"])
    #expect(bash.status == 0 && bash.stdout.contains("_llamakit()"))
    for name in ["demo", "convert", "perplexity", "eval", "report", "bench", "tokenize"] { #expect(bash.stdout.contains(name), "\(name)") }
    #expect(bash.stdout.contains("q4_k_m") && bash.stdout.contains("kl-divergence-base"))
    for shell in ["zsh", "fish"] {
      let script = try CLI.run(["--generate-completion-script", shell])
      #expect(script.status == 0 && script.stdout.contains("report") && script.stdout.contains("q4_k_m"), "\(shell)")
    }
  }
}
