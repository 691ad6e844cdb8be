import ArgumentParser
import LlamaEval
import LlamaIO
import LlamaInference
import LlamaKit
import LlamaTokenizer

#if canImport(Glibc)
  import Glibc
#endif

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

      --method rolling is lm-eval's loglikelihood_rolling: each document scored from its first \
      token in disjoint windows of --ctx predictions (default: the model's trained context, as \
      lm-eval's max_length), the first window starting with BOS; it reports lm-eval's word \
      perplexity, byte perplexity and bits per byte, and the token perplexity. The file is one \
      document, or with --documents wikitext the articles of a WikiText wiki.*.raw file, each \
      detokenized as lm-eval's wikitext task does (its numbers).

      Examples:
        llamakit perplexity llama-2-7b.Q4_K_M.gguf --file wiki.test.raw
        llamakit perplexity llama-2-7b.Q4_K_M.gguf --file wiki.test.raw --method rolling --documents wikitext
        llamakit perplexity models/llama-2-7b-hf --file wiki.test.raw --ctx 512 --chunks 100 --json
        llamakit perplexity llama-2-7b.Q4_K_M.gguf -f wiki.test.raw --report ppl.html
        llamakit perplexity llama-2-7b.F16.gguf -f wiki.test.raw --kl-divergence-base f16.kld
        llamakit perplexity llama-2-7b.Q4_K_M.gguf --kl-divergence-base f16.kld --kl-divergence --report kld.html
      """)

  @OptionGroup var options: ModelOptions

  @Option(name: [.customShort("f"), .long], help: "The text file to score (not needed with --kl-divergence: the base file holds the tokens).")
  var file: String?

  @Option(name: [.customShort("c"), .customLong("ctx"), .customLong("ctx-size")], help: "Tokens per chunk (llama-perplexity's -c; default 512), or the rolling window (default: the model's context).")
  var context: Int?

  @Option(help: "Chunks to evaluate at most (default: every whole chunk).")
  var chunks: Int?

  @Option(help: "chunked (llama.cpp) or rolling (lm-eval).", completion: .list(["chunked", "rolling"]))
  var method = "chunked"

  @Option(help: "For rolling: file (the whole file is one document) or wikitext (its articles, as lm-eval's wikitext task).", completion: .list(["file", "wikitext"]))
  var documents = "file"

  @Flag(help: "Print one JSON object instead of the running estimate.")
  var json = false

  @Option(help: ArgumentHelp("Save the model's log-probabilities (and tokens) to FILE, or with --kl-divergence compare against FILE (llama-perplexity's format).", valueName: "file"))
  var klDivergenceBase: String?

  @Flag(help: "Compare this model with --kl-divergence-base FILE: KL divergence, top-1 agreement, Δp, perplexity ratio.")
  var klDivergence = false

  @Option(help: ArgumentHelp("Also write a self-contained HTML report (metrics, running perplexity per chunk, KL distribution) to FILE.", valueName: "file"))
  var report: String?

  @OptionGroup var progressOptions: ProgressOptions

  func validate() throws {
    guard method == "chunked" || method == "rolling" else { throw ValidationError("--method \(method): expected chunked or rolling") }
    guard documents == "file" || documents == "wikitext" else { throw ValidationError("--documents \(documents): expected file or wikitext") }
    if documents != "file" && method != "rolling" { throw ValidationError("--documents applies to --method rolling") }
    if let context, context < 4 { throw ValidationError("--ctx must be at least 4, not \(context)") }
    if let chunks, chunks < 1 { throw ValidationError("--chunks must be positive, not \(chunks)") }
    if chunks != nil && method == "rolling" { throw ValidationError("--chunks applies to --method chunked") }
    if klDivergence && klDivergenceBase == nil { throw ValidationError("--kl-divergence needs --kl-divergence-base FILE") }
    if klDivergenceBase != nil && method != "chunked" { throw ValidationError("--kl-divergence-base applies to --method chunked") }
    if file == nil && !klDivergence { throw ValidationError("give the text to score with --file") }
  }

  func run() throws {
    if klDivergence { return try compareWithBase() }
    let file = self.file!
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
    if method == "rolling" {
      try rolling(text: text, tokenizer: tokenizer, model: model, bos: bos)
      return
    }
    let context = self.context ?? 512
    let tokens = (bos.map { [$0] } ?? []) + tokenizer.encode(text).map(Int.init)
    if let trained = model.config.contextLength, context > trained {
      StandardError.write("llamakit: warning: --ctx \(context) is longer than the \(trained) tokens \(options.model) was trained on\n")
    }
    let perplexity = try ChunkedPerplexity(tokenCount: tokens.count, contextLength: context, chunks: chunks, bos: bos)
    let session = try InferenceSession(model: model, contextLength: context, batchSize: min(context, 512), threads: options.threads)
    let progress = progressOptions.progress("perplexity")
    let streams = !json && !progress.isDrawing
    let base = try klDivergenceBase.map {
      try KLDivergence.BaseWriter(
        path: $0,
        header: .init(
          contextLength: context, vocabularySize: model.config.vocabSize, chunks: perplexity.chunkCount,
          tokens: Array(tokens.prefix(perplexity.chunkCount * context))))
    }
    let observe: ((UnsafeBufferPointer<Float>, Int) throws -> Void)? = base.map { writer in { row, _ in try writer.append(row) } }
    let result = try perplexity.run(session, tokens: tokens, row: observe) { result in
      progress.detail("chunk \(result.chunks)/\(perplexity.chunkCount): running PPL \(Self.fixed(result.running.last!, 4))")
      progress.update(result.chunks, of: perplexity.chunkCount, unit: "chunks")
      if streams {
        StandardOutput.write(Self.estimate(result.chunks, result.running.last!))
        StandardOutput.flush()
      }
    }
    progress.finish()
    try base?.finish()
    let object: [(String, JSON)] = [
      ("method", .string(method)), ("model", .string(options.model)), ("file", .string(file)),
      ("n_ctx", .number(context)),
      ("chunks", .number(result.chunks)),
      ("tokens", .number(tokens.count)),
      ("scored_tokens", .number(result.scoredTokens)),
      ("nll_sum", .number(result.nllSum)),
      ("ppl", .number(result.perplexity)),
      ("ppl_stderr", .number(result.standardError)),
      ("running_ppl", .array(result.running.map { .number($0) })),
    ]
    try writeReport(object)
    if json {
      StandardOutput.write(JSON.object(JSONObject(object)).serialized(pretty: true) + "\n")
    } else {
      if !streams { StandardOutput.write(result.running.enumerated().map { Self.estimate($0.offset + 1, $0.element) }.joined()) }
      StandardOutput.write("\nFinal estimate: PPL = \(Self.fixed(result.perplexity, 4)) +/- \(Self.fixed(result.standardError, 5))\n")
    }
    StandardOutput.flush()
  }

  /// --kl-divergence: this model over the base file's chunks, compared with the base's
  /// log-probabilities, reported as llama-perplexity reports them.
  func compareWithBase() throws {
    let base = try KLDivergence.Base(path: klDivergenceBase!)
    let model = try options.loadModel()
    let tokenizer = try options.loadTokenizer()
    let bosID = Int(tokenizer.vocabulary.trainer.bosID)
    let n = base.header.contextLength
    let session = try InferenceSession(model: model, contextLength: n, batchSize: min(n, 512), threads: options.threads)
    let progress = progressOptions.progress("kl-divergence")
    let (c, result) = try KLDivergence.compare(session, base: base, bos: bosID >= 0 ? bosID : nil) {
      progress.detail("chunk \($0)/\($1)")
      progress.update($0, of: $1, unit: "chunks")
    }
    progress.finish()
    let sorted = c.kld.sorted()
    let ratio = c.logRatio
    let percentiles: [(String, Double)] = [("99.9%", 0.999), ("99.0%", 0.99), ("95.0%", 0.95), ("90.0%", 0.90), ("Median", 0.5), ("10.0%", 0.10), ("5.0%", 0.05), ("1.0%", 0.01), ("0.1%", 0.001)]
    let meanDp = c.probabilityDifferences.reduce(0, +) / Double(c.count)
    let object: [(String, JSON)] = [
      ("method", .string("kl-divergence")), ("model", .string(options.model)), ("base", .string(klDivergenceBase!)), ("n_ctx", .number(n)), ("chunks", .number(result.chunks)), ("scored_tokens", .number(c.count)),
      ("ppl", .number(c.perplexity)), ("ppl_base", .number(c.basePerplexity)), ("ppl_stderr", .number(result.standardError)),
      ("ln_ppl_ratio", .number(ratio.value)), ("ln_ppl_ratio_stderr", .number(ratio.error)), ("ppl_ratio", .number(exp(ratio.value))),
      ("mean_kld", .number(c.meanKLD)), ("mean_kld_stderr", .number(c.kldError)), ("max_kld", .number(sorted.last ?? .nan)),
      ("kld_percentiles", .object(JSONObject(percentiles.map { ($0.0, JSON.number(KLDivergence.Comparison.percentile(sorted, $0.1))) }))),
      ("same_top", .number(c.sameTopFraction)), ("same_top_stderr", .number(c.sameTopError)),
      ("mean_delta_p", .number(meanDp)), ("rms_delta_p", .number(c.rmsProbabilityDifference)),
      ("running_ppl", .array(result.running.map { .number($0) })),
      ("same_top_per_chunk", .array(c.sameTopFractions(per: result.chunks > 0 ? c.count / result.chunks : 0).map { .number($0) })),
      ("kld", .array(c.kld.map { .number($0) })),
    ]
    try writeReport(object)
    if json {
      StandardOutput.write(JSON.object(JSONObject(object)).serialized(pretty: true) + "\n")
    } else {
      var lines = [
        "====== Perplexity statistics ======",
        "Mean PPL(Q)                   : \(Self.fixed(c.perplexity, 6)) ± \(Self.fixed(result.standardError, 6))",
        "Mean PPL(base)                : \(Self.fixed(c.basePerplexity, 6))",
        "Mean ln(PPL(Q)/PPL(base))     : \(Self.fixed(ratio.value, 6)) ± \(Self.fixed(ratio.error, 6))",
        "Mean PPL(Q)/PPL(base)         : \(Self.fixed(exp(ratio.value), 6)) ± \(Self.fixed(exp(ratio.value) * ratio.error, 6))",
        "",
        "====== KL divergence statistics ======",
        "Mean    KLD: \(Self.fixed(c.meanKLD, 6)) ± \(Self.fixed(c.kldError, 6))",
        "Maximum KLD: \(Self.fixed(sorted.last ?? .nan, 6))",
      ]
      lines += percentiles.map { "\($0.0.padding(7))KLD: \(Self.fixed(KLDivergence.Comparison.percentile(sorted, $0.1), 6))" }
      lines += [
        "Minimum KLD: \(Self.fixed(sorted.first ?? .nan, 6))",
        "",
        "====== Token probability statistics ======",
        "Mean    Δp: \(Self.fixed(100 * meanDp, 3)) %",
        "RMS Δp    : \(Self.fixed(100 * c.rmsProbabilityDifference, 3)) %",
        "Same top p: \(Self.fixed(100 * c.sameTopFraction, 3)) ± \(Self.fixed(100 * c.sameTopError, 3)) %",
      ]
      StandardOutput.write(lines.joined(separator: "\n") + "\n")
    }
    StandardOutput.flush()
  }

  /// lm-eval's rolling log-likelihood over the documents: word and byte perplexity, bits per
  /// byte (on the original text), and token perplexity with llama-perplexity's ±.
  func rolling(text: String, tokenizer: any Tokenizer, model: LlamaModel, bos: Int?) throws {
    let maxLength = context ?? model.config.contextLength ?? 2048
    let pages = documents == "wikitext" ? Wikitext.articles(text) : [text]
    let rolling = RollingLoglikelihood(maxLength: maxLength, prefix: bos ?? Int(tokenizer.vocabulary.trainer.eosID))
    let session = try InferenceSession(model: model, contextLength: maxLength, batchSize: min(maxLength, 512), threads: options.threads)
    let progress = progressOptions.progress("perplexity")
    var metrics = Wikitext.Metrics()
    var total = RollingLoglikelihood.Score()
    var documentPerplexity: [Double] = []
    for (index, page) in pages.enumerated() {
      let scored = documents == "wikitext" ? Wikitext.detokenize(page) : page
      // As lm-eval encodes it: with the tokenizer's BOS in front (which the first window then
      // predicts after the BOS prefix).
      let tokens = (bos.map { [$0] } ?? []) + tokenizer.encode(scored).map(Int.init)
      let score = try rolling.score(tokens, model: session)
      total.add(score)
      metrics.add(logLikelihood: score.logLikelihood, page: page)
      documentPerplexity.append(exp(-score.logLikelihood / Double(max(score.tokens, 1))))
      progress.detail("document \(index + 1)/\(pages.count): \(tokens.count) tokens, \(score.windows) windows, log-likelihood \(score.logLikelihood)")
      progress.update(index + 1, of: pages.count, unit: "documents")
    }
    progress.finish()
    let meanNLL = -total.logLikelihood / Double(total.tokens)
    let ppl = exp(meanNLL)
    let variance = total.nllSquaredSum / Double(total.tokens) - meanNLL * meanNLL
    let stderr = total.tokens > 1 && variance > 0 ? ppl * (variance / Double(total.tokens - 1)).squareRoot() : .nan
    let object: [(String, JSON)] = [
      ("method", .string(method)), ("model", .string(options.model)), ("file", .string(file!)),
      ("n_ctx", .number(maxLength)),
      ("documents", .number(pages.count)),
      ("chunks", .number(total.windows)),
      ("scored_tokens", .number(total.tokens)),
      ("log_likelihood", .number(total.logLikelihood)),
      ("words", .number(metrics.words)),
      ("bytes", .number(metrics.bytes)),
      ("word_perplexity", .number(metrics.wordPerplexity)),
      ("byte_perplexity", .number(metrics.bytePerplexity)),
      ("bits_per_byte", .number(metrics.bitsPerByte)),
      ("ppl", .number(ppl)),
      ("ppl_stderr", .number(stderr)),
      ("document_ppl", .array(documentPerplexity.map { .number($0) })),
    ]
    try writeReport(object)
    if json {
      StandardOutput.write(JSON.object(JSONObject(object)).serialized(pretty: true) + "\n")
    } else {
      StandardOutput.write("""
        \(pages.count) document\(pages.count == 1 ? "" : "s"), \(total.tokens) tokens in \(total.windows) windows of at most \(maxLength)
        word_perplexity: \(Self.fixed(metrics.wordPerplexity, 4))
        byte_perplexity: \(Self.fixed(metrics.bytePerplexity, 4))
        bits_per_byte: \(Self.fixed(metrics.bitsPerByte, 4))
        token perplexity: \(Self.fixed(ppl, 4)) +/- \(Self.fixed(stderr, 5))

        """)
    }
    StandardOutput.flush()
  }

  /// --report: the run's JSON object drawn as an HTML page.
  func writeReport(_ object: [(String, JSON)]) throws {
    guard let report else { return }
    try HTMLReport.write(.object(JSONObject(object)), label: ReportCommand.label(model: options.model), title: "llamakit perplexity: \(options.model)", to: report)
  }

  /// llama-perplexity's running estimate after chunk `k`: "[k]value,".
  static func estimate(_ k: Int, _ value: Double) -> String { "[\(k)]\(fixed(value, 4))," }

  /// `value` with `digits` decimals, as printf's %.Nf.
  static func fixed(_ value: Double, _ digits: Int) -> String { DecimalText.fixed(value, digits) }
}

