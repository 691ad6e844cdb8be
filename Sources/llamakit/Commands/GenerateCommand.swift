import ArgumentParser
import LlamaCore
import LlamaIO
import LlamaInference
import LlamaTokenizer

struct GenerateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Continue a prompt with a model, streaming the text to stdout.",
    discussion: """
      The prompt is encoded with the model's tokenizer and a BOS token in front, as llama.cpp \
      and transformers do for LLaMA. Generation stops after -n tokens, at EOS, or when the \
      context is full. --temp 0 is greedy decoding; otherwise top-k, then top-p, then the \
      temperature are applied (llama.cpp's order) and a token is drawn with the seeded generator.

      Examples:
        llamakit generate model.gguf --prompt "Once upon a time" -n 64
        llamakit generate models/llama-2-7b-hf --prompt "The capital of France is" --temp 0 --json
      """)

  @OptionGroup var options: ModelOptions

  @Option(name: [.customShort("p"), .long], help: "The text to continue.")
  var prompt: String

  @Option(name: [.customShort("n"), .long, .customLong("n-predict")], help: "Tokens to generate at most.")
  var tokens = 128

  @Option(name: .customLong("temp"), help: "Sampling temperature; 0 is greedy.")
  var temperature: Float = 0.8

  @Option(name: .customLong("top-k"), help: "Sample among the k most likely tokens (0: all).")
  var topK = 40

  @Option(name: .customLong("top-p"), help: "Sample among the most likely tokens totalling this probability (1: all).")
  var topP: Float = 0.95

  @Option(name: [.customShort("s"), .long], help: "Seed of the sampler, 0 or more (default: a random seed, printed with --json).")
  var seed: Int64?

  @Option(name: [.customShort("c"), .customLong("ctx"), .customLong("ctx-size")], help: "Context length (default: prompt plus -n tokens).")
  var context: Int?

  @Flag(help: #"Print one JSON object {"prompt_ids", "generated_ids", "text", …} instead of streaming."#)
  var json = false

  func validate() throws {
    guard tokens >= 0 else { throw ValidationError("-n must not be negative, not \(tokens)") }
    guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temp must be 0 or more, not \(temperature)") }
    guard topK >= 0 else { throw ValidationError("--top-k must not be negative, not \(topK)") }
    guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1], not \(topP)") }
    if let context, context < 1 { throw ValidationError("--ctx must be positive, not \(context)") }
    if let seed, seed < 0 { throw ValidationError("--seed must not be negative, not \(seed)") }
  }

  func run() throws {
    let tokenizer = try options.loadTokenizer()
    let model = try options.loadModel()
    let vocabulary = tokenizer.vocabulary
    guard vocabulary.count <= model.config.vocabSize else {
      throw ValidationError(
        "the tokenizer has \(vocabulary.count) pieces but \(options.model) has a vocabulary of \(model.config.vocabSize)")
    }
    let promptIds = [Int(vocabulary.trainer.bosID)] + tokenizer.encode(prompt).map(Int.init)
    let contextLength = context ?? (promptIds.count + tokens)
    guard promptIds.count < contextLength || tokens == 0 else {
      throw ValidationError("the prompt has \(promptIds.count) tokens; --ctx \(contextLength) leaves no room to generate")
    }
    if let trained = model.config.contextLength, contextLength > trained {
      StandardError.write("llamakit: warning: context \(contextLength) is longer than the \(trained) tokens \(options.model) was trained on\n")
    }
    let session = try InferenceSession(model: model, contextLength: max(contextLength, promptIds.count), threads: options.threads)
    let seed = self.seed ?? Int64.random(in: 0...Int64(UInt32.max))
    var sampler = Sampler(SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: UInt64(seed)))
    var stream = TextStream(tokenizer: tokenizer)
    let maxTokens = min(tokens, contextLength - promptIds.count)
    let generated = try session.generate(
      prompt: promptIds, maxTokens: maxTokens, sampler: &sampler, stop: [Int(vocabulary.trainer.eosID)]
    ) { token in
      if !json { try stream.append(token) }
      return true
    }
    if json {
      let text = try tokenizer.decode(generated.filter { $0 != Int(vocabulary.trainer.eosID) }.map { TokenID($0) })
      let object: [(String, JSON)] = [
        ("prompt_ids", .array(promptIds.map { .number($0) })),
        ("generated_ids", .array(generated.map { .number($0) })),
        ("text", .string(text)),
        ("seed", .int(seed)),
        ("stopped_at_eos", .bool(generated.last == Int(vocabulary.trainer.eosID))),
      ]
      StandardOutput.write(JSON.object(JSONObject(object)).serialized(pretty: false) + "\n")
    } else {
      try stream.finish()
    }
    StandardOutput.flush()
  }
}

/// Streams generated text: decodes all tokens so far and writes what is new, holding back a
/// trailing U+FFFD that may be the first bytes of a character still arriving as byte tokens.
struct TextStream {
  let tokenizer: any Tokenizer
  var ids: [TokenID] = []
  var written = 0

  init(tokenizer: any Tokenizer) { self.tokenizer = tokenizer }

  mutating func append(_ token: Int) throws {
    guard token != Int(tokenizer.vocabulary.trainer.eosID) else { return }
    ids.append(TokenID(token))
    try write(final: false)
  }

  mutating func finish() throws {
    try write(final: true)
    StandardOutput.write("\n")
  }

  private mutating func write(final: Bool) throws {
    var text = Array(try tokenizer.decode(ids).unicodeScalars)
    if !final, text.last == "\u{FFFD}" { text.removeLast() }
    guard text.count > written else { return }
    var piece = String.UnicodeScalarView()
    piece.append(contentsOf: text[written...])
    StandardOutput.write(String(piece))
    StandardOutput.flush()
    written = text.count
  }
}
