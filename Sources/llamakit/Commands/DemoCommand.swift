import ArgumentParser
import LlamaIO

#if canImport(Glibc)
  import Glibc
#endif

struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Run every job once on the bundled small model, saying what each does.",
    discussion: """
      Uses M0, a 1.8M-parameter LLaMA trained for this project (its text is poor, its numbers \
      exact), with slices of the public benchmark files and of WikiText-2. It tokenizes a \
      sentence, inspects the checkpoint, converts it to a Q4_K_M GGUF and compares the two, \
      measures perplexity llama.cpp's way, runs a short lm-eval-style evaluation with an HTML \
      report, and generates a few tokens; each step prints the command that does it alone. \
      The data are found in --data, else $LLAMAKIT_DEMO_DATA, else where `make install` put \
      them (PREFIX/share/llamakit/demo beside PREFIX/bin), else in the source tree the binary \
      was built in (Tests/Fixtures).

      Examples:
        llamakit demo
        llamakit demo --output demo-run      # keep the converted model and report.html
      """)

  @Option(help: ArgumentHelp("The demo data folder (models/m0/hf, benchmarks, corpora).", valueName: "dir"))
  var data: String?

  @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Keep the outputs (converted model, report) in this folder (default: a temporary folder, removed).", valueName: "dir"))
  var output: String?

  func run() throws {
    let root = try data ?? Self.findData()
    let model = root + "/models/m0/hf"
    for needed in [model + "/model.safetensors", root + "/benchmarks", root + "/corpora/wiki.test.raw.head"] where !fileExists(atPath: needed) {
      throw IOError.cannotOpen(path: needed, reason: "no such file (a demo data folder holds models/m0/hf, benchmarks and corpora)")
    }
    let folder: String
    if let output {
      try createDirectories(output)
      folder = output
    } else {
      var template = Array("/tmp/llamakit-demo-XXXXXX".utf8CString)
      guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw IOError.cannotWrite(path: "/tmp/llamakit-demo-XXXXXX", reason: String(cString: strerror(errno)))
      }
      folder = String(cString: made)
    }
    defer { if output == nil { Self.removeFlat(folder) } }
    let quantized = folder + "/m0.Q4_K_M.gguf"
    let steps: [(String, String, [String])] = [
      ("Tokenizer", "Text to SentencePiece pieces, exactly as Google's sentencepiece splits it (digits split, bytes for characters outside the vocabulary).",
       ["tokenize", model, "LlamaKit tokenizes text exactly as sentencepiece does: 2024 ☕ naïve café.", "--pieces"]),
      ("Inspect", "What a checkpoint holds, read without loading it: format, hyperparameters, tensor types, tokenizer.",
       ["inspect", model]),
      ("Convert", "The Hugging Face safetensors checkpoint to a GGUF file quantized as llama-quantize's Q4_K_M (its bytes), written under a temporary name and renamed when complete.",
       ["convert", model, quantized, "--type", "q4_k_m", "--force"]),
      ("Compare", "Every tensor of the two checkpoints side by side: the error quantization introduced.",
       ["diff", model, quantized]),
      ("Perplexity", "llama-perplexity's method on the head of WikiText-2's test file: chunks of 128 tokens, the second half of each scored; [k] is the running estimate.",
       ["perplexity", quantized, "-f", root + "/corpora/wiki.test.raw.head", "-c", "128", "--chunks", "12"]),
      ("Evaluate", "lm-evaluation-harness's arc_easy and winogrande prompts and metrics on the first 40 questions of each, with lm-eval's result table and an HTML report.",
       ["eval", model, "--tasks", "arc_easy,winogrande", "--data", root + "/benchmarks", "--limit", "40", "--report", folder + "/report.html"]),
      ("Generate", "Greedy continuation of a prompt with the quantized model and a KV cache (M0 was trained for minutes: expect poor text).",
       ["generate", quantized, "--prompt", "Once upon a time", "-n", "32", "--temp", "0"]),
    ]
    for (number, step) in steps.enumerated() {
      let (title, what, arguments) = step
      let shown = arguments.map { Self.shellQuoted(Self.relative($0)) }.joined(separator: " ")
      StandardOutput.write("\(number > 0 ? "\n" : "")== \(number + 1)/\(steps.count) \(title): \(what)\n$ llamakit \(shown)\n\n")
      StandardOutput.flush()
      var command = try LlamaKitCommand.parseAsRoot(arguments)
      try command.run()
      StandardOutput.flush()
    }
    StandardOutput.write("\nDone. " + (output == nil
      ? "Run `llamakit demo --output DIR` to keep the converted model and report.html.\n"
      : "The converted model and report.html are in \(folder).\n"))
    StandardOutput.flush()
  }

  /// `path` relative to the working folder when it is inside it (shorter lines to read).
  static func relative(_ path: String) -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buffer, buffer.count) != nil else { return path }
    let folder = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/"
    return path.hasPrefix(folder) && path.count > folder.count ? String(path.dropFirst(folder.count)) : path
  }

  static func shellQuoted(_ argument: String) -> String {
    let plain = argument.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || "0123456789-_./,=:+".unicodeScalars.contains($0) }
    return plain && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// The demo data: installed beside the binary, or the source tree's fixtures.
  static func findData() throws -> String {
    if let path = getenv("LLAMAKIT_DEMO_DATA").map({ String(cString: $0) }), !path.isEmpty { return path }
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    var tried: [String] = []
    if n > 0 {
      let executable = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      var folder = Self.parent(executable)
      tried.append(Self.parent(folder) + "/share/llamakit/demo")
      if fileExists(atPath: tried[0] + "/models/m0/hf") { return tried[0] }
      // A build folder inside the source tree (.build/release/llamakit).
      while !folder.isEmpty {
        let fixtures = folder + "/Tests/Fixtures"
        if fileExists(atPath: fixtures + "/models/m0/hf") { return fixtures }
        folder = Self.parent(folder)
      }
      tried.append("Tests/Fixtures above the binary")
    }
    throw ValidationError("no demo data found (looked in \(tried.joined(separator: ", "))): give --data DIR or set LLAMAKIT_DEMO_DATA")
  }

  /// `path` without its last component ("" for a top-level one).
  static func parent(_ path: String) -> String {
    String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
  }

  /// Removes the files in `folder`, then the folder (the demo writes no subfolders).
  static func removeFlat(_ folder: String) {
    for name in (try? listDirectory(folder)) ?? [] { unlink(folder + "/" + name) }
    rmdir(folder)
  }
}
