import ArgumentParser
import LlamaIO
import LlamaKit

struct SynthCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "synth",
    abstract: "Write a random-weight GGUF model of a real model's shape, to measure speed without a download.",
    discussion: """
      The model has the shapes, tensor names and tensor types of the real one (--type f16, \
      q8_0, q4_0, q4_k_m, …: one type for every matrix, or llama-quantize's mix) and \
      deterministic random values: the same --seed gives the same file. Its text is noise; \
      its speed is the real model's. llama.cpp loads it too, which is how the benchmarks compare.

      Shapes: \(ModelShape.known.map(\.name).joined(separator: ", ")).
      Types: \(WeightTypePlan.all.map(\.name).joined(separator: ", ")).

      Examples:
        llamakit synth --shape tinyllama-1.1b --type q4_0 tinyllama-q4_0.gguf
        llamakit synth --shape llama2-7b --type f16 --seed 7 --tokenizer tokenizer.model llama2-7b-f16.gguf
      """)

  @Option(help: "The model shape.")
  var shape: String

  @Option(name: .customLong("type"), help: "Tensor type or mix.")
  var type: String

  @Option(help: "Seed of the random values.")
  var seed: UInt64 = 1

  @Option(help: "Embed this tokenizer (its vocabulary size must match the shape) instead of a synthetic vocabulary.")
  var tokenizer: String?

  @Flag(help: "Replace the output file if it exists.")
  var force = false

  @OptionGroup var progressOptions: ProgressOptions

  @Argument(help: ArgumentHelp("The GGUF file to write.", valueName: "out.gguf"))
  var output: String

  func validate() throws {
    guard ModelShape.named(shape) != nil else {
      throw ValidationError("unknown --shape \(shape); known: \(ModelShape.known.map(\.name).joined(separator: ", "))")
    }
    guard WeightTypePlan.named(type) != nil else {
      throw ValidationError("unknown --type \(type); known: \(WeightTypePlan.all.map(\.name).joined(separator: ", "))")
    }
  }

  func run() throws {
    AtomicFile.removeTemporaryFilesOnTermination()
    let vocabulary = try tokenizer.map { try ModelFiles.tokenizer($0).vocabulary }
    let progress = progressOptions.progress(output)
    try SyntheticModel.write(
      shape: ModelShape.named(shape)!, types: WeightTypePlan.named(type)!, seed: seed, to: output, overwrite: force,
      vocabulary: vocabulary, progress: { progress.update($0, $1) })
    progress.finish()
  }
}
