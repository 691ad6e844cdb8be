import ArgumentParser
import LlamaCore
import LlamaIO
import LlamaKit

struct DiffCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff",
    abstract: "Compare two checkpoints tensor by tensor, in any formats.",
    discussion: """
      A and B are checkpoint files or folders in any supported format. Tensors are matched by \
      canonical name and compared in the canonical q/k layout, as f32 values (block types \
      dequantized): tensors only in one of them, shape and type differences, and per tensor \
      the largest absolute error, the RMS error and the cosine similarity. The exit status is 0 \
      whether or not they differ; it is non-zero only when a checkpoint cannot be read.

      Examples:
        llamakit diff model.gguf models/llama-2-7b-hf
        llamakit diff consolidated.00.pth model.safetensors --json
      """)

  @OptionGroup var progressOptions: ProgressOptions

  @Argument(help: ArgumentHelp("The first checkpoint (file or folder).", valueName: "a"))
  var a: String

  @Argument(help: ArgumentHelp("The second checkpoint (file or folder).", valueName: "b"))
  var b: String

  @Flag(help: "Print one JSON object: identical, only_in_a, only_in_b, tensors.")
  var json = false

  @Flag(help: "List identical tensors too (the text report lists only those that differ).")
  var all = false

  func run() throws {
    let readerA = try ModelFiles.open(a), readerB = try ModelFiles.open(b)
    let progress = progressOptions.progress("diff")
    let diff = try CheckpointDiff(readerA, readerB) { progress.update($0, $1) }
    progress.finish()
    defer { StandardOutput.flush() }
    if json {
      StandardOutput.write(JSON.object(report(diff)).serialized(pretty: true) + "\n")
    } else {
      StandardOutput.write(text(diff))
    }
  }

  /// A finite number, or null (NaN or infinite errors, shapes that differ).
  func number(_ x: Double?) -> JSON {
    guard let x, x.isFinite else { return .null }
    return .number(x)
  }

  func report(_ diff: CheckpointDiff) -> JSONObject {
    JSONObject([
      ("a", .string(a)), ("b", .string(b)),
      ("identical", .bool(diff.identical)),
      ("only_in_a", .array(diff.onlyInA.map { .string($0) })),
      ("only_in_b", .array(diff.onlyInB.map { .string($0) })),
      (
        "tensors",
        .array(
          diff.tensors.map { t in
            .object(
              JSONObject([
                ("name", .string(t.name)),
                ("shape_a", .array(t.shapeA.map { .number($0) })), ("shape_b", .array(t.shapeB.map { .number($0) })),
                ("type_a", .string(t.typeA.name)), ("type_b", .string(t.typeB.name)),
                ("identical", .bool(t.identical)),
                ("max_abs_error", number(t.maxAbsError)), ("rms_error", number(t.rmsError)), ("cosine", number(t.cosine)),
              ]))
          })
      ),
    ])
  }

  func text(_ diff: CheckpointDiff) -> String {
    var out = "a: \(a)\nb: \(b)\n"
    for name in diff.onlyInA { out += "only in a: \(name)\n" }
    for name in diff.onlyInB { out += "only in b: \(name)\n" }
    let differing = diff.tensors.filter { !$0.identical }
    let listed = all ? diff.tensors : differing
    if !listed.isEmpty {
      out += "\n" + "tensor".padding(32) + "types".padding(14) + "max abs error".padding(16) + "RMS error".padding(14) + "cosine\n"
      for t in listed {
        let types = t.typeA == t.typeB ? t.typeA.name : "\(t.typeA.name)/\(t.typeB.name)"
        if t.shapeA != t.shapeB {
          out += t.name.padding(32) + types.padding(14) + "shape \(t.shapeA) vs \(t.shapeB)\n"
        } else {
          out += t.name.padding(32) + types.padding(14) + scientific(t.maxAbsError).padding(16)
            + scientific(t.rmsError).padding(14) + fixed(t.cosine) + "\n"
        }
      }
    }
    let shared = diff.tensors.count
    out += "\n"
    if diff.identical {
      out += "identical: \(shared) tensors, same shapes, bit-identical values\n"
    } else {
      out += "different: \(differing.count) of \(shared) shared tensors differ"
      out += ", \(diff.onlyInA.count) only in a, \(diff.onlyInB.count) only in b\n"
    }
    return out
  }

  func scientific(_ x: Double?) -> String {
    guard let x else { return "-" }
    guard x.isFinite else { return "\(x)" }
    if x == 0 { return "0" }
    var exponent = 0
    var mantissa = abs(x)
    while mantissa >= 10 { mantissa /= 10; exponent += 1 }
    while mantissa < 1 { mantissa *= 10; exponent -= 1 }
    let digits = Int((mantissa * 100).rounded())
    let whole = digits / 100, fraction = digits % 100
    let fractionText = fraction < 10 ? "0\(fraction)" : "\(fraction)"
    return "\(whole).\(fractionText)e\(exponent)"
  }

  func fixed(_ x: Double?) -> String {
    guard let x, x.isFinite else { return x.map { "\($0)" } ?? "-" }
    let scaled = Int((x * 1_000_000).rounded())
    let whole = scaled / 1_000_000, fraction = abs(scaled % 1_000_000)
    let fractionText = String(fraction)
    return "\(x < 0 && whole == 0 ? "-" : "")\(whole)." + String(repeating: "0", count: 6 - fractionText.count) + fractionText
  }
}
