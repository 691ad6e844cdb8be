import ArgumentParser
import LlamaEval
import LlamaIO
import LlamaInference
import LlamaKit
import LlamaTokenizer

struct PerplexityCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "perplexity",
    abstract: "Perplexity of a model on a text file, as llama-perplexity or lm-eval compute it.",
    discussion: """
      --method chunked (default) is llama.cpp's llama-perplexity: the whole file is tokenized once \
      with a BOS token, cut into chunks of --ctx tokens (the tail is dropped), each chunk evaluated \
      from an empty cache with its first token replaced by BOS, and only the second half of each \
      chunk scored. It prints the running estimate after every chunk ([1]…,[2]…) and \
      "Final estimate: PPL = … +/- …" with llama-perplexity's delta-method error.

      Examples:
        llamakit perplexity llama-2-7b.Q4_K_M.gguf --file wiki.test.raw
        llamakit perplexity models/llama-2-7b-hf --file wiki.test.raw --ctx 512 --chunks 100 --json
      """)

  @OptionGroup var options: ModelOptions

  @Option(name: [.customShort("f"), .long], help: "The text file to score.")
  var file: String

  @Option(name: [.customShort("c"), .customLong("ctx")], help: "Tokens per chunk (llama-perplexity's -c).")
  var context = 512

  @Option(help: "Chunks to evaluate at most (default: every whole chunk).")
  var chunks: Int?

  @Option(help: "chunked (llama.cpp).")
  var method = "chunked"

  @Flag(help: "Print one JSON object instead of the running estimate.")
  var json = false

  func validate() throws {
    guard method == "chunked" else { throw ValidationError("--method \(method): expected chunked") }
    guard context >= 4 else { throw ValidationError("--ctx must be at least 4, not \(context)") }
    if let chunks, chunks < 1 { throw ValidationError("--chunks must be positive, not \(chunks)") }
  }

  func run() throws {
    let tokenizer = try options.loadTokenizer()
    let model = try options.loadModel()
    let text = try MappedFile(path: file).withUnsafeBytes { bytes -> String in
      guard let text = String(validating: bytes, as: UTF8.self) else {
        throw IOError.cannotOpen(path: file, reason: "not UTF-8 text")
      }
      return text
    }
    let bosID = Int(tokenizer.vocabulary.trainer.bosID)
    let bos: Int? = bosID >= 0 ? bosID : nil
    let tokens = (bos.map { [$0] } ?? []) + tokenizer.encode(text).map(Int.init)
    if let trained = model.config.contextLength, context > trained {
      StandardError.write("llamakit: warning: --ctx \(context) is longer than the \(trained) tokens \(options.model) was trained on\n")
    }
    let perplexity = try ChunkedPerplexity(tokenCount: tokens.count, contextLength: context, chunks: chunks, bos: bos)
    let session = try InferenceSession(model: model, contextLength: context, batchSize: min(context, 512), threads: options.threads)
    let progress = Progress(label: "perplexity")
    let result = try perplexity.run(session, tokens: tokens) { result in
      if json {
        progress.update(result.chunks, of: perplexity.chunkCount, unit: "chunks")
      } else {
        StandardOutput.write("[\(result.chunks)]\(Self.fixed(result.running.last!, 4)),")
        StandardOutput.flush()
      }
    }
    progress.finish()
    if json {
      let object: [(String, JSON)] = [
        ("method", .string(method)),
        ("n_ctx", .number(context)),
        ("chunks", .number(result.chunks)),
        ("tokens", .number(tokens.count)),
        ("scored_tokens", .number(result.scoredTokens)),
        ("nll_sum", .number(result.nllSum)),
        ("ppl", .number(result.perplexity)),
        ("ppl_stderr", .number(result.standardError)),
        ("running_ppl", .array(result.running.map { .number($0) })),
      ]
      StandardOutput.write(JSON.object(JSONObject(object)).serialized(pretty: true) + "\n")
    } else {
      StandardOutput.write("\nFinal estimate: PPL = \(Self.fixed(result.perplexity, 4)) +/- \(Self.fixed(result.standardError, 5))\n")
    }
    StandardOutput.flush()
  }

  /// `value` with `digits` decimals, as printf's %.Nf.
  static func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(Int64(rounded))
    let fraction = Int64(((abs(rounded) - Double(Int64(abs(rounded)))) * scale).rounded())
    if rounded < 0 && Int64(rounded) == 0 { text = "-0" }
    let digitsText = String(fraction)
    return text + "." + String(repeating: "0", count: max(0, digits - digitsText.count)) + digitsText
  }
}
