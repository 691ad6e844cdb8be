import ArgumentParser
import LlamaCore
import LlamaIO
import LlamaInference
import LlamaKernels

#if canImport(Glibc)
  import Glibc
#endif

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure prompt processing and generation speed, like llama-bench.",
    discussion: """
      pp: a prompt of -p tokens evaluated as one batch from an empty context; tg: -n tokens \
      generated one at a time from an empty context. Token ids are fixed pseudo-random ones \
      (the speed does not depend on them). Each test runs once untimed, then -r times; the \
      report gives the mean tokens/s and the standard deviation over the runs.

      Examples:
        llamakit bench model.gguf
        llamakit bench model.gguf -p 512 -n 128 -t 2 -r 5 --json
      """)

  @OptionGroup var options: ModelOptions

  @Option(name: [.customShort("p"), .long], help: "Prompt tokens for the pp test (0 skips it).")
  var prompt = 512

  @Option(name: [.customShort("n"), .long], help: "Generated tokens for the tg test (0 skips it).")
  var generate = 128

  @Option(name: [.customShort("r"), .long], help: "Timed repetitions of each test.")
  var repetitions = 3

  @Flag(help: "Print one JSON object.")
  var json = false

  @OptionGroup var progressOptions: ProgressOptions

  func validate() throws {
    guard prompt >= 0, generate >= 0, prompt + generate > 0 else { throw ValidationError("-p and -n must not be negative, and not both 0") }
    guard repetitions >= 1 else { throw ValidationError("-r must be at least 1, not \(repetitions)") }
  }

  func run() throws {
    let model = try options.loadModel()
    let session = try InferenceSession(model: model, contextLength: max(prompt, generate, 1), threads: options.threads)
    let vocab = model.config.vocabSize
    var random = UInt64(0x1234_5678)
    let tokens = (0..<max(prompt, generate)).map { _ -> Int in
      random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((random >> 33) % UInt64(vocab))
    }

    func measurePrompt() throws -> Double {
      session.reset()
      let start = Progress.now()
      _ = try session.evaluate(Array(tokens.prefix(prompt)))
      return Double(prompt) / (Progress.now() - start)
    }
    func measureGeneration() throws -> Double {
      session.reset()
      let start = Progress.now()
      for token in tokens.prefix(generate) { _ = try session.evaluate([token]) }
      return Double(generate) / (Progress.now() - start)
    }

    // Each test: one untimed warm-up run, then the timed ones.
    let progress = progressOptions.progress("bench")
    let runs = (repetitions + 1) * ((prompt > 0 ? 1 : 0) + (generate > 0 ? 1 : 0))
    var done = 0
    func measure(_ test: String, _ body: () throws -> Double) throws -> [Double] {
      var samples: [Double] = []
      for run in 0...repetitions {
        let rate = try body()
        if run > 0 { samples.append(rate) }
        done += 1
        progress.detail("\(test) \(run == 0 ? "warm-up" : "run \(run)/\(repetitions)"): \(format2(rate)) t/s")
        progress.update(done, of: runs, unit: "runs")
      }
      return samples
    }
    let pp = prompt > 0 ? try measure("pp\(prompt)", measurePrompt) : []
    let tg = generate > 0 ? try measure("tg\(generate)", measureGeneration) : []
    progress.finish()

    let types = model.weightTypes.map { "\($0.type) ×\($0.count)" }.joined(separator: ", ")
    let kernels = model.weightTypes.compactMap { MatrixKernel.kernel(for: $0.type).map { k in "\(k.type): \(k.simdName)" } }
    let cpu = CPUFeatures.enabled
    if json {
      var object: [(String, JSON)] = [
        ("model", .string(options.model)),
        ("weight_types", .string(types)),
        ("weight_bytes_per_token", .number(model.bytesPerToken)),
        ("layer_macs_per_token", .number(model.layerMACsPerToken)),
        ("output_macs", .number(model.outputMACs)),
        ("parameters", .number(model.config.parameterCount)),
        ("threads", .number(session.threadCount)),
        ("cpu_features", .array(cpu.used.map { .string($0) })),
        ("kernels", .array(kernels.map { .string($0) })),
        ("repetitions", .number(repetitions)),
      ]
      if prompt > 0 {
        object += [
          ("pp_tokens", .number(prompt)), ("pp_tokens_per_s", .number(mean(pp))), ("pp_stddev", .number(deviation(pp))),
          ("pp_samples", .array(pp.map { .number($0) })),
        ]
      }
      if generate > 0 {
        object += [
          ("tg_tokens", .number(generate)), ("tg_tokens_per_s", .number(mean(tg))), ("tg_stddev", .number(deviation(tg))),
          ("tg_samples", .array(tg.map { .number($0) })),
        ]
      }
      StandardOutput.write(JSON.object(JSONObject(object)).serialized(pretty: true) + "\n")
    } else {
      var text = "model: \(options.model) (\(types), \(model.bytesPerToken / 1_000_000) MB of weights per token)\n"
      text += "threads: \(session.threadCount), CPU: \(cpu.used.joined(separator: ", "))\n"
      text += "kernels: \(kernels.joined(separator: "; "))\n\n"
      text += "| test   |            t/s |\n|--------|----------------|\n"
      if prompt > 0 { text += "| pp\(String(prompt).rightAligned(4)) | \(String(format2(mean(pp))).rightAligned(7)) ± \(String(format2(deviation(pp))).rightAligned(5)) |\n" }
      if generate > 0 { text += "| tg\(String(generate).rightAligned(4)) | \(String(format2(mean(tg))).rightAligned(7)) ± \(String(format2(deviation(tg))).rightAligned(5)) |\n" }
      StandardOutput.write(text)
    }
    StandardOutput.flush()
  }

  func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }

  /// Sample standard deviation (0 for one run).
  func deviation(_ v: [Double]) -> Double {
    guard v.count > 1 else { return 0 }
    let m = mean(v)
    return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
  }

  func format2(_ x: Double) -> String {
    let scaled = (x * 100).rounded() / 100
    let whole = Int(scaled)
    let cents = Int(((scaled - Double(whole)) * 100).rounded())
    return "\(whole).\(cents < 10 ? "0" : "")\(cents)"
  }
}

extension String {
  fileprivate func rightAligned(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
